//===- Passes.td - mxc lowering passes ---------------------*- tablegen -*-===//

#ifndef MXC_CONVERSION_PASSES_TD
#define MXC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertMXCToLinalgPass : Pass<"convert-mxc-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower every mxc op, and MX values, to linalg/tensor/arith/scf on tensors";
  let description = [{
    A dialect conversion with a 1:N type conversion: every `!mxc.mx` value
    becomes its storage, two tensors (the packed element bytes and the E8M0
    scales; see `MXTensorType::getDataType` / `getScalesType`):

    | MX type | storage |
    |---------|---------|
    | `!mxc.mx<4x64xf4E2M1FN>` | `tensor<4x32xi8>`, `tensor<4x2xf8E8M0FNU>` |
    | `!mxc.mx<?x172xi8>` | `tensor<?x192xi8>`, `tensor<?x6xf8E8M0FNU>` |

    MX values may therefore cross function signatures, `func.call`,
    `func.return`, `cf.br` and `cf.cond_br`, `scf.for` / `scf.if` / `scf.while` and
    `arith.select` (each carries the pair). Any other op that takes or yields
    an MX value is reported before anything is rewritten.

    The ops:

    * `mxc.assemble` / `mxc.disassemble` become the pair itself;
    * `mxc.quantize` computes the MX encoding with integer operations (OCP MX
      v1.0, as the `mxc::numerics` library does it): rows flattened and
      padded with +0 to whole blocks; each block's NaN-propagating largest
      magnitude; the E8M0 byte `clamp(exp - emax, 0, 254)` from its exponent
      field (0xFF for a NaN/Inf block); each element times the exact
      `2^-shared_exp` rounded on its f32 bit pattern (nearest-even or
      nearest-away, saturating); codes packed LSB-first. f16, bf16 or f32
      inputs (f64 is rejected: narrowing it would round twice);
    * `mxc.dequantize` becomes one `linalg.generic` that extracts each code
      from the packed bytes, looks it up in a `2^bits`-entry table built from
      the numerics library, and multiplies by `2^(s - 127)` (NaN for 0xFF);
    * `mxc.matmul` (`y = x W^T`) becomes one `linalg.generic` over
      `(m, n, block, i)` whose body decodes the weight's code and block scale:
      no float copy of the weight exists. MX activations are decoded once
      into f32 blocks; float activations are zero padded. f32 accumulation;
    * `mxc.softmax`: exact (row max, `exp(x - max)`, sum, division; a fully
      masked row gives zeros) or EXAQ (`quantized <bits, clip>`): a code per
      element, a per-row histogram of codes, the row sum as
      `sum_q count_q LUT[q]` and `y = LUT[q] / sum`, in the operations and
      order of `numerics::exaqSoftmaxRow`, so bit-exact with it;
    * `mxc.attention`: a flash-attention loop nest (an `scf.forall` task per
      query row and head, a loop over KV tiles carrying the running max, sum
      and accumulator). A tile in state 0 (of `tile_mask`, see
      `mxc-attention-tile-mask`, else from causality) is never read, a tile in
      state 2 runs without an element mask, a tile in state 1 evaluates each
      key's visibility. With EXAQ each row makes two passes (max, then codes
      and `LUT[q] v`); `numerics::exaqAttentionReference` is the reference.
      With `count-attention-tiles`, every visited / skipped tile increments
      element 0 / 1 of the i64 global `@mxc_attention_tile_counts` (the
      module's own if it declares one).

    Example:

    ```mlir
    func.func @f(%x: tensor<4x64xf32>, %c: i1) -> !mxc.mx<4x64xf4E2M1FN> {
      %q = mxc.quantize %x : tensor<4x64xf32> -> !mxc.mx<4x64xf4E2M1FN>
      %r = scf.if %c -> (!mxc.mx<4x64xf4E2M1FN>) { ... }
      return %r : !mxc.mx<4x64xf4E2M1FN>
    }
    ```
    becomes
    ```mlir
    func.func @f(%x: tensor<4x64xf32>, %c: i1)
        -> (tensor<4x32xi8>, tensor<4x2xf8E8M0FNU>) {
      ... linalg.generic ...   // %data, %scales
      %r:2 = scf.if %c -> (tensor<4x32xi8>, tensor<4x2xf8E8M0FNU>) { ... }
      return %r#0, %r#1 : tensor<4x32xi8>, tensor<4x2xf8E8M0FNU>
    }
    ```
  }];
  let options = [
    Option<"countAttentionTiles", "count-attention-tiles", "bool",
           /*default=*/"false",
           "Count visited and skipped KV tiles in @mxc_attention_tile_counts">,
    Option<"matmulRowsInnermost", "matmul-rows-innermost", "bool",
           /*default=*/"false",
           "Loop over each matmul's rows innermost (transposing its input and "
           "output): for many rows LLVM's loop vectorizer fills vector lanes "
           "with rows and each weight element is decoded once per (n, k); "
           "the results are identical">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"
  ];
  let statistics = [
    Statistic<"numLowered", "num-lowered", "Number of mxc ops lowered">
  ];
}

def ConvertMXCMatmulToGPUPass
    : Pass<"convert-mxc-matmul-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Make each MX-weight mxc.matmul a call of mxc's GEMV kernel";
  let description = [{
    On the GPU path, before the mxc lowerings: each `mxc.matmul` of a 2-D
    input (f32, or MX activations, dequantized first) with an MX weight from
    `mxc.assemble` (blocks of 32) and an f32 result becomes

    * the input, zero-padded to whole blocks, in a buffer of its own;
    * the weight's packed storage viewed as 32-bit words and its scales as
      bytes (`bufferization.to_buffer`, `memref.view`);
    * a fresh result buffer, returned with `bufferization.to_tensor`;
    * a call of `@mxc_gemv_<format>_b1` for one row (decode), else of
      `@mxc_gemv_<format>_b8` (prefill, tiles of 8 rows), declared with the
      GEMV kernel's signature `(words, scales, x, y, m, n, k)`.

    `mxc-gpu-mx-kernels` later gives those functions their bodies. Other
    matmuls are left to the generic path.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def ConvertMXCAttentionToGPUPass
    : Pass<"convert-mxc-attention-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Make each plain causal mxc.attention a call of mxc's GPU "
                "attention kernel";
  let description = [{
    On the GPU path, before the mxc lowerings: each `mxc.attention` with f32
    operands and result, without a span table, tile mask or `quantized`
    softmax, and with a static head dimension D that the kernel takes (4, 8,
    16, or a multiple of 32 up to 128; the same for keys and values) becomes
    a call of `@mxc_attention_d<D>`, declared with the kernel's signature
    (mxc/GPU/KernelABI.h): `(q, k, v, out, keys, heads, kv_heads, k_stride,
    v_stride, queries, scale)`.

    * q is read contiguous (`bufferization.to_buffer` with the identity
      layout, flattened); the result is a fresh buffer, returned with
      `bufferization.to_tensor`.
    * Keys and values are read where they are: a buffer whose rows of D
      elements are contiguous, with any distance between KV heads (a
      layer's slice of a KV cache `[layers, kv_heads, max_keys, D]`), passed
      as a 1-D view from its first element (`memref.reinterpret_cast` of the
      base buffer at its offset) and that distance.

    `mxc-gpu-mx-kernels` later gives the function its body: the kernel,
    launched with one block per (head, query row), or the same attention as
    CPU loops. Other attentions are left to the generic lowering.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def ConvertMXCMatmulToCPUPass
    : Pass<"convert-mxc-matmul-to-cpu", "::mlir::ModuleOp"> {
  let summary = "Make each MX- or f32-weight mxc.matmul a call of mxc's CPU "
                "matmul kernel";
  let description = [{
    On the CPU path, before the mxc lowerings (`mxc-lower-to-llvm` with
    `matmul-kernels=true`; what `mxc-compile` and `mxc-run` use): each
    `mxc.matmul` of a 2-D input (f32, f16 or bf16, or MX activations,
    dequantized first) with an MX weight (any format and block size) or an f32
    weight, and an f32 result, becomes

    * the input as an f32 buffer (`bufferization.to_buffer`, read only);
    * the weight's packed storage and scales as byte buffers (an f32 weight as
      it is);
    * a fresh result buffer, returned with `bufferization.to_tensor`;
    * a call of `@mxc_cpu_matmul_mx(x, data, scales, y, format, block)`
      (`@mxc_cpu_matmul_f32(x, w, y)`), declared with `llvm.emit_c_interface`:
      mxc's CPU kernel library (mxc/Runtime/CPUKernels.h) defines
      `_mlir_ciface_mxc_cpu_matmul_mx` and links into mxc's tools, its Python
      module and `libmxc_cpu_kernels.so` (for `mlir-runner`).

    The kernel decodes each weight column once per call in SIMD registers
    and splits the columns over threads. Below 16 rows it reuses a decoded
    column across up to 4 rows and sums in 16 f32 lanes; from 16 rows on it
    runs as a GEMM (a tile of decoded columns against 48 rows at a time) and
    each output is a multiply-add chain in k order. Either way the results
    equal the generic lowering's within f32 rounding, not bit for bit. Other
    matmuls are left to the generic lowering.

    ```mlir
    %y = mxc.matmul %x, %w : tensor<1x64xf32>, !mxc.mx<16x64xf4E2M1FN>
         -> tensor<1x16xf32>
    ```
    becomes (types abbreviated)
    ```mlir
    %storage:2 = mxc.disassemble %w ...
    %xb = bufferization.to_buffer %x read_only ...
    %y = memref.alloc() : memref<1x16xf32>
    call @mxc_cpu_matmul_mx(%xb, %data, %scales, %y, %c4_i32, %c32_i64)
    %r = bufferization.to_tensor %y restrict writable ...
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def ConvertMXCQuantizeToCPUPass
    : Pass<"convert-mxc-quantize-to-cpu", "::mlir::ModuleOp"> {
  let summary = "Make each 2-D quantize-dequantize round trip a call of mxc's "
                "CPU kernel";
  let description = [{
    On the CPU path, after `convert-mxc-matmul-to-cpu` (`mxc-lower-to-llvm`
    with `matmul-kernels=true`; what `mxc-compile` and `mxc-run` use): each
    `mxc.dequantize` with an f32 2-D result whose operand is an
    `mxc.quantize` (the MX activations of a matmul that the matmul kernel
    reads as f32) becomes a call of
    `@mxc_cpu_quantize_dequantize(x, y, format, block, rounding, scales)` on
    buffers: the quantize's input (widened to f32), a fresh result buffer
    returned with `bufferization.to_tensor`, the element format, the block
    size, the rounding mode and the shared exponent's choice (`spec` or
    `ceil`; `mxc::numerics` enum values). One call serves every
    dequantize of one quantize; the quantize goes when nothing else reads
    it.

    The kernel (mxc/Runtime/CPUKernels.h) computes each block's shared
    exponent and rounds each element on the format's grid in f32 SIMD lanes;
    the values equal the generated lowering's (and the numerics library's)
    bit for bit, NaN blocks included. The generated conversion is kept for
    anything else (other ranks, a quantize whose MX value is stored or
    passed on).

    ```mlir
    %q = mxc.quantize %x : tensor<?x64xf32> -> !mxc.mx<?x64xf8E4M3FN>
    %d = mxc.dequantize %q : !mxc.mx<?x64xf8E4M3FN> -> tensor<?x64xf32>
    ```
    becomes (types abbreviated)
    ```mlir
    %y = memref.alloc(%rows) : memref<?x64xf32>
    call @mxc_cpu_quantize_dequantize(%xb, %y, %c0_i32, %c32_i64, %c0_i32, %c0_i32)
    %d = bufferization.to_tensor %y restrict writable ...
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def ConvertMXCAttentionToCPUPass
    : Pass<"convert-mxc-attention-to-cpu", "::mlir::ModuleOp"> {
  let summary = "Make each causal mxc.attention without span table a call "
                "of mxc's CPU attention kernel";
  let description = [{
    On the CPU path, before the mxc lowerings (`mxc-lower-to-llvm` with
    `attention-kernels=true`; what `mxc-compile` and `mxc-run` use): each
    `mxc.attention` with f32 operands and result and without a span table
    or tile mask becomes a call of `@mxc_cpu_attention(q, k, v, out, scale)`
    on buffers (read-only views of q, k and v, a fresh result buffer
    returned with `bufferization.to_tensor`), declared with
    `llvm.emit_c_interface`; mxc's CPU kernel library defines it
    (mxc/Runtime/CPUKernels.h). With a `quantized` (EXAQ) softmax the call
    is `@mxc_cpu_attention_exaq(q, k, v, out, scale, table, clip,
    inverseStep)`: the quantizer's table of 2^bits weights (a constant) and
    the f32 constants of its codes.

    The kernel computes each query row's scores with SIMD dot products over
    the head dimension or the keys, the softmax with the row max subtracted,
    and the weighted sum of the values in SIMD, rows split over threads. It
    equals the generated tiled online-softmax loops within f32 rounding;
    with EXAQ, its scores are the reference's f32 scores bit for bit
    (products rounded, then added in order), so its codes are too.
    Span-sparse attentions are left to the generated lowering (their tile
    skipping lives there).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // MXC_CONVERSION_PASSES_TD
