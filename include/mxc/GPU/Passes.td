//===- Passes.td - mxc GPU kernel generation ---------------*- tablegen -*-===//

#ifndef MXC_GPU_PASSES_TD
#define MXC_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def MXCGPUKernelsPass : Pass<"mxc-gpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Generate mxc's NVVM kernels into a gpu.module";
  let description = [{
    Adds `gpu.module @mxc_kernels` with an `#nvvm.target` for `chip` to the
    module (and `gpu.container_module`), holding the kernels built by
    `mxc/GPU/Kernels.h`:

    * `mx_gemv_<format>_b<batch>` for every format in `gemv-formats` and
      every batch in `batches`: the decode MX GEMV (packed MX weights read
      once with vector loads, decoded in registers, E8M0 scale per block,
      f32 accumulation, one warp per row);
    * `mx_softmax_exact` and `mx_softmax_exaq<bits>` for every entry of
      `softmax-bits` (0 is the exact kernel);
    * `mx_attention_decode_{dense,sparse}_d<D>` for every head dimension in
      `attention-head-dims`: decode attention over all KV tiles, and over a
      list of kept tiles (span-sparse).

    FP8 E4M3 uses the native conversion from sm_89 on, integer bit operations
    below. Lower the result with `mxc-gpu-to-binary`.

    ```sh
    mxc-opt empty.mlir --mxc-gpu-kernels="chip=sm_90 gemv-formats=mxfp4" \
      --mxc-gpu-to-binary="format=isa"
    ```
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90\"",
           "Target chip: sm_80 or sm_90 (any sm_XY ptxas knows)">,
    ListOption<"gemvFormats", "gemv-formats", "std::string",
               "MX formats of the GEMV kernels (default: all six)">,
    ListOption<"batches", "batches", "int64_t",
               "Activation rows of the GEMV kernels, 1 to 16 (default: 1)">,
    ListOption<"softmaxBits", "softmax-bits", "int64_t",
               "Softmax kernels: 0 for exact, 1 to 8 for EXAQ (default: "
               "none)">,
    ListOption<"attentionHeadDims", "attention-head-dims", "int64_t",
               "Decode attention kernels (dense and sparse) for these head "
               "dimensions, multiples of 32 up to 128 (default: none)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

#endif // MXC_GPU_PASSES_TD
