// RUN: mxc-opt %s --mxc-smoothquant="exclude=layers.1." --split-input-file 2> %t.exclude | FileCheck %s --check-prefix=EXCLUDE
// RUN: FileCheck %s --check-prefix=REMARK < %t.exclude
// RUN: mxc-opt %s --mxc-smoothquant="only=layers.1." --split-input-file 2> %t.only | FileCheck %s --check-prefix=ONLY
// RUN: FileCheck %s --check-prefix=REMARK < %t.only

// only/exclude select activations by the names of the matmuls that read
// them. Each activation here has one reader; smoothing one inserts a scale
// of 1/s, s = sqrt(max|x|) / sqrt(max|W col|) = [sqrt(4)/1, 1/4] = [2, 1/4].
// EXCLUDE-LABEL: func.func @select
// EXCLUDE-SAME: (%[[X0:.+]]: tensor<3x2xf32>, %[[X1:.+]]: tensor<3x2xf32>)
// EXCLUDE: %[[S:.+]] = linalg.generic {{.*}} ins(%[[X0]], %{{.+}} : tensor<3x2xf32>, tensor<2xf32>)
// EXCLUDE: mxc.matmul %[[S]], {{.*}}act_absmax = dense<[2.000000e+00, 4.000000e+00]>
// EXCLUDE: mxc.matmul %[[X1]], {{.*}}act_absmax = dense<[4.000000e+00, 1.000000e+00]>
// ONLY-LABEL: func.func @select
// ONLY-SAME: (%[[X0:.+]]: tensor<3x2xf32>, %[[X1:.+]]: tensor<3x2xf32>)
// ONLY: %[[S:.+]] = linalg.generic {{.*}} ins(%[[X1]], %{{.+}} : tensor<3x2xf32>, tensor<2xf32>)
// ONLY: mxc.matmul %[[X0]], {{.*}}act_absmax = dense<[4.000000e+00, 1.000000e+00]>
// ONLY: mxc.matmul %[[S]], {{.*}}act_absmax = dense<[2.000000e+00, 4.000000e+00]>
func.func @select(%x0: tensor<3x2xf32>, %x1: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = arith.constant dense<[[1.0, 2.0], [-0.5, 16.0]]> : tensor<2x2xf32>
  %y0 = mxc.matmul %x0, %w {act_absmax = dense<[4.0, 1.0]> : tensor<2xf32>} : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32> loc("layers.0.wq")
  %y1 = mxc.matmul %x1, %w {act_absmax = dense<[4.0, 1.0]> : tensor<2xf32>} : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32> loc("layers.1.wq")
  return %y0, %y1 : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// An activation read by a selected and an unselected matmul is left alone.
// REMARK: remark: loc("layers.0.wq"): not smoothed: some matmuls that read this activation are left out by only/exclude
// REMARK-NOT: remark
// EXCLUDE-LABEL: func.func @mixed
// EXCLUDE-NOT: linalg.generic
// ONLY-LABEL: func.func @mixed
// ONLY-NOT: linalg.generic
func.func @mixed(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = arith.constant dense<[[1.0, 2.0], [-0.5, 16.0]]> : tensor<2x2xf32>
  %y0 = mxc.matmul %x, %w {act_absmax = dense<[4.0, 1.0]> : tensor<2xf32>} : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32> loc("layers.0.wq")
  %y1 = mxc.matmul %x, %w {act_absmax = dense<[4.0, 1.0]> : tensor<2xf32>} : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32> loc("layers.1.wq")
  return %y0, %y1 : tensor<3x2xf32>, tensor<3x2xf32>
}
