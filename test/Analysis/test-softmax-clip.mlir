// RUN: mxc-opt %s --mxc-test-softmax-clip="bits=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=B1
// RUN: mxc-opt %s --mxc-test-softmax-clip="bits=4" -o /dev/null 2>&1 | FileCheck %s --check-prefix=B4
// RUN: mxc-opt %s --mxc-test-softmax-clip="bits=1 samples" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SAMPLES

// A point mass at d = -3 (std 0): with 1 bit the levels are {clip, 0}, and
// the only error-free choice puts the lower level on -3.
// B1: test-softmax-clip.mlir:[[@LINE+4]]:8: remark: bits = 1, clip = -3.0000, error = 0.000e+00
// B4: test-softmax-clip.mlir:[[@LINE+3]]:8: remark: bits = 4, clip = {{-[0-9.]+}}, error = 0.000e+00
// SAMPLES: test-softmax-clip.mlir:[[@LINE+2]]:8: remark: bits = 1, clip = -3.0000, error = {{[0-9.]+}}e-{{(1[5-9]|[2-9][0-9])}};
func.func @point_mass(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = mxc.softmax %x {stats = #mxc.softmax_stats<mean = -3.0, std = 0.0, min = -3.0, count = 4, samples = [-3.0, -3.0, -3.0, -3.0]>} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// A Gaussian input: a finite, positive error, and the naive clips (the
// observed minimum, -8) reported next to it.
// B1: test-softmax-clip.mlir:[[@LINE+4]]:8: remark: bits = 1, clip = {{-[0-9.]+}}, error = {{[0-9.]+e-[0-9]+}}; observed min: {{[0-9.]+e-[0-9]+}}, -8: {{[0-9.]+e-[0-9]+}}
// B4: test-softmax-clip.mlir:[[@LINE+3]]:8: remark: bits = 4
// SAMPLES: test-softmax-clip.mlir:[[@LINE+2]]:8: remark: no choice: mode=samples needs 'samples' in the softmax statistics
func.func @gaussian(%q: tensor<8x1x16xf32>, %k: tensor<4x32x16xf32>) -> tensor<8x1x16xf32> {
  %o = mxc.attention %q, %k, %k {stats = #mxc.softmax_stats<mean = -4.0, std = 3.0, min = -17.5, count = 65536>} : tensor<8x1x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32> -> tensor<8x1x16xf32>
  return %o : tensor<8x1x16xf32>
}

// B1: test-softmax-clip.mlir:[[@LINE+2]]:8: remark: no statistics
func.func @no_stats(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = mxc.softmax %x : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
