//===- GenerateKernels.cpp - mxc-gpu-kernels ------------------------------===//

#include "mxc/GPU/Kernels.h"
#include "mxc/GPU/Passes.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUKERNELSPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {

struct MXCGPUKernelsPass
    : mlir::mxc::impl::MXCGPUKernelsPassBase<MXCGPUKernelsPass> {
  using MXCGPUKernelsPassBase::MXCGPUKernelsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<int> smVersion = kernels::chipVersion(chip);
    if (!smVersion) {
      module.emitError() << "mxc-gpu-kernels: chip must be sm_XY, not '" << chip
                         << "'";
      return signalPassFailure();
    }
    SmallVector<kernels::GemvOptions> gemvs;
    SmallVector<std::string> formats(gemvFormats.begin(), gemvFormats.end());
    if (formats.empty())
      for (num::ElemFormat f : num::kAllElemFormats)
        formats.push_back(std::string(num::getFormatInfo(f).name));
    SmallVector<int64_t> rows(batches.begin(), batches.end());
    if (rows.empty())
      rows.push_back(1);
    for (const std::string &name : formats) {
      std::optional<num::ElemFormat> f = num::parseElemFormat(name);
      if (!f) {
        module.emitError() << "mxc-gpu-kernels: unknown format '" << name
                           << "'";
        return signalPassFailure();
      }
      for (int64_t batch : rows) {
        if (batch < 1 || batch > 16) {
          module.emitError()
              << "mxc-gpu-kernels: batch must be 1 to 16, not " << batch;
          return signalPassFailure();
        }
        gemvs.push_back({*f, batch, /*nativeFP8=*/*smVersion >= 89});
      }
    }
    for (int64_t bits : softmaxBits)
      if (bits < 0 || bits > 8) {
        module.emitError() << "mxc-gpu-kernels: softmax bits must be 0 "
                              "(exact) to 8, not "
                           << bits;
        return signalPassFailure();
      }

    for (int64_t d : attentionHeadDims)
      if (!isAttentionHeadDimSupported(d)) {
        module.emitError() << "mxc-gpu-kernels: attention head dimension "
                              "must be 4, 8, 16 or a multiple of 32 up to "
                              "128, not "
                           << d;
        return signalPassFailure();
      }

    SmallVector<int64_t> groups(attentionGroupHeads.begin(),
                                attentionGroupHeads.end());
    if (groups.empty())
      groups.push_back(1);
    for (int64_t g : groups)
      if (g < 1 || g > kernels::kMaxAttentionGroupHeads) {
        module.emitError() << "mxc-gpu-kernels: attention group heads must "
                              "be 1 to "
                           << kernels::kMaxAttentionGroupHeads << ", not " << g;
        return signalPassFailure();
      }

    if (gemm && *smVersion < 80) {
      module.emitError() << "mxc-gpu-kernels: the tensor-core GEMM needs "
                            "sm_80 or newer (mma.sync on bf16), not "
                         << chip;
      return signalPassFailure();
    }

    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    // PTX 8.0 (CUDA 12.0) knows every chip up to sm_90.
    auto target = NVVM::NVVMTargetAttr::get(
        ctx, /*optLevel=*/3, "nvptx64-nvidia-cuda", chip, "+ptx80");
    auto gpuModule = gpu::GPUModuleOp::create(b, module.getLoc(), "mxc_kernels",
                                              b.getArrayAttr({target}));
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    b.getUnitAttr());
    for (const kernels::GemvOptions &o : gemvs) {
      kernels::buildGemvKernel(b, gpuModule, o);
      if (gemvUnstaged && kernels::isGemvStaged(o.batch)) {
        kernels::GemvOptions unstaged = o;
        unstaged.unstaged = true;
        kernels::buildGemvKernel(b, gpuModule, unstaged);
      }
    }
    if (gemm) {
      SmallVector<num::ElemFormat> built;
      for (const kernels::GemvOptions &o : gemvs)
        if (!llvm::is_contained(built, o.format)) {
          built.push_back(o.format);
          kernels::buildGemmKernel(b, gpuModule, {o.format, o.nativeFP8});
        }
    }
    for (int64_t bits : softmaxBits) {
      kernels::buildSoftmaxKernel(b, gpuModule, {static_cast<int>(bits)});
      if (softmaxCodes && bits >= 1 &&
          (int64_t(1) << bits) <= kernels::kSoftmaxBallotLevels)
        kernels::buildSoftmaxKernel(b, gpuModule,
                                    {static_cast<int>(bits), /*codes=*/true});
    }
    for (int64_t d : attentionHeadDims) {
      for (int64_t g : groups)
        for (bool sparse : {false, true}) {
          kernels::buildAttentionDecodeKernel(b, gpuModule, {d, sparse, g});
          if (attentionSplitKeys)
            kernels::buildAttentionDecodeKernel(b, gpuModule,
                                                {d, sparse, g, true});
        }
      if (attentionSplitKeys)
        kernels::buildAttentionMergeKernel(b, gpuModule, d);
    }
  }
};

} // namespace
