// convert-mxc-attention-to-cpu: a causal f32 attention becomes a call of
// mxc's CPU attention kernel on buffers (any strides) with its scale, and
// with an EXAQ softmax the quantizer's table, clip and inverse step;
// span-sparse and non-f32 attentions stay for the generated lowering.

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

// An EXAQ softmax: the kernel's EXAQ entry point with the quantizer's table
// (here the attribute's), its clip and 1 / step = 3 / 6 = 0.5.
// CHECK-LABEL: func.func @exaq
// CHECK: %[[SCALE:.+]] = arith.constant 1.250000e-01 : f32
// CHECK: %[[T:.+]] = arith.constant dense<[0.000000e+00, 1.000000e-01, 4.000000e-01, 1.000000e+00]> : tensor<4xf32>
// CHECK: %[[TB:.+]] = bufferization.to_buffer %[[T]] read_only
// CHECK: %[[TA:.+]] = memref.cast %[[TB]] : {{.*}} to memref<?xf32, strided<[?], offset: ?>>
// CHECK: %[[CLIP:.+]] = arith.constant -6.000000e+00 : f32
// CHECK: %[[INV:.+]] = arith.constant 5.000000e-01 : f32
// CHECK: call @mxc_cpu_attention_exaq({{.*}}, %[[SCALE]], %[[TA]], %[[CLIP]], %[[INV]])
// CHECK-NOT: mxc.attention
// CHECK: func.func private @mxc_cpu_attention_exaq({{.*}}, f32, memref<?xf32, strided<[?], offset: ?>>, f32, f32) attributes {llvm.emit_c_interface}
func.func @exaq(%q: tensor<8x1x64xf32>, %k: tensor<4x256x64xf32>) -> tensor<8x1x64xf32> {
  %o = mxc.attention %q, %k, %k quantized <bits = 2, clip = -6.0, zero_floor = true, table = [0.0, 0.1, 0.4, 1.0]> : tensor<8x1x64xf32>, tensor<4x256x64xf32>, tensor<4x256x64xf32> -> tensor<8x1x64xf32>
  return %o : tensor<8x1x64xf32>
}

// -----

// Without a table, EXAQ's: e^-6, e^-4, e^-2, 1.
// CHECK-LABEL: func.func @exaq_levels
// CHECK: arith.constant dense<[0.00247875{{[0-9]*}}, 0.0183156{{[0-9]*}}, 0.135335{{[0-9]*}}, 1.000000e+00]> : tensor<4xf32>
// CHECK: call @mxc_cpu_attention_exaq
func.func @exaq_levels(%q: tensor<8x1x64xf32>, %k: tensor<4x256x64xf32>) -> tensor<8x1x64xf32> {
  %o = mxc.attention %q, %k, %k quantized <bits = 2, clip = -6.0> : tensor<8x1x64xf32>, tensor<4x256x64xf32>, tensor<4x256x64xf32> -> tensor<8x1x64xf32>
  return %o : tensor<8x1x64xf32>
}

// -----

// Not for the kernel: a span table, bf16 operands.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: call @mxc_cpu_attention
// CHECK-COUNT-2: mxc.attention
// CHECK-NOT: mxc_cpu_attention
func.func @left_alone(%q: tensor<8x1x64xf32>, %k: tensor<4x256x64xf32>, %s: tensor<1x4x2xi32>, %qb: tensor<8x1x64xbf16>, %kb: tensor<4x256x64xbf16>) -> (tensor<8x1x64xf32>, tensor<8x1x64xbf16>) {
  %0 = mxc.attention %q, %k, %k spans(%s : tensor<1x4x2xi32>) quantized <bits = 2, clip = -6.0> : tensor<8x1x64xf32>, tensor<4x256x64xf32>, tensor<4x256x64xf32> -> tensor<8x1x64xf32>
  %2 = mxc.attention %qb, %kb, %kb : tensor<8x1x64xbf16>, tensor<4x256x64xbf16>, tensor<4x256x64xbf16> -> tensor<8x1x64xbf16>
  return %0, %2 : tensor<8x1x64xf32>, tensor<8x1x64xbf16>
}
