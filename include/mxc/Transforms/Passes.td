//===- Passes.td - mxc transformation passes ---------------*- tablegen -*-===//

#ifndef MXC_TRANSFORMS_PASSES_TD
#define MXC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def MXCSoftmaxClipPass : Pass<"mxc-softmax-clip"> {
  let summary = "Quantize softmaxes with the EXAQ clip chosen from calibration statistics";
  let description = [{
    For every `mxc.softmax` and `mxc.attention` that carries calibration
    statistics (`stats = #mxc.softmax_stats<...>`), chooses the clip that
    minimises the expected squared error after the exponent,
    `E[(e^Q(d) - e^d)^2]`, for `bits` bits, and sets
    `quantized <bits = ..., clip = ...>` (replacing any earlier choice).
    `mode=analytic` optimises under a Gaussian with the statistics' mean and
    std, clipped at 0 (quadrature and a 1-D search at compile time);
    `mode=samples` optimises on the statistics' samples. Ops without
    statistics are left exact, with a remark saying so.

    Before:
    ```mlir
    %y = mxc.softmax %x {stats = #mxc.softmax_stats<mean = -4.0, std = 3.0,
           min = -20.0, count = 4096>} : tensor<8x512xf32>
    ```
    After `--mxc-softmax-clip="bits=2"`:
    ```mlir
    %y = mxc.softmax %x quantized <bits = 2, clip = -4.3...> {stats = ...}
           : tensor<8x512xf32>
    ```
  }];
  let options = [
    Option<"bits", "bits", "int64_t", /*default=*/"2",
           "Bit width of the softmax input, 1 to 8">,
    Option<"mode", "mode", "::mlir::mxc::SoftmaxClipMode",
           /*default=*/"::mlir::mxc::SoftmaxClipMode::Analytic",
           "Model of the softmax input the clip is optimised under",
           [{::llvm::cl::values(
             clEnumValN(::mlir::mxc::SoftmaxClipMode::Analytic, "analytic",
                        "a Gaussian fitted to the statistics' mean and std"),
             clEnumValN(::mlir::mxc::SoftmaxClipMode::Samples, "samples",
                        "the statistics' samples"))}]>
  ];
  let statistics = [
    Statistic<"numQuantized", "num-quantized", "Softmaxes given a clip">,
    Statistic<"numLeftExact", "num-left-exact",
              "Softmaxes left exact for lack of statistics">
  ];
}

def MXCAttentionTileMaskPass : Pass<"mxc-attention-tile-mask"> {
  let summary = "Turn the span table of mxc.attention into a KV-tile mask";
  let description = [{
    For every span-sparse `mxc.attention` (one with a span table and a static
    key length) that has no tile mask yet, computes from the span table the
    state of each KV tile of `tile` keys for each query row (0: no visible
    key, 1: some, 2: all; see `mxc.attention`) and attaches it as the
    `tile_mask` operand. A lowering then skips tiles in state 0 and drops the
    element mask in state 2.

    The mask is computed with linalg on tensors: key visibility (causal, and
    in a span, below `sink`, or the query's own position under `keep_self`)
    as an OR-reduction over the span slots, then per-tile counts of visible
    keys. `tile=0` keeps each op's own `tile` attribute; another value
    replaces it.

    Before:
    ```mlir
    %o = mxc.attention %q, %k, %v spans(%s : tensor<1x4x2xi32>) ...
    ```
    After:
    ```mlir
    %m = linalg.generic ...                           // tensor<1x4xi8>
    %o = mxc.attention %q, %k, %v spans(%s : tensor<1x4x2xi32>)
           tile_mask(%m : tensor<1x4xi8>) ...
    ```
  }];
  let options = [
    Option<"tile", "tile", "int64_t", /*default=*/"0",
           "Keys per KV tile; 0 keeps each op's tile attribute">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let statistics = [
    Statistic<"numMasked", "num-masked", "Attention ops given a tile mask">
  ];
}

#endif // MXC_TRANSFORMS_PASSES_TD
