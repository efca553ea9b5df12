// convert-mxc-matmul-to-cpu: a matmul with an MX or f32 weight and an f32
// result becomes a call of mxc's CPU kernel on buffers (any strides); other
// matmuls stay for the generic lowering.

// RUN: mxc-opt %s --split-input-file --convert-mxc-matmul-to-cpu | FileCheck %s

// The weight's storage and its scales (as bytes) go to the kernel with the
// format (4: E2M1) and the block size; the kernel writes a fresh buffer.
// CHECK-LABEL: func.func @mx_weight
// CHECK-SAME: (%[[X:.+]]: tensor<?x48xf32>, %[[D:.+]]: tensor<8x32xi8>, %[[S:.+]]: tensor<8x2xf8E8M0FNU>)
// CHECK: %[[ROWS:.+]] = tensor.dim %[[X]], %c0
// CHECK: %[[Y:.+]] = memref.alloc(%[[ROWS]]) : memref<?x8xf32>
// CHECK: %[[YANY:.+]] = memref.cast %[[Y]] : memref<?x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: %[[SB:.+]] = arith.bitcast %[[S]] : tensor<8x2xf8E8M0FNU> to tensor<8x2xi8>
// CHECK: %[[XB:.+]] = bufferization.to_buffer %[[X]] read_only : tensor<?x48xf32> to memref<?x48xf32, strided<[?, ?], offset: ?>>
// CHECK: %[[XANY:.+]] = memref.cast %[[XB]]
// CHECK: %[[DB:.+]] = bufferization.to_buffer %[[D]] read_only : tensor<8x32xi8>
// CHECK: %[[DANY:.+]] = memref.cast %[[DB]]
// CHECK: %[[SBUF:.+]] = bufferization.to_buffer %[[SB]] read_only : tensor<8x2xi8>
// CHECK: %[[SANY:.+]] = memref.cast %[[SBUF]]
// CHECK: %[[FORMAT:.+]] = arith.constant 4 : i32
// CHECK: %[[BLOCK:.+]] = arith.constant 32 : i64
// CHECK: call @mxc_cpu_matmul_mx(%[[XANY]], %[[DANY]], %[[SANY]], %[[YANY]], %[[FORMAT]], %[[BLOCK]])
// CHECK: %[[R:.+]] = bufferization.to_tensor %[[Y]] restrict writable : memref<?x8xf32> to tensor<?x8xf32>
// CHECK: return %[[R]]
// CHECK: func.func private @mxc_cpu_matmul_mx(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i32, i64) attributes {llvm.emit_c_interface}
func.func @mx_weight(%x: tensor<?x48xf32>, %d: tensor<8x32xi8>, %s: tensor<8x2xf8E8M0FNU>) -> tensor<?x8xf32> {
  %w = mxc.assemble %d, %s : tensor<8x32xi8>, tensor<8x2xf8E8M0FNU> -> !mxc.mx<8x48xf4E2M1FN>
  %y = mxc.matmul %x, %w : tensor<?x48xf32>, !mxc.mx<8x48xf4E2M1FN> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A weight's constant scales become bytes at compile time, not a bitcast
// that runs at every call: a dense constant bitcast, a resource (large
// weights) the same blob seen as i8.
// CHECK-LABEL: func.func @constant_scales
// CHECK-NOT: arith.bitcast
// CHECK-DAG: %[[S1:.+]] = arith.constant dense<{{\[}}[127, 126], [125, 124]]> : tensor<2x2xi8>
// CHECK-DAG: %[[S2:.+]] = arith.constant dense_resource<scales> : tensor<2x2xi8>
// CHECK-DAG: bufferization.to_buffer %[[S1]] read_only
// CHECK-DAG: bufferization.to_buffer %[[S2]] read_only
// CHECK: return
func.func @constant_scales(%x: tensor<?x64xf32>, %d: tensor<2x32xi8>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %s1 = arith.constant dense<[[1.0, 0.5], [0.25, 0.125]]> : tensor<2x2xf8E8M0FNU>
  %s2 = arith.constant dense_resource<scales> : tensor<2x2xf8E8M0FNU>
  %w1 = mxc.assemble %d, %s1 : tensor<2x32xi8>, tensor<2x2xf8E8M0FNU> -> !mxc.mx<2x64xf4E2M1FN>
  %w2 = mxc.assemble %d, %s2 : tensor<2x32xi8>, tensor<2x2xf8E8M0FNU> -> !mxc.mx<2x64xf4E2M1FN>
  %y1 = mxc.matmul %x, %w1 : tensor<?x64xf32>, !mxc.mx<2x64xf4E2M1FN> -> tensor<?x2xf32>
  %y2 = mxc.matmul %x, %w2 : tensor<?x64xf32>, !mxc.mx<2x64xf4E2M1FN> -> tensor<?x2xf32>
  return %y1, %y2 : tensor<?x2xf32>, tensor<?x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      scales: "0x010000007F7E7D7C"
    }
  }
#-}

// -----

// MX activations are dequantized first; a weight that is not an
// mxc.assemble gives its storage through mxc.disassemble; MXINT8 is format 5,
// blocks of 16 pass as they are; activations in blocks of 16 are any f32 to
// the kernel.
// CHECK-LABEL: func.func @mx_input
// CHECK: %[[XF:.+]] = mxc.dequantize %{{.+}} : !mxc.mx<2x64xf8E4M3FN, block = 16> -> tensor<2x64xf32>
// CHECK: mxc.disassemble %{{.+}} : !mxc.mx<4x64xi8, block = 16>
// CHECK: bufferization.to_buffer %[[XF]] read_only
// CHECK: %[[FORMAT:.+]] = arith.constant 5 : i32
// CHECK: %[[BLOCK:.+]] = arith.constant 16 : i64
// CHECK: call @mxc_cpu_matmul_mx(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[FORMAT]], %[[BLOCK]])
func.func @mx_input(%x: !mxc.mx<2x64xf8E4M3FN, block = 16>, %w: !mxc.mx<4x64xi8, block = 16>) -> tensor<2x4xf32> {
  %y = mxc.matmul %x, %w : !mxc.mx<2x64xf8E4M3FN, block = 16>, !mxc.mx<4x64xi8, block = 16> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// MX activations in blocks of 32 go to the entry that takes their format
// (5: MXINT8): the kernel multiplies their integers with an MXFP4 weight's.
// CHECK-LABEL: func.func @mxint8_input
// CHECK: %[[FORMAT:.+]] = arith.constant 4 : i32
// CHECK: %[[BLOCK:.+]] = arith.constant 32 : i64
// CHECK: %[[XFORMAT:.+]] = arith.constant 5 : i32
// CHECK: call @mxc_cpu_matmul_mx_activations(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[FORMAT]], %[[BLOCK]], %[[XFORMAT]])
// CHECK: func.func private @mxc_cpu_matmul_mx_activations({{.*}}, i32, i64, i32) attributes {llvm.emit_c_interface}
func.func @mxint8_input(%x: !mxc.mx<2x64xi8>, %w: !mxc.mx<4x64xf4E2M1FN>) -> tensor<2x4xf32> {
  %y = mxc.matmul %x, %w : !mxc.mx<2x64xi8>, !mxc.mx<4x64xf4E2M1FN> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// bf16 activations are widened to f32; an f32 weight goes as it is.
// CHECK-LABEL: func.func @f32_weight
// CHECK: %[[XF:.+]] = arith.extf %{{.+}} : tensor<3x40xbf16> to tensor<3x40xf32>
// CHECK: bufferization.to_buffer %[[XF]] read_only
// CHECK: call @mxc_cpu_matmul_f32(
// CHECK-NOT: @mxc_cpu_matmul_mx
// CHECK: func.func private @mxc_cpu_matmul_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
func.func @f32_weight(%x: tensor<3x40xbf16>, %w: tensor<5x40xf32>) -> tensor<3x5xf32> {
  %y = mxc.matmul %x, %w : tensor<3x40xbf16>, tensor<5x40xf32> -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

// Left to the generic lowering: a bf16 weight, an f16 result, a 3-D input.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-3: mxc.matmul
// CHECK-NOT: call
func.func @left_alone(%x: tensor<3x64xf32>, %wb: tensor<5x64xbf16>, %w: !mxc.mx<5x64xf4E2M1FN>, %x3: tensor<2x3x64xf32>)
    -> (tensor<3x5xf32>, tensor<3x5xf16>, tensor<2x3x5xf32>) {
  %a = mxc.matmul %x, %wb : tensor<3x64xf32>, tensor<5x64xbf16> -> tensor<3x5xf32>
  %b = mxc.matmul %x, %w : tensor<3x64xf32>, !mxc.mx<5x64xf4E2M1FN> -> tensor<3x5xf16>
  %c = mxc.matmul %x3, %w : tensor<2x3x64xf32>, !mxc.mx<5x64xf4E2M1FN> -> tensor<2x3x5xf32>
  return %a, %b, %c : tensor<3x5xf32>, tensor<3x5xf16>, tensor<2x3x5xf32>
}
