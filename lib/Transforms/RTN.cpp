//===- RTN.cpp - Round-to-nearest MX quantization of matmul weights -------===//

#include "mxc/IR/MXCOps.h"
#include "mxc/Transforms/Constants.h"
#include "mxc/Transforms/Passes.h"

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
    std::optional<num::ElemFormat> f = num::parseElemFormat(format);
    if (!f || !num::isValidBlockSize(*f, block)) {
      getOperation()->emitError()
          << "mxc-rtn: unknown format '" << format << "' or invalid block size "
          << static_cast<int64_t>(block);
      return signalPassFailure();
    }
    numQuantized += quantizeMatmulWeights(
        getOperation(), *f, block, only, exclude,
        [&](MatmulOp op, ArrayRef<float> w, int64_t n,
            int64_t k) -> std::optional<num::QuantizedWeight> {
          num::QuantizedWeight q = num::rtnQuantize(w.data(), n, k, *f, block);
          if (report)
            reportLocalError(op, "rtn", format, w, q, nullptr, n, k);
          return q;
        });
  }
};

} // namespace
