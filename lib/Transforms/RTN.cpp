//===- RTN.cpp - Round-to-nearest MX quantization of matmul weights -------===//

#include "mxc/IR/MXCOps.h"
#include "mxc/Transforms/Constants.h"
#include "mxc/Transforms/Passes.h"

#include "llvm/Support/Format.h"

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
        getOperation(), *f, block,
        [&](MatmulOp op, ArrayRef<float> w, int64_t n,
            int64_t k) -> std::optional<num::QuantizedWeight> {
          num::QuantizedWeight q = num::rtnQuantize(w.data(), n, k, *f, block);
          std::optional<std::vector<float>> h;
          if (report && (h = readFloatElements(op.getHessianAttr()))) {
            std::vector<double> hessian(h->begin(), h->end());
            std::string text;
            llvm::raw_string_ostream os(text);
            os << llvm::format("rtn %s: output MSE %.4e, weight SQNR %.2f dB",
                               format.getValue().c_str(),
                               num::outputMSEFromHessian(
                                   w.data(), q.dequantized, n, k, hessian),
                               num::weightSQNR(w.data(), q.dequantized, n, k));
            op.emitRemark() << text;
          }
          return q;
        });
  }
};

} // namespace
