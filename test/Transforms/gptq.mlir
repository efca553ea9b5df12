// RUN: mxc-opt %s --mxc-gptq="format=mxfp4 block=4 report" --split-input-file --verify-diagnostics | FileCheck %s

// With H = I no error propagates: GPTQ gives RTN's storage (see rtn.mlir
// for the bytes, worked out by hand). The report compares both.
// CHECK-LABEL: func.func @identity_hessian
// CHECK: arith.constant dense<{{\[}}[66, 101], [95, 0]]> : tensor<2x2xi8>
// CHECK: arith.constant dense<{{\[}}[5.000000e-01], [1.000000e+00]]> : tensor<2x1xf8E8M0FNU>
// CHECK: mxc.matmul {{.*}}, !mxc.mx<2x4xf4E2M1FN, block = 4> -> tensor<2x2xf32>
func.func @identity_hessian(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[0.5, 1.0, 1.5, 2.0], [-6.0, 3.0, 0.0, 0.25]]> : tensor<2x4xf32>
  // expected-remark @+1 {{gptq mxfp4: output MSE}}
  %y = mxc.matmul %x, %w {hessian = dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>} : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// No Hessian: the weight stays float, and the remark says why.
// CHECK-LABEL: func.func @no_hessian
// CHECK: mxc.matmul %{{.+}}, %{{.+}} : tensor<2x4xf32>, tensor<2x4xf32>
func.func @no_hessian(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x4xf32>
  // expected-remark @+1 {{weight left in float: no 'hessian' statistic for GPTQ (calibrate, or use mxc-rtn)}}
  %y = mxc.matmul %x, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// A Hessian that damping cannot make positive definite is an error.
func.func @bad_hessian(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x4xf32>
  // expected-error @+1 {{GPTQ failed: the damped Hessian is not positive definite; raise the damping}}
  %y = mxc.matmul %x, %w {hessian = dense<[[1.0, 2.0, 0.0, 0.0], [2.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>} : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
