//===- RTN.cpp - Round-to-nearest MX quantization of matmul weights -------===//

#include "mxc/IR/MXCOps.h"
#include "mxc/Transforms/Constants.h"
#include "mxc/Transforms/Passes.h"

#include "llvm/Support/Parallel.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCRTNPASS
#include "mxc/Transforms/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {

struct MXCRTNPass : mlir::mxc::impl::MXCRTNPassBase<MXCRTNPass> {
  using MXCRTNPassBase::MXCRTNPassBase;

  void runOnOperation() override {
    const num::ElemFormat f = format;
    const num::FormatInfo &info = num::getFormatInfo(f);
    if (!num::isValidBlockSize(f, block)) {
      getOperation()->emitError()
          << "mxc-rtn: a block of " << static_cast<int64_t>(block) << " "
          << info.name << " elements does not fill whole bytes or is not in "
          << "[1, " << num::kMaxBlockSize << "]";
      return signalPassFailure();
    }
    FailureOr<int64_t> quantized = quantizeMatmulWeights(
        getOperation(), f, block, only, exclude,
        [&](MatmulOp op, ArrayRef<float> w, int64_t n,
            int64_t k) -> std::optional<num::QuantizedWeight> {
          // Rows in parallel chunks; the dequantized weight only for the
          // report.
          num::QuantizedWeight q;
          num::MXTensor &t = q.tensor;
          t = num::MXTensor::allocate(num::MXLayout{f, block, n, k});
          const int64_t chunk = 64;
          llvm::parallelFor(0, (n + chunk - 1) / chunk, [&](size_t c) {
            num::quantizeRows(w.data(), c * chunk,
                              std::min<int64_t>(n, (c + 1) * chunk), t,
                              num::RoundingMode::NearestEven, scales);
          });
          if (report) {
            q.dequantized = num::dequantize(t);
            reportLocalError(op, "rtn", info.name, w, q, nullptr, n, k);
          }
          return q;
        });
    if (failed(quantized))
      return signalPassFailure();
    numQuantized += *quantized;
  }
};

} // namespace
