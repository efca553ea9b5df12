//===- MXCToLinalg.cpp - convert-mxc-to-linalg ----------------------------===//

#include "mxc/Conversion/MXCToLinalg/MXCToLinalg.h"
#include "Patterns.h"
#include "mxc/Conversion/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_CONVERTMXCTOLINALGPASS
#include "mxc/Conversion/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

//===----------------------------------------------------------------------===//
// Type conversion
//===----------------------------------------------------------------------===//

MXStorageTypeConverter::MXStorageTypeConverter() {
  addConversion([](Type type) { return type; });
  addConversion(
      [](MXTensorType type, SmallVectorImpl<Type> &results) -> LogicalResult {
        results.push_back(type.getDataType());
        results.push_back(type.getScalesType());
        return success();
      });
  addSourceMaterialization([](OpBuilder &b, MXTensorType type,
                              ValueRange storage, Location loc) -> Value {
    if (storage.size() != 2)
      return Value();
    return AssembleOp::create(b, loc, type, storage[0], storage[1]);
  });
  addTargetMaterialization([](OpBuilder &b, TypeRange types, ValueRange inputs,
                              Location loc) -> SmallVector<Value> {
    if (types.size() != 2 || inputs.size() != 1 ||
        !isa<MXTensorType>(inputs[0].getType()))
      return {};
    auto storage = DisassembleOp::create(b, loc, types[0], types[1], inputs[0]);
    return {storage.getData(), storage.getScales()};
  });
}

namespace {

bool mentionsMX(TypeRange types) {
  return llvm::any_of(types, [](Type t) { return isa<MXTensorType>(t); });
}

/// `value` as `type`: itself, or a tensor.cast between compatible shapes (a
/// storage operand may be more or less static than its MX type's storage).
Value castTo(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

/// mxc.assemble -> its (data, scales) operands, as the MX type's storage.
struct LowerAssemble : OpConversionPattern<AssembleOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AssembleOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MXTensorType type = op.getResult().getType();
    Value data = castTo(rewriter, op.getLoc(), adaptor.getData().front(),
                        type.getDataType());
    Value scales = castTo(rewriter, op.getLoc(), adaptor.getScales().front(),
                          type.getScalesType());
    rewriter.replaceOpWithMultiple(
        op, SmallVector<SmallVector<Value>>{{data, scales}});
    return success();
  }
};

/// mxc.disassemble -> the storage its input was converted to.
struct LowerDisassemble : OpConversionPattern<DisassembleOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DisassembleOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ValueRange storage = adaptor.getInput();
    rewriter.replaceOp(
        op,
        {castTo(rewriter, op.getLoc(), storage[0], op.getData().getType()),
         castTo(rewriter, op.getLoc(), storage[1], op.getScales().getType())});
    return success();
  }
};

/// arith.select of MX values -> one select per storage tensor.
struct SelectMXStorage : OpConversionPattern<arith::SelectOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(arith::SelectOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<MXTensorType>(op.getType()))
      return rewriter.notifyMatchFailure(op, "not a select of MX values");
    Value condition = adaptor.getCondition().front();
    SmallVector<Value> storage;
    for (auto [whenTrue, whenFalse] :
         llvm::zip_equal(adaptor.getTrueValue(), adaptor.getFalseValue()))
      storage.push_back(arith::SelectOp::create(
          rewriter, op.getLoc(), condition, whenTrue, whenFalse));
    rewriter.replaceOpWithMultiple(op,
                                   SmallVector<SmallVector<Value>>{storage});
    return success();
  }
};

/// The values of a 1:N adaptor range, flattened.
SmallVector<Value> flatten(ArrayRef<ValueRange> ranges) {
  SmallVector<Value> values;
  for (ValueRange range : ranges)
    llvm::append_range(values, range);
  return values;
}

/// cf.br forwarding MX values -> forwarding their storage. (Upstream's
/// branch pattern converts 1:1 only.)
struct BranchMXStorage : OpConversionPattern<cf::BranchOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(cf::BranchOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // In place: the destination block is being converted too.
    rewriter.modifyOpInPlace(op, [&] {
      op.getDestOperandsMutable().assign(flatten(adaptor.getDestOperands()));
    });
    return success();
  }
};

/// cf.cond_br forwarding MX values -> forwarding their storage.
struct CondBranchMXStorage : OpConversionPattern<cf::CondBranchOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(cf::CondBranchOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.modifyOpInPlace(op, [&] {
      op.getTrueDestOperandsMutable().assign(
          flatten(adaptor.getTrueDestOperands()));
      op.getFalseDestOperandsMutable().assign(
          flatten(adaptor.getFalseDestOperands()));
    });
    return success();
  }
};

/// func.func with MX arguments, results or block arguments -> storage pairs
/// in its signature and in every block. (Upstream's FunctionOpInterface
/// pattern converts the entry block only, so MX values could not cross the
/// branches between a function's blocks.)
struct FuncSignatureMX : OpConversionPattern<func::FuncOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(func::FuncOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FunctionType type = op.getFunctionType();
    TypeConverter::SignatureConversion result(type.getNumInputs());
    SmallVector<Type> newResults;
    if (failed(typeConverter->convertSignatureArgs(type.getInputs(), result)) ||
        failed(typeConverter->convertTypes(type.getResults(), newResults)))
      return failure();
    if (!op.isExternal() && failed(rewriter.convertRegionTypes(
                                &op.getBody(), *typeConverter, &result)))
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.setType(FunctionType::get(op.getContext(), result.getConvertedTypes(),
                                   newResults));
    });
    return success();
  }
};

/// Whether the structural patterns carry MX values through `op`.
bool isStructural(Operation *op) {
  if (auto select = dyn_cast<arith::SelectOp>(op))
    return select.getCondition().getType().isInteger(1);
  return isa<func::FuncOp, func::CallOp, func::ReturnOp, cf::BranchOp,
             cf::CondBranchOp, scf::ForOp, scf::IfOp, scf::WhileOp,
             scf::YieldOp, scf::ConditionOp>(op);
}

/// Whether `op` takes, yields or binds (block arguments, a function type)
/// an MX value.
bool carriesMX(Operation *op) {
  if (mentionsMX(op->getOperandTypes()) || mentionsMX(op->getResultTypes()))
    return true;
  if (auto func = dyn_cast<FunctionOpInterface>(op))
    if (mentionsMX(func.getArgumentTypes()) ||
        mentionsMX(func.getResultTypes()))
      return true;
  for (Region &region : op->getRegions())
    for (Block &block : region)
      if (mentionsMX(block.getArgumentTypes()))
        return true;
  return false;
}

struct ConvertMXCToLinalgPass
    : mlir::mxc::impl::ConvertMXCToLinalgPassBase<ConvertMXCToLinalgPass> {
  using ConvertMXCToLinalgPassBase::ConvertMXCToLinalgPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkMXCToLinalgPreconditions(module)))
      return signalPassFailure();
    int64_t count = 0;
    module.walk([&](Operation *op) {
      if (isa_and_nonnull<MXCDialect>(op->getDialect()))
        ++count;
    });

    MXStorageTypeConverter converter;
    ConversionTarget target(getContext());
    RewritePatternSet patterns(&getContext());
    populateMXCToLinalgConversionPatterns(
        converter, patterns, countAttentionTiles, matmulRowsInnermost);
    populateMXStructuralConversionsAndLegality(converter, patterns, target);
    target.addIllegalDialect<MXCDialect>();
    if (failed(applyFullConversion(module, target, std::move(patterns))))
      return signalPassFailure();
    numLowered += count;
  }
};

} // namespace

void mlir::mxc::populateMXCToLinalgConversionPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns,
    bool countAttentionTiles, bool matmulRowsInnermost) {
  patterns.add<LowerAssemble, LowerDisassemble>(converter,
                                                patterns.getContext());
  populateQuantizeLowering(converter, patterns);
  populateDequantizeLowering(converter, patterns);
  populateMatmulLowering(converter, patterns, matmulRowsInnermost);
  populateSoftmaxLowering(converter, patterns);
  populateAttentionLowering(converter, patterns, countAttentionTiles);
}

void mlir::mxc::populateMXStructuralConversionsAndLegality(
    const TypeConverter &converter, RewritePatternSet &patterns,
    ConversionTarget &target) {
  patterns.add<FuncSignatureMX>(converter, patterns.getContext());
  populateCallOpTypeConversionPattern(patterns, converter);
  populateReturnOpTypeConversionPattern(patterns, converter);
  patterns.add<BranchMXStorage, CondBranchMXStorage, SelectMXStorage>(
      converter, patterns.getContext());
  target.addDynamicallyLegalOp<func::FuncOp>([&converter](func::FuncOp op) {
    return converter.isSignatureLegal(op.getFunctionType()) &&
           converter.isLegal(&op.getBody());
  });
  // Every other op is legal when its operand and result types are; the op
  // patterns and the structural ones above make them so.
  target.markUnknownOpDynamicallyLegal(
      [&converter](Operation *op) { return converter.isLegal(op); });
  scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns,
                                                       target);
}

LogicalResult mlir::mxc::checkMXCToLinalgPreconditions(Operation *root) {
  bool ok = true;
  root->walk(
      [&](Operation *op) {
        if (auto quantize = dyn_cast<QuantizeOp>(op))
          ok &= succeeded(checkLowerable(quantize));
        else if (auto matmul = dyn_cast<MatmulOp>(op))
          ok &= succeeded(checkLowerable(matmul));
        else if (auto softmax = dyn_cast<SoftmaxOp>(op))
          ok &= succeeded(checkLowerable(softmax));
        else if (auto attention = dyn_cast<AttentionOp>(op))
          ok &= succeeded(checkLowerable(attention));
        else if (!isa_and_nonnull<MXCDialect>(op->getDialect()) &&
                 !isStructural(op) && carriesMX(op)) {
          op->emitOpError()
              << "takes or yields an MX value, which lowers to its storage "
                 "(packed data and scales) only through func.func, func.call, "
                 "func.return, cf.br, cf.cond_br, scf.for/if/while and "
                 "arith.select "
                 "on an i1; use mxc.disassemble / mxc.assemble around it";
          ok = false;
        }
      });
  return success(ok);
}
