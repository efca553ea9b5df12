//===- GPTQ.cpp - GPTQ MX quantization of matmul weights ------------------===//

#include "mxc/IR/MXCOps.h"
#include "mxc/Transforms/Constants.h"
#include "mxc/Transforms/Passes.h"

#include <cmath>

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPTQPASS
#include "mxc/Transforms/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {

struct MXCGPTQPass : mlir::mxc::impl::MXCGPTQPassBase<MXCGPTQPass> {
  using MXCGPTQPassBase::MXCGPTQPassBase;

  void runOnOperation() override {
    const num::ElemFormat f = format;
    const num::FormatInfo &info = num::getFormatInfo(f);
    if (!num::isValidBlockSize(f, block)) {
      getOperation()->emitError()
          << "mxc-gptq: a block of " << static_cast<int64_t>(block) << " "
          << info.name << " elements does not fill whole bytes or is not in "
          << "[1, " << num::kMaxBlockSize << "]";
      return signalPassFailure();
    }
    if (!(damp >= 0) || !std::isfinite(damp)) {
      getOperation()->emitError() << "mxc-gptq: damp must be a finite "
                                     "non-negative fraction, not "
                                  << static_cast<double>(damp);
      return signalPassFailure();
    }
    num::GPTQOptions options;
    options.format = f;
    options.blockSize = block;
    options.percdamp = damp;
    options.scales = scales;
    // Lazy batches of about 128 columns, whole blocks.
    options.lazyBatch = std::max<int64_t>(block, 128 / block * block);
    bool failedAny = false;
    // How many matmuls GPTQ will quantize: those with a Hessian that the
    // name filters select (the progress actions' total).
    auto selected = [&](MatmulOp op) {
      StringRef name = getMatmulName(op);
      auto prefixOf = [&](const std::string &p) { return name.starts_with(p); };
      return op.getHessianAttr() &&
             (only.empty() || llvm::any_of(only, prefixOf)) &&
             llvm::none_of(exclude, prefixOf);
    };
    int64_t total = 0, index = 0;
    getOperation()->walk([&](MatmulOp op) { total += selected(op); });
    FailureOr<int64_t> quantized = quantizeMatmulWeights(
        getOperation(), f, block, only, exclude,
        [&](MatmulOp op, ArrayRef<float> w, int64_t n,
            int64_t k) -> std::optional<num::QuantizedWeight> {
          std::optional<num::QuantizedWeight> result;
          auto run = [&] {
            result = quantizeOne(op, w, n, k, options, failedAny);
          };
          if (selected(op))
            getContext().executeAction<GPTQMatmulAction>(
                run, IRUnit(op), getMatmulName(op), ++index, total);
          else
            run(); // no Hessian: it says so and stays float
          return result;
        });
    if (failedAny || failed(quantized))
      return signalPassFailure();
    numQuantized += *quantized;
  }

  /// GPTQ of one weight, or nothing (said why).
  std::optional<num::QuantizedWeight>
  quantizeOne(MatmulOp op, ArrayRef<float> w, int64_t n, int64_t k,
              const num::GPTQOptions &options, bool &failedAny) {
    const num::ElemFormat f = format;
    const num::FormatInfo &info = num::getFormatInfo(f);
    std::optional<std::vector<double>> h =
        readDoubleElements(op.getHessianAttr());
    if (!h) {
      op.emitRemark() << "weight left in float: no 'hessian' statistic "
                         "for GPTQ (calibrate, or use mxc-rtn)";
      ++numLeftFloat;
      return std::nullopt;
    }
    num::QuantizedWeight q;
    std::string reason;
    if (!num::gptqQuantize(w.data(), n, k, std::move(*h), options, q, reason)) {
      op.emitError() << "GPTQ failed: " << reason;
      failedAny = true;
      return std::nullopt;
    }
    if (report) {
      num::QuantizedWeight rtn =
          num::rtnQuantize(w.data(), n, k, f, block,
                           num::RoundingMode::NearestEven, options.scales);
      reportLocalError(op, "gptq", info.name, w, q, &rtn, n, k);
    }
    return q;
  }
};

} // namespace
