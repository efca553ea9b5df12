// One decode step of a Llama-style attention block, in mxc IR: MXFP4 weights,
// MXFP8 activations, a 2-bit EXAQ softmax and span-sparse attention over a
// 256-token KV cache (8 query heads, 4 KV heads, head_dim 16).
//
//   build/bin/mxc-opt examples/mx-layer.mlir --cse

func.func @attention_block(
    %x: tensor<1x128xf32>,                     // hidden state of the new token
    %wq: !mxc.mx<128x128xf4E2M1FN>,            // [out, in] weights in MXFP4
    %wo: !mxc.mx<128x128xf4E2M1FN>,
    %k_cache: tensor<4x256x16xf32>,            // [kv_heads, tokens, head_dim]
    %v_cache: tensor<4x256x16xf32>,
    %spans: tensor<1x4x2xi32>                  // up to 4 [start, end) spans
  ) -> tensor<1x128xf32> {
  // MXFP8 activations: 4 blocks of 32 along the hidden dimension.
  %xq = mxc.quantize %x : tensor<1x128xf32> -> !mxc.mx<1x128xf8E4M3FN>
  %q = mxc.matmul %xq, %wq
         : !mxc.mx<1x128xf8E4M3FN>, !mxc.mx<128x128xf4E2M1FN> -> tensor<1x128xf32>
  // Head h takes q[16h, 16h + 16).
  %qf = tensor.collapse_shape %q [[0, 1]] : tensor<1x128xf32> into tensor<128xf32>
  %qh = tensor.expand_shape %qf [[0, 1, 2]] output_shape [8, 1, 16]
          : tensor<128xf32> into tensor<8x1x16xf32>
  // The query attends to its spans, the first token and itself; KV tiles of
  // 64 tokens that no span touches are skipped.
  %o = mxc.attention %qh, %k_cache, %v_cache spans(%spans : tensor<1x4x2xi32>)
         quantized <bits = 2, clip = -5.5> {sink = 1 : i64, keep_self}
         : tensor<8x1x16xf32>, tensor<4x256x16xf32>, tensor<4x256x16xf32>
         -> tensor<8x1x16xf32>
  %oc = tensor.collapse_shape %o [[0, 1, 2]] : tensor<8x1x16xf32> into tensor<128xf32>
  %of = tensor.expand_shape %oc [[0, 1]] output_shape [1, 128]
          : tensor<128xf32> into tensor<1x128xf32>
  %oq = mxc.quantize %of : tensor<1x128xf32> -> !mxc.mx<1x128xf8E4M3FN>
  %y = mxc.matmul %oq, %wo
         : !mxc.mx<1x128xf8E4M3FN>, !mxc.mx<128x128xf4E2M1FN> -> tensor<1x128xf32>
  return %y : tensor<1x128xf32>
}
