// mxc-compile takes .mlir files (mxc and upstream ops) through the same
// stages as a model: the recipe's passes, the mxc lowerings, the LLVM
// dialect.

// The README's quantize example, compiled by mxc-compile instead of mxc-opt,
// prints microxcaling's golden vector (see quantize-example.mlir).
// RUN: mxc-compile %mxc_src_root/examples/quantize.mlir --emit=llvm | %run-cpu | FileCheck %s
// CHECK: E8M0 scale byte (127 = 2^0): 127
// CHECK-NEXT: to_nearest_even: ( 448, 448, 384, -448, -448, -448, 0.015625, -0.015625 )
// CHECK-NEXT: to_nearest_away: ( 448, 448, 416, -448, -448, -448, 0.015625, -0.015625 )

// Each stage of the bundled layer example.
// RUN: mxc-compile %mxc_src_root/examples/mx-layer.mlir --emit=mxc | FileCheck %s --check-prefix=MXC
// MXC: mxc.attention
// RUN: mxc-compile %mxc_src_root/examples/mx-layer.mlir --emit=linalg | FileCheck %s --check-prefix=LINALG
// LINALG-NOT: mxc.
// LINALG: linalg.generic
// The LLVM stage is generated code that mlir-runner runs alone: no calls of
// mxc's CPU kernels.
// RUN: mxc-compile %mxc_src_root/examples/mx-layer.mlir --emit=llvm -o %t.ll.mlir
// RUN: FileCheck %s --check-prefix=LLVM < %t.ll.mlir
// LLVM-NOT: mxc_cpu_
// LLVM: llvm.func @attention_block
// LLVM-NOT: mxc_cpu_

// A recipe applies to the file's float mxc.matmul weights.
// RUN: mxc-compile %s --recipe w4 --emit=mxc | FileCheck %s --check-prefix=W4
// W4: mxc.assemble {{.*}} -> !mxc.mx<8x32xf4E2M1FN>
// W4: mxc.matmul {{.*}} !mxc.mx<8x32xf4E2M1FN> -> tensor<2x8xf32>

// What a .mlir file cannot give, one line each.
// RUN: not mxc-compile %mxc_src_root/examples/mx-layer.mlir 2>&1 | FileCheck %s --check-prefix=STAGE
// STAGE: mxc-compile: a .mlir file compiles to a stage: give --emit=mxc|linalg|gpu|llvm|llvm-ir
// RUN: not mxc-compile %s --recipe w4-gptq --emit=mxc 2>&1 | FileCheck %s --check-prefix=CALIB
// CALIB: mxc-compile: recipe 'w4-gptq' needs calibration statistics, which need a model checkpoint
// RUN: not mxc-compile %s --emit=mxc --calibrate %s 2>&1 | FileCheck %s --check-prefix=FLAG
// FLAG: mxc-compile: --calibrate needs a model checkpoint, not a .mlir file
// RUN: echo 'func.func @f(' > %t.bad.mlir
// RUN: not mxc-compile %t.bad.mlir --emit=mxc 2>&1 | FileCheck %s --check-prefix=PARSE
// PARSE: bad.mlir:1:14: error:
// PARSE: mxc-compile: cannot parse '{{.*}}bad.mlir'

func.func @layer(%x: tensor<2x32xf32>) -> tensor<2x8xf32> {
  %w = arith.constant dense<0.25> : tensor<8x32xf32>
  %y = mxc.matmul %x, %w : tensor<2x32xf32>, tensor<8x32xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
