// convert-mxc-quantize-to-cpu: a 2-D quantize-dequantize round trip with an
// f32 result becomes one call of mxc's CPU kernel on buffers; anything else
// stays for the generated conversion.

// RUN: mxc-opt %s --split-input-file --convert-mxc-quantize-to-cpu | FileCheck %s

// The quantize's input, a fresh buffer, the format (0: E4M3), the block size,
// the rounding (0: to nearest even) and the scale choice (0: the spec's); the
// quantize goes.
// CHECK-LABEL: func.func @round_trip
// CHECK-SAME: (%[[X:.+]]: tensor<?x64xf32>)
// CHECK-NOT: mxc.quantize
// CHECK: %[[ROWS:.+]] = tensor.dim %[[X]], %c0
// CHECK: %[[Y:.+]] = memref.alloc(%[[ROWS]]) : memref<?x64xf32>
// CHECK: %[[XB:.+]] = bufferization.to_buffer %[[X]] read_only : tensor<?x64xf32> to memref<?x64xf32, strided<[?, ?], offset: ?>>
// CHECK: %[[XANY:.+]] = memref.cast %[[XB]]
// CHECK: %[[YANY:.+]] = memref.cast %[[Y]] : memref<?x64xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: %[[FORMAT:.+]] = arith.constant 0 : i32
// CHECK: %[[BLOCK:.+]] = arith.constant 32 : i64
// CHECK: %[[ROUNDING:.+]] = arith.constant 0 : i32
// CHECK: %[[SCALES:.+]] = arith.constant 0 : i32
// CHECK: call @mxc_cpu_quantize_dequantize(%[[XANY]], %[[YANY]], %[[FORMAT]], %[[BLOCK]], %[[ROUNDING]], %[[SCALES]])
// CHECK: %[[R:.+]] = bufferization.to_tensor %[[Y]] restrict writable : memref<?x64xf32> to tensor<?x64xf32>
// CHECK-NOT: mxc.dequantize
// CHECK: return %[[R]], %[[R]]
// CHECK: func.func private @mxc_cpu_quantize_dequantize(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i32, i64, i32, i32) attributes {llvm.emit_c_interface}
func.func @round_trip(%x: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %q = mxc.quantize %x : tensor<?x64xf32> -> !mxc.mx<?x64xf8E4M3FN>
  %a = mxc.dequantize %q : !mxc.mx<?x64xf8E4M3FN> -> tensor<?x64xf32>
  %b = mxc.dequantize %q : !mxc.mx<?x64xf8E4M3FN> -> tensor<?x64xf32>
  return %a, %b : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// bf16 input is widened first; MXINT8 (5), blocks of 16, ties away (1),
// scale ceil (2). The quantize stays for its other reader.
// CHECK-LABEL: func.func @widened
// CHECK: %[[Q:.+]] = mxc.quantize
// CHECK: %[[XF:.+]] = arith.extf %{{.+}} : tensor<3x40xbf16> to tensor<3x40xf32>
// CHECK: memref.alloc() : memref<3x40xf32>
// CHECK: bufferization.to_buffer %[[XF]] read_only
// CHECK-DAG: arith.constant 5 : i32
// CHECK-DAG: arith.constant 16 : i64
// CHECK-DAG: arith.constant 1 : i32
// CHECK-DAG: arith.constant 2 : i32
// CHECK: call @mxc_cpu_quantize_dequantize(
// CHECK: return %{{.+}}, %[[Q]]
func.func @widened(%x: tensor<3x40xbf16>) -> (tensor<3x40xf32>, !mxc.mx<3x40xi8, block = 16>) {
  %q = mxc.quantize %x to_nearest_away scale ceil : tensor<3x40xbf16> -> !mxc.mx<3x40xi8, block = 16>
  %d = mxc.dequantize %q : !mxc.mx<3x40xi8, block = 16> -> tensor<3x40xf32>
  return %d, %q : tensor<3x40xf32>, !mxc.mx<3x40xi8, block = 16>
}

// -----

// Left alone: a 3-D round trip, an f16 result, a dequantize of an argument.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-3: mxc.dequantize
// CHECK-NOT: call
func.func @left_alone(%x3: tensor<2x3x64xf32>, %x: tensor<3x64xf32>, %m: !mxc.mx<3x64xf4E2M1FN>)
    -> (tensor<2x3x64xf32>, tensor<3x64xf16>, tensor<3x64xf32>) {
  %q3 = mxc.quantize %x3 : tensor<2x3x64xf32> -> !mxc.mx<2x3x64xf4E2M1FN>
  %a = mxc.dequantize %q3 : !mxc.mx<2x3x64xf4E2M1FN> -> tensor<2x3x64xf32>
  %q = mxc.quantize %x : tensor<3x64xf32> -> !mxc.mx<3x64xf4E2M1FN>
  %b = mxc.dequantize %q : !mxc.mx<3x64xf4E2M1FN> -> tensor<3x64xf16>
  %c = mxc.dequantize %m : !mxc.mx<3x64xf4E2M1FN> -> tensor<3x64xf32>
  return %a, %b, %c : tensor<2x3x64xf32>, tensor<3x64xf16>, tensor<3x64xf32>
}
