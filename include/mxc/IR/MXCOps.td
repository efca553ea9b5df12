//===- MXCOps.td - mxc operations --------------------------*- tablegen -*-===//

#ifndef MXC_IR_MXCOPS_TD
#define MXC_IR_MXCOPS_TD

include "mxc/IR/MXCAttrs.td"
include "mxc/IR/MXCDialect.td"
include "mxc/IR/MXCTypes.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def MXC_FloatTensor : RankedTensorOf<[AnyFloat]>;
def MXC_MXTensor : Type<CPred<"::llvm::isa<::mlir::mxc::MXTensorType>($_self)">,
                        "MX tensor", "::mlir::mxc::MXTensorType">;
def MXC_FloatOrMXTensor : AnyTypeOf<[MXC_FloatTensor, MXC_MXTensor]>;

//===----------------------------------------------------------------------===//
// AssembleOp / DisassembleOp
//===----------------------------------------------------------------------===//

def MXC_AssembleOp : MXC_Op<"assemble", [Pure]> {
  let summary = "MX tensor from its packed storage";
  let description = [{
    Builds an MX tensor from its storage (see `!mxc.mx`): `data` holds the
    packed element codes of each row (`ceil(K / block)` whole blocks of
    `block * bits / 8` bytes, LSB-first bit stream, padding codes 0), `scales`
    one E8M0 scale per block. This is how quantized weight constants enter the
    IR (`arith.constant` or dense resources for both operands), and what the
    lowering of `mxc.quantize` produces.

    | rule | violation |
    |------|-----------|
    | `data` is the result's leading dimensions then its row bytes, as i8 | |
    | `scales` is the leading dimensions then the blocks per row, as f8E8M0FNU | |

    Worked example: one MXFP4 row of 4 elements in a block of 32 is 16 bytes;
    bytes `[0x21, 0x43, 0, ...]` with scale byte 127 (2^0) hold the codes
    1, 2, 3, 4, i.e. the values 0.5, 1.0, 1.5, 2.0.

    ```mlir
    %w = mxc.assemble %data, %scales : tensor<4x96xi8>, tensor<4x6xf8E8M0FNU>
           -> !mxc.mx<4x172xf4E2M1FN>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$data,
                       RankedTensorOf<[F8E8M0FNU]>:$scales);
  let results = (outs MXC_MXTensor:$result);
  let assemblyFormat = [{
    $data `,` $scales attr-dict `:` type($data) `,` type($scales) `->`
    qualified(type($result))
  }];
  let hasVerifier = 1;
}

def MXC_DisassembleOp : MXC_Op<"disassemble", [Pure]> {
  let summary = "packed storage of an MX tensor";
  let description = [{
    The inverse of `mxc.assemble`: the packed element bytes and the E8M0
    scales of an MX tensor. `disassemble(assemble(d, s))` folds to `(d, s)`,
    which is how the lowerings of producers and consumers of MX values meet.

    Rule: the result types are the storage types of the input's MX type.

    ```mlir
    %data, %scales = mxc.disassemble %w : !mxc.mx<4x172xf4E2M1FN>
                       -> tensor<4x96xi8>, tensor<4x6xf8E8M0FNU>
    ```
  }];
  let arguments = (ins MXC_MXTensor:$input);
  let results = (outs RankedTensorOf<[I8]>:$data,
                      RankedTensorOf<[F8E8M0FNU]>:$scales);
  let assemblyFormat = [{
    $input attr-dict `:` qualified(type($input)) `->` type($data) `,`
    type($scales)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

def MXC_QuantizeOp : MXC_Op<"quantize", [Pure]> {
  let summary = "float tensor to MX tensor (OCP MX conversion)";
  let description = [{
    Converts each block of `block` consecutive values along the last axis:

    ```
    shared_exp = clamp(floor(log2(max_i |x_i|)) - emax_elem, -127, 127)
    scale      = shared_exp + 127                       (E8M0 byte)
    element_i  = round(x_i / 2^shared_exp)              (saturating)
    ```

    `rounding` is `to_nearest_even` (default) or `to_nearest_away`. With
    `scale ceil` a block whose largest magnitude the spec's `shared_exp`
    clips (above `max_elem * 2^shared_exp`) takes `shared_exp + 1` instead
    (below 127): the smallest exponent at which nothing saturates. An
    all-zero block gets `shared_exp = -127`. A block that holds a NaN or an
    infinity gets the NaN scale 0xFF and decodes to NaN. A partial last block
    takes its scale from its real elements only (see `!mxc.mx`).

    Rule: the result has the input's shape.

    Worked example (MXFP8 E4M3, emax 8, block 32): a block whose largest
    magnitude is 485 gets `shared_exp = floor(log2 485) - 8 = 0`; 485 then
    saturates to 448, and 400 rounds to 384 (ties to even; 416 with
    `to_nearest_away`). With `scale ceil`, 485 > 448 gives `shared_exp = 1`:
    485 / 2 rounds to 240, i.e. 480 where the spec's exponent gave 448.

    ```mlir
    %q = mxc.quantize %x : tensor<4x64xf32> -> !mxc.mx<4x64xf8E4M3FN>
    %r = mxc.quantize %x to_nearest_away
           : tensor<4x64xf32> -> !mxc.mx<4x64xf8E4M3FN>
    %c = mxc.quantize %x scale ceil
           : tensor<4x64xf32> -> !mxc.mx<4x64xf8E4M3FN>
    ```
  }];
  let arguments = (ins
    MXC_FloatTensor:$input,
    DefaultValuedAttr<MXC_RoundingModeAttr,
                      "::mlir::mxc::RoundingMode::NearestEven">:$rounding,
    DefaultValuedAttr<MXC_ScaleChoiceAttr,
                      "::mlir::mxc::ScaleChoice::Spec">:$scale
  );
  let results = (outs MXC_MXTensor:$result);
  let assemblyFormat = [{
    $input ($rounding^)? (`scale` $scale^)? attr-dict `:` type($input) `->`
    qualified(type($result))
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

def MXC_DequantizeOp : MXC_Op<"dequantize", [Pure]> {
  let summary = "MX tensor to float tensor";
  let description = [{
    Decodes each element and multiplies it by its block's scale:
    `y_i = decode(element_i) * 2^(scale - 127)`; a NaN scale (0xFF) gives NaN
    for the whole block. The products are exact in f32 except where they
    overflow (only reachable for scales that no quantization of f32 values
    produces).

    Rule: the result has the input's shape.

    Worked example (MXFP4): scale byte 125 (2^-2) and element code 0b0110
    (3.0) give 0.75.

    ```mlir
    %y = mxc.dequantize %q : !mxc.mx<4x64xf4E2M1FN> -> tensor<4x64xf32>
    ```
  }];
  let arguments = (ins MXC_MXTensor:$input);
  let results = (outs MXC_FloatTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` qualified(type($input)) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

def MXC_MatmulOp : MXC_Op<"matmul", [Pure]> {
  let summary = "y = x * W^T, a linear layer with an MX (or float) weight";
  let description = [{
    A linear layer: `input` has shape `[..., K]`, `weight` has shape `[N, K]`
    (one row per output feature, as checkpoints store `nn.Linear` weights;
    MX blocks run along the reduction axis K), and the result has shape
    `[..., N]`:

    ```
    y[..., n] = sum_k x[..., k] * W[n, k]
    ```

    The weight is an MX tensor, or a float tensor before quantization: the
    post-training quantization passes (`mxc-rtn`, `mxc-gptq`) replace a float
    weight constant with an MX constant, and `mxc-smoothquant` rescales it.
    The input is a float tensor, or an MX tensor (MX activations) whose
    blocks line up with an MX weight's. Products are accumulated in at least
    f32; the result element type is any float type.

    Calibration statistics ride on the op for the quantization passes:
    `act_absmax`, f32 `[K]`, the per-channel maximum of |x| (SmoothQuant);
    `hessian`, f32 `[K, K]`, `2/N sum x x^T` over N calibration rows (GPTQ).
    Either may be a `dense` or a `dense_resource` elements attribute.

    | rule | violation |
    |------|-----------|
    | the weight has rank 2 | `!mxc.mx<2x4x64xf4E2M1FN>` |
    | input and weight agree on K | `tensor<8x64xf32>` with `!mxc.mx<16x128x...>` |
    | MX input and MX weight have the same block size | blocks of 16 against 32 |
    | the result shape is the input's with K replaced by N | |
    | `act_absmax` is f32 `[K]`, `hessian` f32 `[K, K]` | `dense<1.0> : tensor<3xf32>` for K = 64 |

    Worked example: with x = [1, 2] (K = 2, as f32) and an MX weight of
    shape [1, 2] holding [3, 4], y = [1*3 + 2*4] = [11].

    ```mlir
    %y = mxc.matmul %x, %w
           : tensor<8x64xf32>, !mxc.mx<128x64xf4E2M1FN> -> tensor<8x128xf32>
    %z = mxc.matmul %xq, %w
           : !mxc.mx<8x64xf8E4M3FN>, !mxc.mx<128x64xf4E2M1FN>
           -> tensor<8x128xf32>
    %f = mxc.matmul %x, %wf {act_absmax = dense<...> : tensor<64xf32>}
           : tensor<8x64xf32>, tensor<128x64xf32> -> tensor<8x128xf32>
    ```
  }];
  let arguments = (ins MXC_FloatOrMXTensor:$input, MXC_FloatOrMXTensor:$weight,
                       OptionalAttr<ElementsAttr>:$act_absmax,
                       OptionalAttr<ElementsAttr>:$hessian);
  let results = (outs MXC_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` qualified(type($input)) `,`
    qualified(type($weight)) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

def MXC_SoftmaxOp : MXC_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "softmax over the last axis, exact or EXAQ-quantized";
  let description = [{
    Without `quantized`: the exact softmax over the last axis,
    `y_i = exp(x_i - m) / sum_j exp(x_j - m)` with `m = max_j x_j`.

    With `quantized <bits = b, clip = c>` (an `#mxc.exaq` attribute): the
    max-subtracted inputs `d = x - m` are quantized to `b` bits on `[c, 0]`,
    the exponent is a `2^b`-entry table, and the sum is
    `sum_q count_q * LUT[q]` (see `#mxc.exaq`). Lowerings use the table and
    per-row code counts, which is what makes the accumulation cheap.

    Values of `-inf` (masked positions) contribute nothing in both modes. A
    row that is entirely `-inf` yields zeros, not NaN.

    Calibration statistics of the input (`stats`, an `#mxc.softmax_stats`)
    may ride along; `mxc-softmax-clip` turns them into `quantized`.

    Rule: the input has rank >= 1.

    Worked example (2 bits, clip -3, levels -3, -2, -1, 0): the row
    [0, -0.9, -2.2, -7] is quantized to codes [3, 2, 1, 0]; the sum is
    1 + e^-1 + e^-2 + e^-3 = 1.553, so y = [0.644, 0.237, 0.087, 0.032].

    ```mlir
    %y = mxc.softmax %x : tensor<4x128xf32>
    %z = mxc.softmax %x quantized <bits = 2, clip = -5.5> : tensor<4x128xf32>
    ```
  }];
  let arguments = (ins MXC_FloatTensor:$input, OptionalAttr<MXC_ExaqAttr>:$quant,
                       OptionalAttr<MXC_SoftmaxStatsAttr>:$stats);
  let results = (outs MXC_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`quantized` $quant^)? attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

def MXC_AttentionOp : MXC_Op<"attention", [Pure, AttrSizedOperandSegments]> {
  let summary = "causal grouped-query attention, optionally span-sparse";
  let description = [{
    Scaled dot-product attention with a causal mask and grouped-query heads:

    * `query` is `[H, Sq, D]`, `key` is `[Hkv, Skv, D]`, `value` is
      `[Hkv, Skv, Dv]`, the result is `[H, Sq, Dv]`; `H` is a multiple of
      `Hkv` and query head `h` reads key/value head `h / (H / Hkv)`.
    * Queries are the last `Sq` positions of the key sequence: query row `i`
      sits at position `p_i = Skv - Sq + i` (decode: `Sq = 1`, `p = Skv - 1`;
      prefill: `Sq = Skv`). Key `j` is causal-visible from row `i` iff
      `j <= p_i`.
    * `scale` multiplies `q . k` (default `1 / sqrt(D)`).
    * `quantized <bits, clip>` makes the softmax EXAQ-quantized (as in
      `mxc.softmax`); `stats` (an `#mxc.softmax_stats` of the scaled,
      masked, max-subtracted scores) is what `mxc-softmax-clip` reads to
      choose it.
    * `tile` (default 64) is the number of keys per KV tile that a lowering
      walks; span-sparse lowerings skip tiles that no span touches.

    **Span table** (optional `spans` operand, shape `[Sq, S, 2]`, i32 or i64):
    row `i` lists up to `S` half-open key ranges `[start, end)` that query `i`
    may attend to; a slot with `start >= end` is empty (pad with `[0, 0]`).
    With a span table, key `j` is visible from row `i` iff it is
    causal-visible and either lies in one of row `i`'s spans, or
    `j < sink` (the first `sink` tokens, attention sinks, always stay), or
    `j == p_i` and `keep_self` is set. Ranges past the causal limit are cut at
    it. Without a span table, every causal-visible key is visible.

    A query row that sees no key at all yields a zero vector (never NaN).

    **Tile mask** (optional `tile_mask` operand, only with a span table;
    `mxc-attention-tile-mask` computes it): shape `[Sq, ceil(Skv / tile)]`,
    i8, the state of each KV tile for each query row: 0 when no key of the
    tile is visible (a kernel skips the tile), 2 when every key is (no
    element mask), 1 otherwise. It must agree with the span table; it only
    tells a lowering what it may skip.

    | rule | violation |
    |------|-----------|
    | query, key and value have rank 3 | `tensor<4x8xf32>` query |
    | query, key and value share one element type; so does the result | |
    | key and value agree on heads and sequence length | |
    | query and key agree on the head dimension D | |
    | query heads are a multiple of key/value heads | 6 query heads, 4 kv heads |
    | no more queries than keys (Sq <= Skv) | |
    | result shape is `[H, Sq, Dv]` | |
    | span table shape is `[Sq, S, 2]` | |
    | a tile mask comes with a span table and has shape `[Sq, ceil(Skv / tile)]` | |
    | scale is positive and finite | `scale = -1.0` |
    | tile is positive; sink is non-negative | |
    | `sink` and `keep_self` only with a span table | |

    Worked example: one head, D = 1, q = [0], keys [1, 2, 3], values
    [10, 20, 30]; the single query sits at position 2. With spans [[0, 1]]
    and `keep_self`, keys 0 (in the span) and 2 (the query's own position)
    are visible; every score is 0, so both get weight 1/2 and the result is
    (10 + 30) / 2 = 20. Without `keep_self` only key 0 is visible: 10.

    ```mlir
    %o = mxc.attention %q, %k, %v
           : tensor<8x1x64xf32>, tensor<4x256x64xf32>, tensor<4x256x64xf32>
           -> tensor<8x1x64xf32>
    %s = mxc.attention %q, %k, %v spans(%t : tensor<1x4x2xi32>)
           quantized <bits = 2, clip = -6.0> {sink = 1 : i64, keep_self}
           : tensor<8x1x64xf32>, tensor<4x256x64xf32>, tensor<4x256x64xf32>
           -> tensor<8x1x64xf32>
    ```
  }];
  let arguments = (ins
    MXC_FloatTensor:$query,
    MXC_FloatTensor:$key,
    MXC_FloatTensor:$value,
    Optional<RankedTensorOf<[I32, I64]>>:$spans,
    Optional<RankedTensorOf<[I8]>>:$tile_mask,
    OptionalAttr<F64Attr>:$scale,
    DefaultValuedAttr<I64Attr, "64">:$tile,
    DefaultValuedAttr<I64Attr, "0">:$sink,
    UnitAttr:$keep_self,
    OptionalAttr<MXC_ExaqAttr>:$quant,
    OptionalAttr<MXC_SoftmaxStatsAttr>:$stats
  );
  let results = (outs MXC_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`spans` `(` $spans^ `:` type($spans) `)`)?
    (`tile_mask` `(` $tile_mask^ `:` type($tile_mask) `)`)?
    (`quantized` $quant^)?
    attr-dict `:` type($query) `,` type($key) `,` type($value) `->`
    type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The score scale: the `scale` attribute, or 1/sqrt(D) without one.
    double getScaleValue();
  }];
}

#endif // MXC_IR_MXCOPS_TD
