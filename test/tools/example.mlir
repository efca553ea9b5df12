// The README's bundled example parses, verifies and prints.
// RUN: mxc-opt %mxc_src_root/examples/mx-layer.mlir --cse | FileCheck %s

// CHECK-LABEL: func.func @attention_block
// CHECK: mxc.quantize {{.*}} -> !mxc.mx<1x128xf8E4M3FN>
// CHECK: mxc.matmul {{.*}} !mxc.mx<128x128xf4E2M1FN> -> tensor<1x128xf32>
// CHECK: mxc.attention {{.*}} spans({{.*}}) quantized <bits = 2, clip = -5.500000e+00> {keep_self, sink = 1 : i64}
// CHECK: mxc.matmul
// CHECK: return
