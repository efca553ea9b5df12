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
    `mode=samples` optimises on the statistics' samples. `mode=pooled`
    optimises a row-aware objective instead: the samples pooled into one row,
    the L1 distance between its exact and EXAQ softmax (this sees the bias
    that values below the clip add to the row sum). Ops without
    statistics are left exact, with a remark saying so. With
    `zero-floor=true` the clip is chosen, and set, for a table whose code 0
    stands for 0 (`zero_floor = true` in `#mxc.exaq`) instead of EXAQ's
    clamp to `e^clip`.

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
                        "the statistics' samples"),
             clEnumValN(::mlir::mxc::SoftmaxClipMode::Pooled, "pooled",
                        "the samples pooled into one row, minimising the L1 "
                        "error of the normalised softmax (row-aware)"))}]>,
    Option<"zeroFloor", "zero-floor", "bool", /*default=*/"false",
           "Choose and set the clip for a zero floor (code 0 stands for 0) "
           "instead of EXAQ's clamp to e^clip">
  ];
  let statistics = [
    Statistic<"numQuantized", "num-quantized", "Softmaxes given a clip">,
    Statistic<"numLeftExact", "num-left-exact",
              "Softmaxes left exact for lack of statistics">
  ];
}

def MXCSoftmaxTablePass : Pass<"mxc-softmax-table"> {
  let summary = "Fit the table of EXAQ softmaxes to calibration samples";
  let description = [{
    For every `mxc.softmax` and `mxc.attention` quantized with EXAQ
    (`quantized <...>`), keeps the codes (bits, clip, floor) and replaces the
    table they stand for, `e^level`, by one fitted to the samples of d in its
    calibration statistics: each code's entry is the mean of e^d over the
    samples with that code, scaled so that the top entry is 1
    (`numerics::fitExaqTable`). With the cells fixed, the mean is the
    reconstruction that minimises the squared error of e^d (Lloyd's
    condition), and it keeps the row sum unbiased; e^level, the cell's
    midpoint in d, is below the mean of its convex exponent. The kernels are
    unchanged: only the table's constants differ. An op quantized without
    samples in its statistics is an error; exact softmaxes are left alone.

    Before:
    ```mlir
    %y = mxc.softmax %x quantized <bits = 1, clip = -2.0> {stats =
           #mxc.softmax_stats<..., samples = [0.0, -0.5, -1.5, -2.5]>}
           : tensor<8x512xf32>
    ```
    After `--mxc-softmax-table`:
    ```mlir
    %y = mxc.softmax %x quantized <bits = 1, clip = -2.0, table = [0.18998,
           1.0]> {stats = ...} : tensor<8x512xf32>
    ```
  }];
  let statistics = [
    Statistic<"numFitted", "num-fitted", "Softmax tables fitted">
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

def MXCRTNPass : Pass<"mxc-rtn"> {
  let summary = "Quantize float matmul weights to MX by rounding to nearest";
  let description = [{
    Replaces every float weight constant of an `mxc.matmul` with an MX
    constant (`mxc.assemble` of the packed data and the E8M0 scales, dense
    resources above 1024 elements) in `format`, blocks of `block` along the
    reduction axis, round-to-nearest-even: OCP MX conversion of each block as
    `mxc.quantize` does it, at compile time. Weights that are not constants
    stay float, with a remark. With `report`, each quantized matmul that
    gets a remark with its local error (weight SQNR, and the output MSE on the
    calibration rows when it carries a `hessian`), also attached as the
    attribute `mxc.local_error`. With `only`, only the matmuls named by one of
    its prefixes are quantized (per-layer sensitivity studies); with
    `exclude`, the matmuls named by one of its prefixes stay float (mixed
    precision).

    Before:
    ```mlir
    %w = arith.constant dense<...> : tensor<16x64xf32>
    %y = mxc.matmul %x, %w : tensor<8x64xf32>, tensor<16x64xf32> -> ...
    ```
    After `--mxc-rtn="format=mxfp4"`:
    ```mlir
    %d = arith.constant dense<...> : tensor<16x64xi8>
    %s = arith.constant dense<...> : tensor<16x2xf8E8M0FNU>
    %w = mxc.assemble %d, %s : ... -> !mxc.mx<16x64xf4E2M1FN>
    %y = mxc.matmul %x, %w : tensor<8x64xf32>, !mxc.mx<16x64xf4E2M1FN> -> ...
    ```
  }];
  let options = [
    Option<"format", "format", "::mxc::numerics::ElemFormat",
           /*default=*/"::mxc::numerics::ElemFormat::E2M1",
           "MX element format of the weights",
           [{::mlir::mxc::elemFormatValues()}]>,
    Option<"block", "block", "int64_t", /*default=*/"32",
           "Elements per MX block">,
    Option<"scales", "scales", "::mxc::numerics::ScaleChoice",
           /*default=*/"::mxc::numerics::ScaleChoice::Spec",
           "How each block's shared exponent is chosen",
           [{::llvm::cl::values(
             clEnumValN(::mxc::numerics::ScaleChoice::Spec, "spec",
                        "the OCP spec's: floor(log2(amax)) - emax"),
             clEnumValN(::mxc::numerics::ScaleChoice::LeastSquares, "mse",
                        "the spec's or one more, whichever gives the block "
                        "the smaller squared error"))}]>,
    Option<"report", "report", "bool", /*default=*/"false",
           "Remark the local error of every quantized matmul">,
    ListOption<"only", "only", "std::string",
               "Quantize only the matmuls whose name (the NameLoc of a "
               "model built by mxc, e.g. layers.3.wq) starts with one of "
               "these prefixes">,
    ListOption<"exclude", "exclude", "std::string",
               "Leave in float the matmuls whose name starts with one of "
               "these prefixes (mixed precision)">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numQuantized", "num-quantized", "Matmul weights quantized">
  ];
}

def MXCGPTQPass : Pass<"mxc-gptq"> {
  let summary = "Quantize float matmul weights to MX with GPTQ";
  let description = [{
    Like `mxc-rtn`, but with GPTQ (Frantar et al.) using the Hessian
    statistic `hessian = 2/N sum x x^T` attached to the matmul: columns are
    quantized one MX block at a time, each block's shared exponent taken from
    the error-updated weights, and each block's error is propagated to the
    columns not yet quantized through the upper Cholesky factor of the damped
    `H^-1` (damping `damp * mean(diag H)`), in lazy batches of 128 columns
    (numerics::gptqQuantize). Matmuls without a Hessian stay float, with a
    remark saying so.

    With `report`, each quantized matmul gets a remark comparing GPTQ with
    RTN on its local error: output MSE on the calibration rows (from the
    Hessian) and weight SQNR in dB, also attached as the attribute
    `mxc.local_error`. `only` restricts it to some matmuls, as in `mxc-rtn`.
  }];
  let options = [
    Option<"format", "format", "::mxc::numerics::ElemFormat",
           /*default=*/"::mxc::numerics::ElemFormat::E2M1",
           "MX element format of the weights",
           [{::mlir::mxc::elemFormatValues()}]>,
    Option<"block", "block", "int64_t", /*default=*/"32",
           "Elements per MX block">,
    Option<"scales", "scales", "::mxc::numerics::ScaleChoice",
           /*default=*/"::mxc::numerics::ScaleChoice::Spec",
           "How each block's shared exponent is chosen",
           [{::llvm::cl::values(
             clEnumValN(::mxc::numerics::ScaleChoice::Spec, "spec",
                        "the OCP spec's: floor(log2(amax)) - emax"),
             clEnumValN(::mxc::numerics::ScaleChoice::LeastSquares, "mse",
                        "the spec's or one more, whichever gives the block "
                        "the smaller squared error"))}]>,
    Option<"damp", "damp", "double", /*default=*/"0.01",
           "Damping, as a fraction of the mean of diag(H)">,
    Option<"report", "report", "bool", /*default=*/"false",
           "Remark GPTQ's and RTN's local error for every quantized matmul">,
    ListOption<"only", "only", "std::string",
               "Quantize only the matmuls whose name (the NameLoc of a "
               "model built by mxc, e.g. layers.3.wq) starts with one of "
               "these prefixes">,
    ListOption<"exclude", "exclude", "std::string",
               "Leave in float the matmuls whose name starts with one of "
               "these prefixes (mixed precision)">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numQuantized", "num-quantized", "Matmul weights quantized">,
    Statistic<"numLeftFloat", "num-left-float",
              "Matmuls left in float for lack of a Hessian">
  ];
}

def MXCSmoothQuantPass : Pass<"mxc-smoothquant"> {
  let summary = "Move activation outliers into the weights (SmoothQuant)";
  let description = [{
    For every activation read by `mxc.matmul`s with float constant weights
    and per-channel activation statistics (`act_absmax`), computes
    `s_j = max|X_j|^alpha / max|W_j|^(1 - alpha)` (clamped to >= 1e-5; the
    weight maxima taken over all matmuls that read the activation, so that
    q, k and v share one s), multiplies the weight columns by s, and divides
    the activation by s:

    * folded into the producer when the activation comes from a per-channel
      multiply by a constant gain that only these matmuls read (a
      `linalg.generic` computing `x * g[k]`, as an RMSNorm gain), whose gain
      becomes `g / s`;
    * otherwise by a new per-channel scale (`linalg.generic`, `x * (1/s)`).

    The float function is unchanged up to rounding. The statistics are
    updated to describe the new activation (`act_absmax / s`, and
    `H_ij / (s_i s_j)` for a `hessian`), so GPTQ after SmoothQuant sees the
    smoothed inputs. Matmuls without statistics, or whose weights are not
    float constants, are left alone with a remark. `only` and `exclude`
    select activations by their readers' names, as the weight passes select
    matmuls (a driver quantizing one layer at a time uses them); an
    activation that some selected and some unselected matmuls read is left
    alone with a remark.
  }];
  let options = [
    Option<"alpha", "alpha", "double", /*default=*/"0.5",
           "Migration strength: 0 keeps the activations, 1 moves their "
           "whole range into the weights">,
    ListOption<"only", "only", "std::string",
               "Smooth only the activations whose readers' names all start "
               "with one of these prefixes (e.g. layers.3.)">,
    ListOption<"exclude", "exclude", "std::string",
               "Leave alone the activations read by a matmul whose name "
               "starts with one of these prefixes">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let statistics = [
    Statistic<"numSmoothed", "num-smoothed", "Activations smoothed">,
    Statistic<"numFolded", "num-folded",
              "Smoothing factors folded into a producer's gain">
  ];
}

def MXCQuantizeActivationsPass : Pass<"mxc-quantize-activations"> {
  let summary = "Quantize the float inputs of matmuls with MX weights";
  let description = [{
    For every `mxc.matmul` with an MX weight and a float input, inserts an
    `mxc.quantize` of the input to `format`, with the weight's block size so
    that the blocks line up along the reduction axis, and makes the matmul
    read the MX activations (w4a8 and similar recipes).

    Before:
    ```mlir
    %y = mxc.matmul %x, %w : tensor<?x64xf32>, !mxc.mx<16x64xf4E2M1FN> -> ...
    ```
    After `--mxc-quantize-activations="format=mxfp8_e4m3"`:
    ```mlir
    %xq = mxc.quantize %x : tensor<?x64xf32> -> !mxc.mx<?x64xf8E4M3FN>
    %y = mxc.matmul %xq, %w : !mxc.mx<?x64xf8E4M3FN>, !mxc.mx<16x64xf4E2M1FN> -> ...
    ```

    With `scales=ceil` the quantizes carry `scale ceil`: blocks whose
    largest magnitude the spec's shared exponent would clip take one more.
  }];
  let options = [
    Option<"format", "format", "::mxc::numerics::ElemFormat",
           /*default=*/"::mxc::numerics::ElemFormat::E4M3",
           "MX element format of the activations",
           [{::mlir::mxc::elemFormatValues()}]>,
    Option<"scales", "scales", "::mlir::mxc::ScaleChoice",
           /*default=*/"::mlir::mxc::ScaleChoice::Spec",
           "How each block's shared exponent is chosen",
           [{::llvm::cl::values(
             clEnumValN(::mlir::mxc::ScaleChoice::Spec, "spec",
                        "the OCP spec's: floor(log2(amax)) - emax"),
             clEnumValN(::mlir::mxc::ScaleChoice::Ceil, "ceil",
                        "ceil(log2(amax / max_elem)): the spec's, or one "
                        "more where the spec's clips the block's maximum"))}]>
  ];
  let statistics = [
    Statistic<"numQuantized", "num-quantized", "Matmul inputs quantized">
  ];
}

#endif // MXC_TRANSFORMS_PASSES_TD
