//===- Passes.td - mxc lowering passes ---------------------*- tablegen -*-===//

#ifndef MXC_CONVERSION_PASSES_TD
#define MXC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def MXCLowerQuantizePass : Pass<"mxc-lower-quantize"> {
  let summary = "Lower mxc.quantize to linalg on tensors";
  let description = [{
    Rewrites every `mxc.quantize` into linalg/tensor/arith IR that computes
    the MX encoding with integer operations (OCP MX v1.0, as the
    `mxc::numerics` library does it), followed by `mxc.assemble` of the packed
    storage:

    1. rows are flattened and padded with +0 to whole blocks;
    2. a reduction computes each block's largest magnitude (NaN-propagating);
    3. the E8M0 scale byte comes from its exponent field:
       `clamp(exp - emax, 0, 254)`, or 0xFF for NaN/Inf blocks;
    4. each element is multiplied by the exact power of two `2^-shared_exp`
       and rounded to the element format on its f32 bit pattern (nearest-even
       or nearest-away, saturating);
    5. codes are packed LSB-first into bytes.

    The input may be f16, bf16 or f32; f64 inputs are rejected, since
    narrowing them would round twice.

    Before:
    ```mlir
    %q = mxc.quantize %x : tensor<4x64xf32> -> !mxc.mx<4x64xf4E2M1FN>
    ```
    After (abridged):
    ```mlir
    %amax = linalg.generic ... arith.maximumf ...   // tensor<4x2xf32>
    %scales = linalg.generic ...                    // tensor<4x2xf8E8M0FNU>
    %codes = linalg.generic ...                     // tensor<4x2x32xi8>
    %bytes = linalg.generic ...                     // tensor<4x2x16xi8>
    %q = mxc.assemble %data, %scales : tensor<4x32xi8>, tensor<4x2xf8E8M0FNU>
           -> !mxc.mx<4x64xf4E2M1FN>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
  let statistics = [
    Statistic<"numLowered", "num-lowered", "Number of mxc.quantize lowered">
  ];
}

def MXCLowerDequantizePass : Pass<"mxc-lower-dequantize"> {
  let summary = "Lower mxc.dequantize to linalg on tensors";
  let description = [{
    Rewrites every `mxc.dequantize` into `mxc.disassemble` of the storage and
    one `linalg.generic` that, for each output element, extracts its code from
    the packed bytes, looks its value up in a `2^bits`-entry table (built from
    the numerics library at compile time), and multiplies it by the block's
    scale `2^(s - 127)` (NaN for s = 0xFF), then converts to the result type.

    Before:
    ```mlir
    %y = mxc.dequantize %q : !mxc.mx<4x64xf4E2M1FN> -> tensor<4x64xf32>
    ```
    After (abridged):
    ```mlir
    %data, %scales = mxc.disassemble %q : ...
    %y = linalg.generic {...} outs(%empty : tensor<4x64xf32>) {
      // code = (data[r, byte] >> shift) & 0xF; y = table[code] * 2^(s - 127)
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let statistics = [
    Statistic<"numLowered", "num-lowered", "Number of mxc.dequantize lowered">
  ];
}

def MXCLowerMatmulPass : Pass<"mxc-lower-matmul"> {
  let summary = "Lower mxc.matmul to a linalg reduction that decodes MX blocks in its body";
  let description = [{
    Rewrites every `mxc.matmul` (`y = x * W^T`, `W` in MX) into one
    `linalg.generic` over `(m, n, block, i)` with `block` and `i` reductions.
    Its body reads the packed weight code and the block's scale and decodes
    them in the inner loop: no float copy of the weight is ever
    materialized. An MX input (activations) is decoded the same way; a float
    input is padded with zeros to whole blocks. Products accumulate in f32,
    and the result is converted to the result type.

    Before:
    ```mlir
    %y = mxc.matmul %x, %w : tensor<8x64xf32>, !mxc.mx<128x64xf4E2M1FN>
           -> tensor<8x128xf32>
    ```
    After (abridged):
    ```mlir
    %wd, %ws = mxc.disassemble %w : ...
    %y = linalg.generic {iterator_types = ["parallel", "parallel",
                                           "reduction", "reduction"]}
           ins(%x3, %ws : tensor<8x2x32xf32>, tensor<128x2xf8E8M0FNU>) ...
    ```
    Inputs and results may be f16, bf16 or f32.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let statistics = [
    Statistic<"numLowered", "num-lowered", "Number of mxc.matmul lowered">
  ];
}

def MXCLowerSoftmaxPass : Pass<"mxc-lower-softmax"> {
  let summary = "Lower mxc.softmax (exact or EXAQ) to linalg and scf on tensors";
  let description = [{
    Rewrites every `mxc.softmax` over the last axis, computing in f32:

    * exact: row max, `exp(x - max)`, row sum, division (a fully masked row,
      max = -inf, gives zeros);
    * EXAQ (`quantized <bits, clip>`): row max; a code per element,
      `round(clamp((x - max - clip) / step, 0, 2^b - 1))`, with masked
      (-inf) positions set apart; a per-row histogram of codes (an `scf.for`
      nest that increments a count per element, which bufferizes in place);
      the row sum as `sum_q count_q * LUT[q]` over the `2^b`-entry exponent
      table; and `y = LUT[q] / sum`. The operations and their order are those
      of `numerics::exaqSoftmaxRow`, so the result is bit-exact with it.

    Before:
    ```mlir
    %y = mxc.softmax %x quantized <bits = 2, clip = -3.0> : tensor<4x128xf32>
    ```
    After (abridged):
    ```mlir
    %max = linalg.generic ... arith.maximumf ...        // tensor<4xf32>
    %codes = linalg.generic ... math.round ...          // tensor<4x128xi32>
    %counts = scf.for ... { scf.for ... tensor.insert } // tensor<4x5xi32>
    %sum = linalg.generic ins(%counts, %lut) ...        // tensor<4xf32>
    %y = linalg.generic ... arith.divf ...              // tensor<4x128xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let statistics = [
    Statistic<"numLowered", "num-lowered", "Number of mxc.softmax lowered">
  ];
}

def MXCLowerAttentionPass : Pass<"mxc-lower-attention"> {
  let summary = "Lower mxc.attention to a tiled online-softmax loop that skips masked KV tiles";
  let description = [{
    Rewrites every `mxc.attention` into a flash-attention style loop
    nest on tensors (scf): for each head and query row, a loop over KV tiles
    of `tile` keys carries the running maximum, the running sum and the
    output accumulator. A tile whose state is 0 is not read at all; a tile in
    state 2 is processed without an element mask; in a tile in state 1 each
    key's visibility (causal, span slots, `sink`, `keep_self`) is evaluated.
    The states come from the `tile_mask` operand (see
    `mxc-attention-tile-mask`) or, without one, from causality alone. Each
    tile's scores go to a scratch tensor, then the sum and accumulator are
    rescaled once by `exp(m - m')` and updated. A row that sees no key gets
    zeros. Scores are f32; f16 and bf16 inputs are extended on load.

    With `count-tiles`, every visited and every skipped tile increments
    element 0 or 1 of the i64 global `@mxc_attention_tile_counts` (the
    module's own if it declares one, so that a program can read them):
    instrumentation for tests and benchmarks.

    With `quantized <bits, clip>` (EXAQ) each row makes two passes over its
    visible tiles: the first finds the row maximum m; the second gives each
    visible key its code q = round(clamp((s - m - clip) / step)), counts it,
    and adds LUT[q] v to the accumulator (LUT[q] = exp(clip + q step), a
    2^bits-entry constant). The sum is sum_q count_q LUT[q], as in
    `mxc-lower-softmax`; a NaN score makes the row NaN. Scores are recomputed
    in the second pass rather than stored (no context-long buffer).
    `numerics::exaqAttentionReference` is the reference.
  }];
  let options = [
    Option<"countTiles", "count-tiles", "bool", /*default=*/"false",
           "Count visited and skipped KV tiles in @mxc_attention_tile_counts">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"
  ];
  let statistics = [
    Statistic<"numLowered", "num-lowered", "Number of mxc.attention lowered">
  ];
}

def MXCCheckLoweredPass : Pass<"mxc-check-lowered", "::mlir::ModuleOp"> {
  let summary = "Fail with a clear error on mxc ops that no lowering removed";
  let description = [{
    Runs after the mxc lowerings of a pipeline. Every mxc op still present
    is reported with what it is and why it cannot go further. That includes
    an op with no lowering yet, and an MX value that crosses a function
    boundary, which the CPU path cannot pass as one value (pass its storage,
    from `mxc.disassemble`, instead). Without this pass, such ops would
    surface later as an opaque bufferization error.
  }];
}

#endif // MXC_CONVERSION_PASSES_TD
