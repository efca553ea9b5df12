//===- TestGPUDecode.cpp - The GEMV kernel's block decoder on the CPU -----===//
//
// mxc-test-gpu-decode{format=F} gives the declaration
//   func.func private @decode_blocks(%words: memref<?xi32>,
//       %scales: memref<?xi8>, %out: memref<?xf32>, %blocks: index)
// a body that decodes each block with kernels::buildBlockDecode (the IR the
// GPU GEMV kernel uses; integer path for FP8) and its E8M0 scale, so that
// the decoding can run on the CPU against the numerics library.
//
//===----------------------------------------------------------------------===//

#include "mxc/Conversion/MXCodegen.h"
#include "mxc/GPU/Kernels.h"
#include "mxc/Transforms/FormatOption.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <cmath>

using namespace mlir;
namespace num = ::mxc::numerics;

namespace {

struct TestGPUDecodePass
    : PassWrapper<TestGPUDecodePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestGPUDecodePass)

  TestGPUDecodePass() = default;
  TestGPUDecodePass(const TestGPUDecodePass &pass) : PassWrapper(pass) {}
  StringRef getArgument() const final { return "mxc-test-gpu-decode"; }
  StringRef getDescription() const final {
    return "Give @decode_blocks a body: the GPU GEMV kernel's block decoder";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, memref::MemRefDialect, scf::SCFDialect,
                    vector::VectorDialect>();
  }
  Option<num::ElemFormat> format{*this, "format", llvm::cl::desc("MX format"),
                                 llvm::cl::init(num::ElemFormat::E2M1),
                                 mlir::mxc::elemFormatValues()};

  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("decode_blocks");
    std::optional<num::ElemFormat> f = format.getValue();
    if (!func || !func.isDeclaration()) {
      getOperation().emitError()
          << "mxc-test-gpu-decode: needs a declaration @decode_blocks";
      return signalPassFailure();
    }
    const int64_t bits = num::getFormatInfo(*f).bits;
    func.setPrivate();
    func->removeAttr("sym_visibility");
    Block *entry = func.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockBegin(entry);
    Location loc = func.getLoc();
    Value words = entry->getArgument(0), scales = entry->getArgument(1),
          out = entry->getArgument(2), blocks = entry->getArgument(3);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto loop = scf::ForOp::create(b, loc, zero, blocks, one);
    b.setInsertionPointToStart(loop.getBody());
    Value j = loop.getInductionVar();
    auto index = [&](Value base, int64_t scale, int64_t offset) -> Value {
      Value v = arith::MulIOp::create(
          b, loc, base, arith::ConstantIndexOp::create(b, loc, scale));
      return arith::AddIOp::create(
          b, loc, v, arith::ConstantIndexOp::create(b, loc, offset));
    };
    SmallVector<Value> w;
    for (int64_t i = 0; i < bits; ++i)
      w.push_back(
          memref::LoadOp::create(b, loc, words, ValueRange{index(j, bits, i)}));
    int factorLog2 = 0;
    mlir::mxc::kernels::GemvOptions options;
    options.format = *f;
    options.nativeFP8 = false;
    SmallVector<Value> values =
        mlir::mxc::kernels::buildBlockDecode(b, loc, options, w, factorLog2);
    Value scale = mlir::mxc::buildScaleValue(
        b, loc, memref::LoadOp::create(b, loc, scales, ValueRange{j}));
    Value unfactor = arith::ConstantFloatOp::create(
        b, loc, b.getF32Type(),
        llvm::APFloat(static_cast<float>(std::ldexp(1.0, -factorLog2))));
    for (int e = 0; e < 32; ++e) {
      Value v = arith::MulFOp::create(
          b, loc, arith::MulFOp::create(b, loc, values[e], unfactor), scale);
      memref::StoreOp::create(b, loc, v, out, ValueRange{index(j, 32, e)});
    }
    b.setInsertionPointAfter(loop);
    func::ReturnOp::create(b, loc);
  }
};

} // namespace

namespace mxc::test {
void registerTestGPUDecodePass() { PassRegistration<TestGPUDecodePass>(); }
} // namespace mxc::test
