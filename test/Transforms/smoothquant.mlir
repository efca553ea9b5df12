// RUN: mxc-opt %s --mxc-smoothquant --split-input-file --verify-diagnostics | FileCheck %s

// Two matmuls read one activation (as q and k do). Activation maxima [4, 1];
// weight column maxima over both weights [1, 16]; alpha 0.5:
// s = [sqrt(4)/sqrt(1), sqrt(1)/sqrt(16)] = [2, 0.25]. Weights W[:, j] * s_j;
// the RMSNorm-style gain [1, 1] becomes [1/2, 1/0.25] = [0.5, 4]; the
// statistics follow: act_absmax [2, 4], H_ij / (s_i s_j) = [[1, 4], [4, 16]]
// for H = [[4, 2], [2, 1]].
// CHECK-LABEL: func.func @fold_into_gain
// CHECK: %[[GAIN:.+]] = arith.constant dense<[5.000000e-01, 4.000000e+00]> : tensor<2xf32>
// CHECK: %[[X:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %[[GAIN]] : tensor<3x2xf32>, tensor<2xf32>)
// CHECK: %[[W1:.+]] = arith.constant dense<{{\[}}[2.000000e+00, 5.000000e-01], [-1.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK: mxc.matmul %[[X]], %[[W1]] {act_absmax = dense<[2.000000e+00, 4.000000e+00]> : tensor<2xf32>, hessian = dense<{{\[}}[1.000000e+00, 4.000000e+00], [4.000000e+00, 1.600000e+01]]> : tensor<2x2xf32>}
// CHECK: %[[W2:.+]] = arith.constant dense<{{\[}}[5.000000e-01, -7.500000e-01]]> : tensor<1x2xf32>
// CHECK: mxc.matmul %[[X]], %[[W2]] {act_absmax = dense<[2.000000e+00, 4.000000e+00]> : tensor<2xf32>}
#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>
func.func @fold_into_gain(%h: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x1xf32>) {
  %gain = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %x = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%h, %gain : tensor<3x2xf32>, tensor<2xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %m = arith.mulf %a, %g : f32
    linalg.yield %m : f32
  } -> tensor<3x2xf32>
  %w1 = arith.constant dense<[[1.0, 2.0], [-0.5, 16.0]]> : tensor<2x2xf32>
  %w2 = arith.constant dense<[[0.25, -3.0]]> : tensor<1x2xf32>
  %y1 = mxc.matmul %x, %w1 {act_absmax = dense<[4.0, 1.0]> : tensor<2xf32>, hessian = dense<[[4.0, 2.0], [2.0, 1.0]]> : tensor<2x2xf32>} : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32>
  %y2 = mxc.matmul %x, %w2 {act_absmax = dense<[4.0, 1.0]> : tensor<2xf32>} : tensor<3x2xf32>, tensor<1x2xf32> -> tensor<3x1xf32>
  return %y1, %y2 : tensor<3x2xf32>, tensor<3x1xf32>
}

// -----

// No producer to fold into (a function argument): a per-channel scale by
// 1/s = [0.5, 4] is inserted in front of the matmul.
// CHECK-LABEL: func.func @insert_scale
// CHECK-SAME: (%[[X:.+]]: tensor<3x2xf32>)
// CHECK: %[[F:.+]] = arith.constant dense<[5.000000e-01, 4.000000e+00]> : tensor<2xf32>
// CHECK: %[[XS:.+]] = linalg.generic {{.*}} ins(%[[X]], %[[F]] : tensor<3x2xf32>, tensor<2xf32>)
// CHECK:   arith.mulf
// CHECK: mxc.matmul %[[XS]], %{{.+}} {act_absmax = dense<[2.000000e+00, 4.000000e+00]> : tensor<2xf32>}
func.func @insert_scale(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [-0.5, 16.0]]> : tensor<2x2xf32>
  %y = mxc.matmul %x, %w {act_absmax = dense<[4.0, 1.0]> : tensor<2xf32>} : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Without statistics nothing changes, with a remark.
// CHECK-LABEL: func.func @no_stats
// CHECK: mxc.matmul %{{.+}}, %{{.+}} : tensor<3x2xf32>, tensor<2x2xf32>
func.func @no_stats(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [-0.5, 16.0]]> : tensor<2x2xf32>
  // expected-remark @+1 {{not smoothed: SmoothQuant needs 'act_absmax' on every matmul that reads this activation and float constant weights}}
  %y = mxc.matmul %x, %w : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
