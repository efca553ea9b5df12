// The EXAQ softmax and attention with a given table, worked by hand (2 bits,
// clip -3: step 1, levels -3 .. 0; the table 0, 0.1, 0.4, 1 instead of
// 0, e^-2, e^-1, 1).

// Softmax: d = [0, -0.9, -2.2, -7, -2.6] has codes [3, 2, 1, 0, 0], so
// y = [1, 0.4, 0.1, 0, 0] / 1.5 = [0.66667, 0.26667, 0.06667, 0, 0] (with
// e^level: [0.66524, 0.24473, 0.09003, 0, 0]).
// RUN: mxc-opt %s --mxc-lower-to-llvm | %run-cpu | FileCheck %s
// CHECK: ( 0.66666{{[0-9]*}}, 0.26666{{[0-9]*}}, 0.06666{{[0-9]*}}, 0, 0 )

// Attention: one query (1.0 . k), keys [2, 4, 6], values [10, 20, 30]:
// s - m = [-4, -2, 0], codes [0, 1, 3], out = (20 * 0.1 + 30) / (0.1 + 1)
// = 29.0909 (with e^level: 28.808).
// CHECK: ( 29.0909{{[0-9]*}} )
func.func @main() {
  %x = arith.constant dense<[[0.0, -0.9, -2.2, -7.0, -2.6]]> : tensor<1x5xf32>
  %y = mxc.softmax %x quantized <bits = 2, clip = -3.0, zero_floor = true, table = [0.0, 0.1, 0.4, 1.0]> : tensor<1x5xf32>
  %i0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %row = tensor.extract_slice %y[0, 0] [1, 5] [1, 1] : tensor<1x5xf32> to tensor<5xf32>
  %vy = vector.transfer_read %row[%i0], %pad : tensor<5xf32>, vector<5xf32>
  vector.print %vy : vector<5xf32>

  %q = arith.constant dense<[[[1.0]]]> : tensor<1x1x1xf32>
  %k = arith.constant dense<[[[2.0], [4.0], [6.0]]]> : tensor<1x3x1xf32>
  %v = arith.constant dense<[[[10.0], [20.0], [30.0]]]> : tensor<1x3x1xf32>
  %o = mxc.attention %q, %k, %v quantized <bits = 2, clip = -3.0, zero_floor = true, table = [0.0, 0.1, 0.4, 1.0]>
    : tensor<1x1x1xf32>, tensor<1x3x1xf32>, tensor<1x3x1xf32> -> tensor<1x1x1xf32>
  %c = tensor.collapse_shape %o [[0, 1, 2]] : tensor<1x1x1xf32> into tensor<1xf32>
  %vo = vector.transfer_read %c[%i0], %pad : tensor<1xf32>, vector<1xf32>
  vector.print %vo : vector<1xf32>
  return
}
