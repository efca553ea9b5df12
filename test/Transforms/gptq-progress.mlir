// mxc-gptq runs each matmul's GPTQ as an action (mlir::tracing) that names
// the matmul and its place among those it quantizes: what mxc-compile shows
// as progress ("GPTQ 2/2: layers.0.wk"). A matmul without a Hessian is not
// counted.

// RUN: mxc-opt %s --mxc-gptq="format=mxfp4 block=4" --log-actions-to=- -o /dev/null 2>/dev/null | FileCheck %s
// CHECK: Action mxc-gptq-matmul layers.0.wq (1/2)
// CHECK: completed `mxc-gptq-matmul`
// CHECK: Action mxc-gptq-matmul layers.0.wk (2/2)
// CHECK-NOT: mxc-gptq-matmul layers.0.wv

// With a name filter, only the selected matmuls count.
// RUN: mxc-opt %s --mxc-gptq="format=mxfp4 block=4 only=layers.0.wk" --log-actions-to=- -o /dev/null 2>/dev/null | FileCheck %s --check-prefix=ONLY
// ONLY: Action mxc-gptq-matmul layers.0.wk (1/1)

func.func @three(%x: tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %w = arith.constant dense<[[0.5, 1.0, 1.5, 2.0], [-6.0, 3.0, 0.0, 0.25]]> : tensor<2x4xf32>
  %a = mxc.matmul %x, %w {hessian = dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>} : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32> loc("layers.0.wq")
  %b = mxc.matmul %x, %w {hessian = dense<[[2.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>} : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32> loc("layers.0.wk")
  %c = mxc.matmul %x, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32> loc("layers.0.wv")
  return %a, %b, %c : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>
}
