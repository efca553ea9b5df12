// The EXAQ softmax and attention with a zero floor, worked by hand (2 bits,
// clip -3: step 1, levels -3 .. 0; code 0 stands for 0).

// Softmax: d = [0, -0.9, -2.2, -7, -2.6] has codes [3, 2, 1, 0, 0] (-7 is
// clamped to the clip, -2.6 rounds down to it), so y = [1, e^-1, e^-2, 0, 0]
// / (1 + e^-1 + e^-2) = [0.66524, 0.24473, 0.09003, 0, 0]. The clamp would
// give the two last ones e^-3 each and y[0] = 0.62391.
// RUN: mxc-opt %s --mxc-lower-to-llvm | %run-cpu | FileCheck %s
// CHECK: ( 0.66524{{[0-9]*}}, 0.24472{{[0-9]*}}, 0.09003{{[0-9]*}}, 0, 0 )

// Attention: one query (1.0 . k), keys [2, 4, 6], values [10, 20, 30]:
// s - m = [-4, -2, 0], codes [0, 1, 3], out = (20 e^-2 + 30) / (e^-2 + 1)
// = 28.808 (the clamp: 28.018).
// CHECK: ( 28.80{{[0-9]*}} )

// The same with a NaN value at key 0: its weight is 0, so the key is
// dropped and its value not read (numerics::exaqAttentionReference), in the
// generated loops and in the CPU attention kernel alike
// (exaq-zero-floor-kernel.mlir runs this file through the kernel): 28.808.
// CHECK: ( 28.80{{[0-9]*}} )
func.func @main() {
  %x = arith.constant dense<[[0.0, -0.9, -2.2, -7.0, -2.6]]> : tensor<1x5xf32>
  %y = mxc.softmax %x quantized <bits = 2, clip = -3.0, zero_floor = true> : tensor<1x5xf32>
  %i0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %row = tensor.extract_slice %y[0, 0] [1, 5] [1, 1] : tensor<1x5xf32> to tensor<5xf32>
  %vy = vector.transfer_read %row[%i0], %pad : tensor<5xf32>, vector<5xf32>
  vector.print %vy : vector<5xf32>

  %q = arith.constant dense<[[[1.0]]]> : tensor<1x1x1xf32>
  %k = arith.constant dense<[[[2.0], [4.0], [6.0]]]> : tensor<1x3x1xf32>
  %v = arith.constant dense<[[[10.0], [20.0], [30.0]]]> : tensor<1x3x1xf32>
  %o = mxc.attention %q, %k, %v quantized <bits = 2, clip = -3.0, zero_floor = true>
    : tensor<1x1x1xf32>, tensor<1x3x1xf32>, tensor<1x3x1xf32> -> tensor<1x1x1xf32>
  %c = tensor.collapse_shape %o [[0, 1, 2]] : tensor<1x1x1xf32> into tensor<1xf32>
  %vo = vector.transfer_read %c[%i0], %pad : tensor<1xf32>, vector<1xf32>
  vector.print %vo : vector<1xf32>

  %vnan = arith.constant dense<[[[0x7FC00000], [20.0], [30.0]]]> : tensor<1x3x1xf32>
  %on = mxc.attention %q, %k, %vnan quantized <bits = 2, clip = -3.0, zero_floor = true>
    : tensor<1x1x1xf32>, tensor<1x3x1xf32>, tensor<1x3x1xf32> -> tensor<1x1x1xf32>
  %cn = tensor.collapse_shape %on [[0, 1, 2]] : tensor<1x1x1xf32> into tensor<1xf32>
  %von = vector.transfer_read %cn[%i0], %pad : tensor<1xf32>, vector<1xf32>
  vector.print %von : vector<1xf32>
  return
}
