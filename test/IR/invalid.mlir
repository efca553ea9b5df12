// RUN: mxc-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// !mxc.mx
//===----------------------------------------------------------------------===//

// expected-error @+1 {{element type 'f16' is not an MX element format; expected f8E4M3FN, f8E5M2, f6E2M3FN, f6E3M2FN, f4E2M1FN or i8 (MXINT8)}}
func.func private @elem_f16(%x: !mxc.mx<4x32xf16>)

// -----

// expected-error @+1 {{element type 'i4' is not an MX element format}}
func.func private @elem_i4(%x: !mxc.mx<4x32xi4>)

// -----

// expected-error @+1 {{element type 'f8E4M3FNUZ' is not an MX element format}}
func.func private @elem_fnuz(%x: !mxc.mx<4x32xf8E4M3FNUZ>)

// -----

// expected-error @+1 {{an MX tensor needs at least one dimension (the block axis)}}
func.func private @rank0(%x: !mxc.mx<f4E2M1FN>)

// -----

// expected-error @+1 {{the block axis (the last dimension) must be static}}
func.func private @dynamic_block_axis(%x: !mxc.mx<4x?xf4E2M1FN>)

// -----

// expected-error @+1 {{the block axis (the last dimension) must not be empty}}
func.func private @empty_block_axis(%x: !mxc.mx<4x0xf4E2M1FN>)

// -----

// expected-error @+1 {{block size must be positive, got 0}}
func.func private @block_zero(%x: !mxc.mx<4x32xf8E4M3FN, block = 0>)

// -----

// expected-error @+1 {{block size must be positive, got -32}}
func.func private @block_negative(%x: !mxc.mx<4x32xf8E4M3FN, block = -32>)

// -----

// expected-error @+1 {{block size 9223372036854775807 exceeds the maximum of 65536}}
func.func private @block_huge(%x: !mxc.mx<4x32xf8E4M3FN, block = 9223372036854775807>)

// -----

// expected-error @+1 {{a block of 3 'f4E2M1FN' elements (4 bits each) is 12 bits, not a whole number of bytes; use a multiple of 2}}
func.func private @block_fp4_odd(%x: !mxc.mx<4x30xf4E2M1FN, block = 3>)

// -----

// expected-error @+1 {{a block of 6 'f6E3M2FN' elements (6 bits each) is 36 bits, not a whole number of bytes; use a multiple of 4}}
func.func private @block_fp6_unaligned(%x: !mxc.mx<4x30xf6E3M2FN, block = 6>)

// -----

// expected-error @+1 {{expected 'block'}}
func.func private @misspelled_block(%x: !mxc.mx<4x32xf4E2M1FN, blk = 32>)

// -----

// expected-error @+1 {{expected integer value}}
func.func private @block_not_integer(%x: !mxc.mx<4x32xf4E2M1FN, block = big>)

// -----

// expected-error @+1 {{unbalanced '<' character in pretty dialect name}}
func.func private @unterminated(%x: !mxc.mx<4x32xf4E2M1FN)

// -----

// expected-error @+1 {{unknown  type `mxfp4` in dialect `mxc`}}
func.func private @unknown_type(%x: !mxc.mxfp4<4x32>)

//===----------------------------------------------------------------------===//
// #mxc.exaq
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{EXAQ bit width must be in [1, 8], got 0}}
func.func private @exaq_bits0() attributes {q = #mxc.exaq<bits = 0, clip = -4.0>}

// -----

// expected-error @+1 {{EXAQ bit width must be in [1, 8], got -1}}
func.func private @exaq_bits_negative() attributes {q = #mxc.exaq<bits = -1, clip = -4.0>}

// -----

// expected-error @+1 {{EXAQ bit width must be in [1, 8], got 9}}
func.func private @exaq_bits9() attributes {q = #mxc.exaq<bits = 9, clip = -4.0>}

// -----

// expected-error @+1 {{EXAQ clip must be negative and finite, got 5.000000e-01}}
func.func private @exaq_clip_positive() attributes {q = #mxc.exaq<bits = 2, clip = 0.5>}

// -----

// expected-error @+2 {{expected 'true' or 'false'}}
// expected-error @+1 {{failed to parse MXC_ExaqAttr parameter 'zero_floor' which is to be a `bool`}}
func.func private @exaq_zero_floor_integer() attributes {q = #mxc.exaq<bits = 2, clip = -4.0, zero_floor = 1>}

// -----

// expected-error @+1 {{EXAQ clip must be negative and finite, got 0.000000e+00}}
func.func private @exaq_clip_zero() attributes {q = #mxc.exaq<bits = 2, clip = 0.0>}

// -----

// A clip far below f32's range makes every level but the top 0 (and the f32
// clip -inf): refused.
// expected-error @+1 {{EXAQ clip must be at least -1.000000e+02 (the levels are computed in f32, whose smallest value is about e^-103), got -1.000000e+308}}
func.func private @exaq_clip_huge() attributes {q = #mxc.exaq<bits = 2, clip = -1.0e308>}

// -----

// expected-error @+1 {{EXAQ table must have 2^bits = 2 entries, got 3}}
func.func private @exaq_table_size() attributes {q = #mxc.exaq<bits = 1, clip = -4.0, table = [0.1, 0.5, 1.0]>}

// -----

// expected-error @+1 {{EXAQ table entries must not decrease, entry 1 (1.000000e-01) is below entry 0 (5.000000e-01)}}
func.func private @exaq_table_decreasing() attributes {q = #mxc.exaq<bits = 2, clip = -4.0, table = [0.5, 0.1, 0.2, 1.0]>}

// -----

// expected-error @+1 {{EXAQ table entries must be in [0, 1], entry 0 is -1.000000e-01}}
func.func private @exaq_table_negative() attributes {q = #mxc.exaq<bits = 1, clip = -4.0, table = [-0.1, 1.0]>}

// -----

// expected-error @+1 {{EXAQ table's last entry (the row maximum's code) must be 1, got 5.000000e-01}}
func.func private @exaq_table_top() attributes {q = #mxc.exaq<bits = 1, clip = -4.0, table = [0.1, 0.5]>}

// -----

// expected-error @+1 {{EXAQ table's first entry must be 0 with zero_floor, got 1.000000e-01}}
func.func private @exaq_table_floor() attributes {q = #mxc.exaq<bits = 1, clip = -4.0, zero_floor = true, table = [0.1, 1.0]>}

// -----

// expected-error @+1 {{struct is missing required parameter: clip}}
func.func private @exaq_no_clip() attributes {q = #mxc.exaq<bits = 2>}

//===----------------------------------------------------------------------===//
// #mxc.softmax_stats
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{softmax statistics count must be >= 0, got -1}}
func.func private @stats_count() attributes {s = #mxc.softmax_stats<mean = -1.0, std = 1.0, min = -5.0, count = -1>}

// -----

// expected-error @+1 {{softmax statistics std must be finite and >= 0, got -1.000000e+00}}
func.func private @stats_std() attributes {s = #mxc.softmax_stats<mean = -1.0, std = -1.0, min = -5.0, count = 8>}

// -----

// expected-error @+1 {{softmax statistics need min <= mean <= 0 (they describe x - max(x)), got min -5.000000e+00 and mean 5.000000e-01}}
func.func private @stats_positive_mean() attributes {s = #mxc.softmax_stats<mean = 0.5, std = 1.0, min = -5.0, count = 8>}

// -----

// expected-error @+1 {{softmax statistics need min <= mean <= 0 (they describe x - max(x)), got min -1.000000e+00 and mean -2.000000e+00}}
func.func private @stats_min_above_mean() attributes {s = #mxc.softmax_stats<mean = -2.0, std = 1.0, min = -1.0, count = 8>}

// -----

// expected-error @+1 {{softmax statistics sample 1 is 1.500000e+00; samples of x - max(x) are finite and <= 0}}
func.func private @stats_positive_sample() attributes {s = #mxc.softmax_stats<mean = -2.0, std = 1.0, min = -3.0, count = 8, samples = [-1.0, 1.5]>}

//===----------------------------------------------------------------------===//
// mxc.quantize / mxc.dequantize
//===----------------------------------------------------------------------===//

// -----

func.func @quantize_shape(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'mxc.quantize' op result shape [4, 32] does not match the input shape [4, 64]}}
  %q = mxc.quantize %x : tensor<4x64xf32> -> !mxc.mx<4x32xf4E2M1FN>
  return
}

// -----

func.func @quantize_rank(%x: tensor<64xf32>) {
  // expected-error @+1 {{'mxc.quantize' op result shape [1, 64] does not match the input shape [64]}}
  %q = mxc.quantize %x : tensor<64xf32> -> !mxc.mx<1x64xf4E2M1FN>
  return
}

// -----

func.func @quantize_int_input(%x: tensor<4x64xi32>) {
  // expected-error @+1 {{'mxc.quantize' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4x64xi32>'}}
  %q = "mxc.quantize"(%x) : (tensor<4x64xi32>) -> !mxc.mx<4x64xf4E2M1FN>
  return
}

// -----

func.func @quantize_to_tensor(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'mxc.quantize' op result #0 must be MX tensor, but got 'tensor<4x64xf32>'}}
  %q = "mxc.quantize"(%x) : (tensor<4x64xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @quantize_bad_rounding(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{expected ':'}}
  %q = mxc.quantize %x toward_zero : tensor<4x64xf32> -> !mxc.mx<4x64xf4E2M1FN>
  return
}

// -----

func.func @quantize_bad_scale(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{one of the following enum values for attribute 'scale' [spec, ceil]}}
  %q = mxc.quantize %x scale floor : tensor<4x64xf32> -> !mxc.mx<4x64xf4E2M1FN>
  return
}

// -----

func.func @dequantize_shape(%q: !mxc.mx<4x64xf8E5M2>) {
  // expected-error @+1 {{'mxc.dequantize' op result shape [64, 4] does not match the input shape [4, 64]}}
  %x = mxc.dequantize %q : !mxc.mx<4x64xf8E5M2> -> tensor<64x4xf32>
  return
}

// -----

func.func @dequantize_to_int(%q: !mxc.mx<4x64xi8>) {
  // expected-error @+1 {{'mxc.dequantize' op result #0 must be ranked tensor of floating-point values, but got 'tensor<4x64xi8>'}}
  %x = "mxc.dequantize"(%q) : (!mxc.mx<4x64xi8>) -> tensor<4x64xi8>
  return
}

//===----------------------------------------------------------------------===//
// mxc.matmul
//===----------------------------------------------------------------------===//

// -----

func.func @matmul_weight_rank(%x: tensor<8x64xf32>, %w: !mxc.mx<2x16x64xf4E2M1FN>) {
  // expected-error @+1 {{'mxc.matmul' op weight must have rank 2 ([out_features, in_features]), got rank 3}}
  %y = mxc.matmul %x, %w : tensor<8x64xf32>, !mxc.mx<2x16x64xf4E2M1FN> -> tensor<8x16xf32>
  return
}

// -----

func.func @matmul_reduction(%x: tensor<8x64xf32>, %w: !mxc.mx<16x128xf4E2M1FN>) {
  // expected-error @+1 {{'mxc.matmul' op input reduction size 64 does not match the weight's 128}}
  %y = mxc.matmul %x, %w : tensor<8x64xf32>, !mxc.mx<16x128xf4E2M1FN> -> tensor<8x16xf32>
  return
}

// -----

func.func @matmul_block_mismatch(%x: !mxc.mx<8x64xf8E4M3FN, block = 16>, %w: !mxc.mx<16x64xf4E2M1FN>) {
  // expected-error @+1 {{'mxc.matmul' op input block size 16 does not match the weight block size 32}}
  %y = mxc.matmul %x, %w : !mxc.mx<8x64xf8E4M3FN, block = 16>, !mxc.mx<16x64xf4E2M1FN> -> tensor<8x16xf32>
  return
}

// -----

func.func @matmul_result_shape(%x: tensor<8x64xf32>, %w: !mxc.mx<16x64xf4E2M1FN>) {
  // expected-error @+1 {{'mxc.matmul' op result shape [8, 64] does not match the expected [8, 16]}}
  %y = mxc.matmul %x, %w : tensor<8x64xf32>, !mxc.mx<16x64xf4E2M1FN> -> tensor<8x64xf32>
  return
}

// -----

func.func @matmul_result_rank(%x: tensor<2x8x64xf32>, %w: !mxc.mx<16x64xf4E2M1FN>) {
  // expected-error @+1 {{'mxc.matmul' op result shape [16, 16] does not match the expected [2, 8, 16]}}
  %y = mxc.matmul %x, %w : tensor<2x8x64xf32>, !mxc.mx<16x64xf4E2M1FN> -> tensor<16x16xf32>
  return
}

// -----

func.func @matmul_scalar_input(%x: tensor<f32>, %w: !mxc.mx<16x64xf4E2M1FN>) {
  // expected-error @+1 {{'mxc.matmul' op input must have rank >= 1}}
  %y = mxc.matmul %x, %w : tensor<f32>, !mxc.mx<16x64xf4E2M1FN> -> tensor<16xf32>
  return
}

// -----

func.func @matmul_int_weight(%x: tensor<8x64xf32>, %w: tensor<16x64xi8>) {
  // expected-error @+1 {{'mxc.matmul' op operand #1 must be ranked tensor of floating-point values or MX tensor, but got 'tensor<16x64xi8>'}}
  %y = "mxc.matmul"(%x, %w) : (tensor<8x64xf32>, tensor<16x64xi8>) -> tensor<8x16xf32>
  return
}

// -----

func.func @matmul_absmax_shape(%x: tensor<8x64xf32>, %w: tensor<16x64xf32>) {
  // expected-error @+1 {{'mxc.matmul' op 'act_absmax' must be f32 of shape [64], got 'tensor<3xf32>'}}
  %y = mxc.matmul %x, %w {act_absmax = dense<1.0> : tensor<3xf32>} : tensor<8x64xf32>, tensor<16x64xf32> -> tensor<8x16xf32>
  return
}

// -----

func.func @matmul_hessian_type(%x: tensor<8x4xf32>, %w: tensor<16x4xf32>) {
  // expected-error @+1 {{'mxc.matmul' op 'hessian' must be f32 of shape [4, 4], got 'tensor<4x4xf64>'}}
  %y = mxc.matmul %x, %w {hessian = dense<1.0> : tensor<4x4xf64>} : tensor<8x4xf32>, tensor<16x4xf32> -> tensor<8x16xf32>
  return
}

// -----

func.func @matmul_int_input(%x: tensor<8x64xi8>, %w: !mxc.mx<16x64xf4E2M1FN>) {
  // expected-error @+1 {{'mxc.matmul' op operand #0 must be ranked tensor of floating-point values or MX tensor, but got 'tensor<8x64xi8>'}}
  %y = "mxc.matmul"(%x, %w) : (tensor<8x64xi8>, !mxc.mx<16x64xf4E2M1FN>) -> tensor<8x16xf32>
  return
}

//===----------------------------------------------------------------------===//
// mxc.softmax
//===----------------------------------------------------------------------===//

// -----

func.func @softmax_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{'mxc.softmax' op input must have rank >= 1 (softmax runs over the last axis)}}
  %y = mxc.softmax %x : tensor<f32>
  return
}

// -----

func.func @softmax_types(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'mxc.softmax' op requires the same type for all operands and results}}
  %y = "mxc.softmax"(%x) : (tensor<4x8xf32>) -> tensor<4x8xf16>
  return
}

// -----

func.func @softmax_bad_exaq(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{EXAQ bit width must be in [1, 8], got 12}}
  %y = mxc.softmax %x quantized <bits = 12, clip = -3.0> : tensor<4x8xf32>
  return
}

// -----

func.func @softmax_quant_not_exaq(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'mxc.softmax' op attribute 'quant' failed to satisfy constraint}}
  %y = "mxc.softmax"(%x) {quant = 2 : i32} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

//===----------------------------------------------------------------------===//
// mxc.attention
//===----------------------------------------------------------------------===//

// -----

func.func @attention_rank(%q: tensor<8x64xf32>, %k: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'mxc.attention' op query must have rank 3 ([heads, sequence, head_dim]), got rank 2}}
  %o = mxc.attention %q, %k, %k : tensor<8x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x64xf32>
  return
}

// -----

func.func @attention_value_rank(%q: tensor<8x1x64xf32>, %k: tensor<4x16x64xf32>, %v: tensor<16x64xf32>) {
  // expected-error @+1 {{'mxc.attention' op value must have rank 3 ([heads, sequence, head_dim]), got rank 2}}
  %o = mxc.attention %q, %k, %v : tensor<8x1x64xf32>, tensor<4x16x64xf32>, tensor<16x64xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_element_types(%q: tensor<8x1x64xf16>, %k: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'mxc.attention' op query, key, value and result must have the same element type}}
  %o = mxc.attention %q, %k, %k : tensor<8x1x64xf16>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x1x64xf16>
  return
}

// -----

func.func @attention_kv_mismatch(%q: tensor<8x1x64xf32>, %k: tensor<4x16x64xf32>, %v: tensor<4x12x64xf32>) {
  // expected-error @+1 {{'mxc.attention' op key shape [4, 16, 64] and value shape [4, 12, 64] differ in heads or sequence length}}
  %o = mxc.attention %q, %k, %v : tensor<8x1x64xf32>, tensor<4x16x64xf32>, tensor<4x12x64xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_head_dim(%q: tensor<8x1x32xf32>, %k: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'mxc.attention' op query head_dim 32 does not match key head_dim 64}}
  %o = mxc.attention %q, %k, %k : tensor<8x1x32xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_gqa(%q: tensor<6x1x64xf32>, %k: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'mxc.attention' op query heads (6) must be a multiple of key/value heads (4)}}
  %o = mxc.attention %q, %k, %k : tensor<6x1x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<6x1x64xf32>
  return
}

// -----

func.func @attention_more_queries(%q: tensor<8x32x64xf32>, %k: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'mxc.attention' op more queries (32) than keys (16): queries are the last positions of the key sequence}}
  %o = mxc.attention %q, %k, %k : tensor<8x32x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x32x64xf32>
  return
}

// -----

func.func @attention_result(%q: tensor<8x1x64xf32>, %k: tensor<4x16x64xf32>, %v: tensor<4x16x32xf32>) {
  // expected-error @+1 {{'mxc.attention' op result shape [8, 1, 64] does not match the expected [8, 1, 32]}}
  %o = mxc.attention %q, %k, %v : tensor<8x1x64xf32>, tensor<4x16x64xf32>, tensor<4x16x32xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_span_shape(%q: tensor<8x1x64xf32>, %k: tensor<4x16x64xf32>, %s: tensor<1x4x3xi32>) {
  // expected-error @+1 {{'mxc.attention' op span table must have shape [queries, slots, 2], got [1, 4, 3]}}
  %o = mxc.attention %q, %k, %k spans(%s : tensor<1x4x3xi32>) : tensor<8x1x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_span_rows(%q: tensor<8x2x64xf32>, %k: tensor<4x16x64xf32>, %s: tensor<3x4x2xi64>) {
  // expected-error @+1 {{'mxc.attention' op span table has 3 rows but there are 2 queries}}
  %o = mxc.attention %q, %k, %k spans(%s : tensor<3x4x2xi64>) : tensor<8x2x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x2x64xf32>
  return
}

// -----

func.func @attention_span_type(%q: tensor<8x1x64xf32>, %k: tensor<4x16x64xf32>, %s: tensor<1x4x2xf32>) {
  // expected-error @+1 {{'mxc.attention' op operand #3 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<1x4x2xf32>'}}
  %o = mxc.attention %q, %k, %k spans(%s : tensor<1x4x2xf32>) : tensor<8x1x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_tile_mask_without_spans(%q: tensor<8x1x64xf32>, %k: tensor<4x256x64xf32>, %m: tensor<1x4xi8>) {
  // expected-error @+1 {{'mxc.attention' op a tile mask needs a span table}}
  %o = mxc.attention %q, %k, %k tile_mask(%m : tensor<1x4xi8>) : tensor<8x1x64xf32>, tensor<4x256x64xf32>, tensor<4x256x64xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_tile_mask_shape(%q: tensor<8x1x64xf32>, %k: tensor<4x200x64xf32>, %s: tensor<1x4x2xi32>, %m: tensor<1x3xi8>) {
  // expected-error @+1 {{'mxc.attention' op tile mask shape [1, 3] does not match [queries, ceil(keys / tile)] = [1, 4]}}
  %o = mxc.attention %q, %k, %k spans(%s : tensor<1x4x2xi32>) tile_mask(%m : tensor<1x3xi8>) : tensor<8x1x64xf32>, tensor<4x200x64xf32>, tensor<4x200x64xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_sink_without_spans(%q: tensor<8x1x64xf32>, %k: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'mxc.attention' op 'sink' and 'keep_self' apply only to span-sparse attention (with a span table)}}
  %o = mxc.attention %q, %k, %k {sink = 4 : i64} : tensor<8x1x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_keep_self_without_spans(%q: tensor<8x1x64xf32>, %k: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'mxc.attention' op 'sink' and 'keep_self' apply only to span-sparse attention (with a span table)}}
  %o = mxc.attention %q, %k, %k {keep_self} : tensor<8x1x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<8x1x64xf32>, %k: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'mxc.attention' op scale must be positive and finite, got -1.000000e+00}}
  %o = mxc.attention %q, %k, %k {scale = -1.0 : f64} : tensor<8x1x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_tile(%q: tensor<8x1x64xf32>, %k: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'mxc.attention' op tile must be positive, got 0}}
  %o = mxc.attention %q, %k, %k {tile = 0 : i64} : tensor<8x1x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_negative_tile(%q: tensor<8x1x64xf32>, %k: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'mxc.attention' op tile must be positive, got -64}}
  %o = mxc.attention %q, %k, %k {tile = -64 : i64} : tensor<8x1x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_negative_sink(%q: tensor<8x1x64xf32>, %k: tensor<4x16x64xf32>, %s: tensor<1x4x2xi32>) {
  // expected-error @+1 {{'mxc.attention' op sink must be non-negative, got -1}}
  %o = mxc.attention %q, %k, %k spans(%s : tensor<1x4x2xi32>) {sink = -1 : i64} : tensor<8x1x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x1x64xf32>
  return
}

// -----

func.func @attention_bad_exaq(%q: tensor<8x1x64xf32>, %k: tensor<4x16x64xf32>) {
  // expected-error @+1 {{EXAQ clip must be negative and finite, got 1.000000e+00}}
  %o = mxc.attention %q, %k, %k quantized <bits = 2, clip = 1.0> : tensor<8x1x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x1x64xf32>
  return
}
