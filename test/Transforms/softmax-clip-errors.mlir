// RUN: mxc-opt %s --mxc-softmax-clip="mode=samples" --split-input-file --verify-diagnostics
// RUN: not mxc-opt %s --mxc-softmax-clip="bits=9" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not mxc-opt %s --mxc-softmax-clip="mode=median" 2>&1 | FileCheck %s --check-prefix=MODE

// BITS: error: mxc-softmax-clip: bits must be in [1, 8], got 9
// MODE: Cannot find option named 'median'

func.func @no_samples(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{mode=samples needs 'samples' in the softmax statistics; calibrate with samples or use mode=analytic}}
  %y = mxc.softmax %x {stats = #mxc.softmax_stats<mean = -4.0, std = 3.0, min = -17.5, count = 65536>} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// RUN: not mxc-opt %s --mxc-softmax-clip="mode=pooled" --split-input-file 2>&1 | FileCheck %s --check-prefix=POOLED
// POOLED: error: mode=pooled needs 'samples' in the softmax statistics; calibrate with samples or use mode=analytic
