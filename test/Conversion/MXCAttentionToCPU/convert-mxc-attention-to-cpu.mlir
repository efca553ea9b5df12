// convert-mxc-attention-to-cpu: a plain causal f32 attention becomes a call
// of mxc's CPU attention kernel on buffers (any strides) with its scale;
// span-sparse, EXAQ and non-f32 attentions stay for the generated lowering.

// RUN: mxc-opt %s --split-input-file --convert-mxc-attention-to-cpu | FileCheck %s

// The result's dynamic query length comes from q; the kernel writes a fresh
// buffer. The default scale is 1 / sqrt(D) = 0.125.
// CHECK-LABEL: func.func @prefill
// CHECK-SAME: (%[[Q:.+]]: tensor<8x?x64xf32>, %[[K:.+]]: tensor<2x?x64xf32>, %[[V:.+]]: tensor<2x?x32xf32>)
// CHECK: %[[ROWS:.+]] = tensor.dim %[[Q]], %c1
// CHECK: %[[O:.+]] = memref.alloc(%[[ROWS]]) : memref<8x?x32xf32>
// CHECK: %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only : tensor<8x?x64xf32> to memref<8x?x64xf32, strided<[?, ?, ?], offset: ?>>
// CHECK: %[[QA:.+]] = memref.cast %[[QB]] : {{.*}} to memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
// CHECK: %[[KB:.+]] = bufferization.to_buffer %[[K]] read_only
// CHECK: %[[KA:.+]] = memref.cast %[[KB]]
// CHECK: %[[VB:.+]] = bufferization.to_buffer %[[V]] read_only
// CHECK: %[[VA:.+]] = memref.cast %[[VB]]
// CHECK: %[[OA:.+]] = memref.cast %[[O]] : memref<8x?x32xf32> to memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
// CHECK: %[[SCALE:.+]] = arith.constant 1.250000e-01 : f32
// CHECK: call @mxc_cpu_attention(%[[QA]], %[[KA]], %[[VA]], %[[OA]], %[[SCALE]])
// CHECK: %[[R:.+]] = bufferization.to_tensor %[[O]] restrict writable : memref<8x?x32xf32> to tensor<8x?x32xf32>
// CHECK: return %[[R]]
// CHECK: func.func private @mxc_cpu_attention(memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, f32) attributes {llvm.emit_c_interface}
func.func @prefill(%q: tensor<8x?x64xf32>, %k: tensor<2x?x64xf32>, %v: tensor<2x?x32xf32>) -> tensor<8x?x32xf32> {
  %o = mxc.attention %q, %k, %v : tensor<8x?x64xf32>, tensor<2x?x64xf32>, tensor<2x?x32xf32> -> tensor<8x?x32xf32>
  return %o : tensor<8x?x32xf32>
}

// -----

// An explicit scale is passed as it is.
// CHECK-LABEL: func.func @decode_scale
// CHECK: arith.constant 5.000000e-01 : f32
// CHECK: call @mxc_cpu_attention
func.func @decode_scale(%q: tensor<4x1x16xf32>, %k: tensor<4x9x16xf32>) -> tensor<4x1x16xf32> {
  %o = mxc.attention %q, %k, %k {scale = 0.5 : f64} : tensor<4x1x16xf32>, tensor<4x9x16xf32>, tensor<4x9x16xf32> -> tensor<4x1x16xf32>
  return %o : tensor<4x1x16xf32>
}

// -----

// Not for the kernel: a span table, an EXAQ softmax, bf16 operands.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: call @mxc_cpu_attention
// CHECK-COUNT-3: mxc.attention
// CHECK-NOT: mxc_cpu_attention
func.func @left_alone(%q: tensor<8x1x64xf32>, %k: tensor<4x256x64xf32>, %s: tensor<1x4x2xi32>, %qb: tensor<8x1x64xbf16>, %kb: tensor<4x256x64xbf16>) -> (tensor<8x1x64xf32>, tensor<8x1x64xf32>, tensor<8x1x64xbf16>) {
  %0 = mxc.attention %q, %k, %k spans(%s : tensor<1x4x2xi32>) : tensor<8x1x64xf32>, tensor<4x256x64xf32>, tensor<4x256x64xf32> -> tensor<8x1x64xf32>
  %1 = mxc.attention %q, %k, %k quantized <bits = 2, clip = -6.0> : tensor<8x1x64xf32>, tensor<4x256x64xf32>, tensor<4x256x64xf32> -> tensor<8x1x64xf32>
  %2 = mxc.attention %qb, %kb, %kb : tensor<8x1x64xbf16>, tensor<4x256x64xbf16>, tensor<4x256x64xbf16> -> tensor<8x1x64xbf16>
  return %0, %1, %2 : tensor<8x1x64xf32>, tensor<8x1x64xf32>, tensor<8x1x64xbf16>
}
