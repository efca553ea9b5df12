// RUN: mxc-opt %s --mxc-softmax-table --verify-diagnostics -o /dev/null

// A quantized softmax without samples of d has nothing to fit the table to.
func.func @no_samples(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{mxc-softmax-table: no calibration samples of the softmax input ('stats' with 'samples') to fit the EXAQ table to}}
  %y = mxc.softmax %x quantized <bits = 2, clip = -3.0> {stats = #mxc.softmax_stats<mean = -4.0, std = 3.0, min = -17.5, count = 65536>} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
