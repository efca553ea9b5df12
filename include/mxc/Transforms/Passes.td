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

#endif // MXC_TRANSFORMS_PASSES_TD
