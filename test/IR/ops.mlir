// RUN: mxc-opt %s | mxc-opt | FileCheck %s
// RUN: mxc-opt %s --mlir-print-op-generic | mxc-opt | FileCheck %s

// CHECK-LABEL: func.func @quantize_formats
func.func @quantize_formats(%x: tensor<4x64xf32>) {
  // CHECK: mxc.quantize %{{.*}} : tensor<4x64xf32> -> !mxc.mx<4x64xf8E4M3FN>
  %0 = mxc.quantize %x : tensor<4x64xf32> -> !mxc.mx<4x64xf8E4M3FN>
  // CHECK: mxc.quantize %{{.*}} : tensor<4x64xf32> -> !mxc.mx<4x64xf8E5M2>
  %1 = mxc.quantize %x : tensor<4x64xf32> -> !mxc.mx<4x64xf8E5M2>
  // CHECK: mxc.quantize %{{.*}} : tensor<4x64xf32> -> !mxc.mx<4x64xf6E2M3FN>
  %2 = mxc.quantize %x : tensor<4x64xf32> -> !mxc.mx<4x64xf6E2M3FN>
  // CHECK: mxc.quantize %{{.*}} : tensor<4x64xf32> -> !mxc.mx<4x64xf6E3M2FN>
  %3 = mxc.quantize %x : tensor<4x64xf32> -> !mxc.mx<4x64xf6E3M2FN>
  // CHECK: mxc.quantize %{{.*}} : tensor<4x64xf32> -> !mxc.mx<4x64xf4E2M1FN>
  %4 = mxc.quantize %x : tensor<4x64xf32> -> !mxc.mx<4x64xf4E2M1FN>
  // CHECK: mxc.quantize %{{.*}} : tensor<4x64xf32> -> !mxc.mx<4x64xi8>
  %5 = mxc.quantize %x : tensor<4x64xf32> -> !mxc.mx<4x64xi8>
  return
}

// The default rounding is not printed; the other one is, as in arith.truncf.
// CHECK-LABEL: func.func @quantize_rounding
func.func @quantize_rounding(%x: tensor<4x64xf32>) {
  // CHECK: mxc.quantize %{{.*}} : tensor<4x64xf32>
  %0 = mxc.quantize %x to_nearest_even : tensor<4x64xf32> -> !mxc.mx<4x64xf4E2M1FN>
  // CHECK: mxc.quantize %{{.*}} to_nearest_away : tensor<4x64xf32>
  %1 = mxc.quantize %x to_nearest_away : tensor<4x64xf32> -> !mxc.mx<4x64xf4E2M1FN>
  return
}

// So is the scale choice: spec (the default) or ceil, after the rounding.
// CHECK-LABEL: func.func @quantize_scale
func.func @quantize_scale(%x: tensor<4x64xf32>) {
  // CHECK: mxc.quantize %{{.*}} : tensor<4x64xf32>
  %0 = mxc.quantize %x scale spec : tensor<4x64xf32> -> !mxc.mx<4x64xf8E4M3FN>
  // CHECK: mxc.quantize %{{.*}} scale ceil : tensor<4x64xf32>
  %1 = mxc.quantize %x scale ceil : tensor<4x64xf32> -> !mxc.mx<4x64xf8E4M3FN>
  // CHECK: mxc.quantize %{{.*}} to_nearest_away scale ceil : tensor<4x64xf32>
  %2 = mxc.quantize %x to_nearest_away scale ceil : tensor<4x64xf32> -> !mxc.mx<4x64xf8E4M3FN>
  return
}

// CHECK-LABEL: func.func @quantize_other_inputs
func.func @quantize_other_inputs(%a: tensor<?x64xbf16>, %b: tensor<2x3x172xf16>) {
  // CHECK: mxc.quantize %{{.*}} : tensor<?x64xbf16> -> !mxc.mx<?x64xf8E4M3FN, block = 16>
  %0 = mxc.quantize %a : tensor<?x64xbf16> -> !mxc.mx<?x64xf8E4M3FN, block = 16>
  // A partial last block: 172 = 5 * 32 + 12.
  // CHECK: mxc.quantize %{{.*}} : tensor<2x3x172xf16> -> !mxc.mx<2x3x172xf4E2M1FN>
  %1 = mxc.quantize %b : tensor<2x3x172xf16> -> !mxc.mx<2x3x172xf4E2M1FN>
  return
}

// CHECK-LABEL: func.func @dequantize
func.func @dequantize(%q: !mxc.mx<4x172xf6E3M2FN>, %r: !mxc.mx<?x64xi8, block = 64>) {
  // CHECK: mxc.dequantize %{{.*}} : !mxc.mx<4x172xf6E3M2FN> -> tensor<4x172xf32>
  %0 = mxc.dequantize %q : !mxc.mx<4x172xf6E3M2FN> -> tensor<4x172xf32>
  // CHECK: mxc.dequantize %{{.*}} : !mxc.mx<?x64xi8, block = 64> -> tensor<?x64xbf16>
  %1 = mxc.dequantize %r : !mxc.mx<?x64xi8, block = 64> -> tensor<?x64xbf16>
  return
}

// CHECK-LABEL: func.func @matmul_float_input
func.func @matmul_float_input(%x: tensor<8x64xf32>, %w: !mxc.mx<128x64xf4E2M1FN>) -> tensor<8x128xf32> {
  // CHECK: %[[Y:.+]] = mxc.matmul %{{.*}}, %{{.*}} : tensor<8x64xf32>, !mxc.mx<128x64xf4E2M1FN> -> tensor<8x128xf32>
  %y = mxc.matmul %x, %w : tensor<8x64xf32>, !mxc.mx<128x64xf4E2M1FN> -> tensor<8x128xf32>
  // CHECK: return %[[Y]]
  return %y : tensor<8x128xf32>
}

// CHECK-LABEL: func.func @matmul_mx_input
func.func @matmul_mx_input(%x: !mxc.mx<8x64xf8E4M3FN>, %w: !mxc.mx<128x64xf6E2M3FN>) -> tensor<8x128xf16> {
  // CHECK: mxc.matmul %{{.*}}, %{{.*}} : !mxc.mx<8x64xf8E4M3FN>, !mxc.mx<128x64xf6E2M3FN> -> tensor<8x128xf16>
  %y = mxc.matmul %x, %w : !mxc.mx<8x64xf8E4M3FN>, !mxc.mx<128x64xf6E2M3FN> -> tensor<8x128xf16>
  return %y : tensor<8x128xf16>
}

// Batched and dynamic token dimensions, MXINT8 activations, a partial block.
// CHECK-LABEL: func.func @matmul_batched
func.func @matmul_batched(%x: tensor<2x?x172xf32>, %xi: !mxc.mx<?x172xi8>, %w: !mxc.mx<64x172xf4E2M1FN>) {
  // CHECK: mxc.matmul %{{.*}}, %{{.*}} : tensor<2x?x172xf32>, !mxc.mx<64x172xf4E2M1FN> -> tensor<2x?x64xf32>
  %0 = mxc.matmul %x, %w : tensor<2x?x172xf32>, !mxc.mx<64x172xf4E2M1FN> -> tensor<2x?x64xf32>
  // CHECK: mxc.matmul %{{.*}}, %{{.*}} : !mxc.mx<?x172xi8>, !mxc.mx<64x172xf4E2M1FN> -> tensor<?x64xf32>
  %1 = mxc.matmul %xi, %w : !mxc.mx<?x172xi8>, !mxc.mx<64x172xf4E2M1FN> -> tensor<?x64xf32>
  return
}

// CHECK-LABEL: func.func @softmax
func.func @softmax(%x: tensor<4x128xf32>, %v: tensor<128xf16>) {
  // CHECK: mxc.softmax %{{.*}} : tensor<4x128xf32>
  %0 = mxc.softmax %x : tensor<4x128xf32>
  // CHECK: mxc.softmax %{{.*}} quantized <bits = 2, clip = -5.500000e+00> : tensor<4x128xf32>
  %1 = mxc.softmax %x quantized <bits = 2, clip = -5.5> : tensor<4x128xf32>
  // CHECK: mxc.softmax %{{.*}} quantized <bits = 8, clip = -1.600000e+01> : tensor<128xf16>
  %2 = mxc.softmax %v quantized <bits = 8, clip = -16.0> : tensor<128xf16>
  // A zero floor prints; `zero_floor = false`, the default, does not.
  // CHECK: mxc.softmax %{{.*}} quantized <bits = 2, clip = -4.500000e+00, zero_floor = true> : tensor<4x128xf32>
  %3 = mxc.softmax %x quantized <bits = 2, clip = -4.5, zero_floor = true> : tensor<4x128xf32>
  // CHECK: mxc.softmax %{{.*}} quantized <bits = 2, clip = -4.500000e+00> : tensor<4x128xf32>
  %4 = mxc.softmax %x quantized <bits = 2, clip = -4.5, zero_floor = false> : tensor<4x128xf32>
  // A table prints so that it parses back to the same floats.
  // CHECK: mxc.softmax %{{.*}} quantized <bits = 2, clip = -4.500000e+00, zero_floor = true, table = [0.000000e+00, 0.064999997615814209, 0.23000000417232513, 1.000000e+00]> : tensor<4x128xf32>
  %5 = mxc.softmax %x quantized <bits = 2, clip = -4.5, zero_floor = true, table = [0.0, 0.065, 0.23, 1.0]> : tensor<4x128xf32>
  return
}

// A clip that has no short decimal form survives printing bit for bit.
// CHECK-LABEL: func.func @softmax_exact_clip
func.func @softmax_exact_clip(%x: tensor<4x128xf32>) {
  // CHECK: quantized <bits = 3, clip = -3.3333333333333335>
  %0 = mxc.softmax %x quantized <bits = 3, clip = -3.3333333333333335> : tensor<4x128xf32>
  return
}

// CHECK-LABEL: func.func @attention_dense
func.func @attention_dense(%q: tensor<8x1x64xf32>, %k: tensor<4x256x64xf32>, %v: tensor<4x256x64xf32>) {
  // CHECK: mxc.attention %{{.*}}, %{{.*}}, %{{.*}} : tensor<8x1x64xf32>, tensor<4x256x64xf32>, tensor<4x256x64xf32> -> tensor<8x1x64xf32>
  %0 = mxc.attention %q, %k, %v : tensor<8x1x64xf32>, tensor<4x256x64xf32>, tensor<4x256x64xf32> -> tensor<8x1x64xf32>
  // CHECK: mxc.attention {{.*}} {scale = 1.250000e-01 : f64, tile = 128 : i64} :
  %1 = mxc.attention %q, %k, %v {scale = 0.125 : f64, tile = 128 : i64} : tensor<8x1x64xf32>, tensor<4x256x64xf32>, tensor<4x256x64xf32> -> tensor<8x1x64xf32>
  return
}

// CHECK-LABEL: func.func @attention_span_sparse
func.func @attention_span_sparse(%q: tensor<8x1x64xf32>, %k: tensor<4x256x64xf32>, %s: tensor<1x4x2xi32>) {
  // CHECK: mxc.attention %{{.*}}, %{{.*}}, %{{.*}} spans(%{{.*}} : tensor<1x4x2xi32>) quantized <bits = 2, clip = -6.000000e+00> {keep_self, sink = 1 : i64} :
  %0 = mxc.attention %q, %k, %k spans(%s : tensor<1x4x2xi32>) quantized <bits = 2, clip = -6.0> {sink = 1 : i64, keep_self} : tensor<8x1x64xf32>, tensor<4x256x64xf32>, tensor<4x256x64xf32> -> tensor<8x1x64xf32>
  return
}

// Prefill: as many queries as keys, dynamic sequence, i64 spans, Dv != D.
// CHECK-LABEL: func.func @attention_prefill
func.func @attention_prefill(%q: tensor<8x?x64xbf16>, %k: tensor<2x?x64xbf16>, %v: tensor<2x?x32xbf16>, %s: tensor<?x8x2xi64>) {
  // CHECK: mxc.attention %{{.*}}, %{{.*}}, %{{.*}} spans(%{{.*}} : tensor<?x8x2xi64>) : tensor<8x?x64xbf16>, tensor<2x?x64xbf16>, tensor<2x?x32xbf16> -> tensor<8x?x32xbf16>
  %0 = mxc.attention %q, %k, %v spans(%s : tensor<?x8x2xi64>) : tensor<8x?x64xbf16>, tensor<2x?x64xbf16>, tensor<2x?x32xbf16> -> tensor<8x?x32xbf16>
  return
}

// Calibration statistics ride on softmax and attention.
// CHECK-LABEL: func.func @with_stats
func.func @with_stats(%x: tensor<4x128xf32>) {
  // CHECK: mxc.softmax %{{.*}} {stats = #mxc.softmax_stats<mean = -4.100000e+00, std = 2.900000e+00, min = -1.750000e+01, count = 65536>} : tensor<4x128xf32>
  %0 = mxc.softmax %x {stats = #mxc.softmax_stats<mean = -4.1, std = 2.9, min = -17.5, count = 65536>} : tensor<4x128xf32>
  // CHECK: mxc.softmax %{{.*}} quantized <bits = 2, clip = -3.000000e+00> {stats = #mxc.softmax_stats<mean = -1.000000e+00, std = 5.000000e-01, min = -2.000000e+00, count = 3, samples = [0.000000e+00, -1.000000e+00, -2.000000e+00]>}
  %1 = mxc.softmax %x quantized <bits = 2, clip = -3.0> {stats = #mxc.softmax_stats<mean = -1.0, std = 0.5, min = -2.0, count = 3, samples = [0.0, -1.0, -2.0]>} : tensor<4x128xf32>
  // Samples print with every digit of their float (upstream's f32 array
  // printer keeps six, and -2.666667e+23 parses to another float; found by
  // fuzz-mxc-syntax). The expected digits are Python's repr of float32.
  // CHECK: samples = [-0.10000000149011612, -2.6666667276150056E+23]
  %2 = mxc.softmax %x {stats = #mxc.softmax_stats<mean = -1.0, std = 0.5, min = -3.0e23, count = 2, samples = [-0.1, -266666666666666666666666.0]>} : tensor<4x128xf32>
  return
}

// A tile mask: 200 keys in tiles of 64 are 4 tiles.
// CHECK-LABEL: func.func @attention_tile_mask
func.func @attention_tile_mask(%q: tensor<8x1x64xf32>, %k: tensor<4x200x64xf32>, %s: tensor<1x4x2xi32>, %m: tensor<1x4xi8>) {
  // CHECK: mxc.attention %{{.*}}, %{{.*}}, %{{.*}} spans(%{{.*}} : tensor<1x4x2xi32>) tile_mask(%{{.*}} : tensor<1x4xi8>) {keep_self} :
  %0 = mxc.attention %q, %k, %k spans(%s : tensor<1x4x2xi32>) tile_mask(%m : tensor<1x4xi8>) {keep_self} : tensor<8x1x64xf32>, tensor<4x200x64xf32>, tensor<4x200x64xf32> -> tensor<8x1x64xf32>
  return
}

// A float weight (before quantization) with calibration statistics, inline
// and as a dense resource.
// CHECK-LABEL: func.func @matmul_float_weight
func.func @matmul_float_weight(%x: tensor<8x4xf32>, %w: tensor<16x4xf32>) -> tensor<8x16xf32> {
  // CHECK: mxc.matmul %{{.*}}, %{{.*}} {act_absmax = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>, hessian = dense_resource<h> : tensor<4x4xf32>} : tensor<8x4xf32>, tensor<16x4xf32> -> tensor<8x16xf32>
  %y = mxc.matmul %x, %w {act_absmax = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>, hessian = dense_resource<h> : tensor<4x4xf32>} : tensor<8x4xf32>, tensor<16x4xf32> -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}
