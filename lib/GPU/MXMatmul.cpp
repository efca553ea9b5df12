//===- MXMatmul.cpp - mxc-gpu-mx-matmul, mxc-gpu-mx-kernels ---------------===//
//
// The model's MX matmuls on the GPU path run mxc's GEMV kernel instead of a
// generic loop nest: mxc-gpu-mx-matmul (on tensors, before the mxc
// lowerings) turns each into a call of @mxc_gemv_<format>_b<batch> on
// buffers in the kernel's ABI, and mxc-gpu-mx-kernels gives the callee its
// body: the kernel, launched with its geometry (CUDA), or the same GEMV as
// CPU loops around the kernel's block decoder (CPU).
//
//===----------------------------------------------------------------------===//

#include "mxc/Conversion/MXCodegen.h"
#include "mxc/GPU/Kernels.h"
#include "mxc/GPU/Passes.h"
#include "mxc/IR/MXCOps.h"
#include "mxc/IR/MXCTypes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/IR/SymbolTable.h"

#include <cmath>

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUMXMATMULPASS
#define GEN_PASS_DEF_MXCGPUMXKERNELSPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {

constexpr llvm::StringLiteral kPrefix = "mxc_gemv_";

/// Activation rows of the kernel variants: one for decode, a tile of 8 for
/// prefill.
constexpr int64_t kDecodeBatch = 1, kPrefillBatch = 8;

std::string calleeName(num::ElemFormat format, int64_t batch) {
  return (kPrefix + num::getFormatInfo(format).name + "_b" +
          std::to_string(batch))
      .str();
}

/// The kernel's signature: (words, scales, x, y, m, n, k).
FunctionType gemvType(MLIRContext *ctx) {
  Type index = IndexType::get(ctx);
  auto dynamic = [](Type t) {
    return MemRefType::get({ShapedType::kDynamic}, t);
  };
  return FunctionType::get(
      ctx,
      {dynamic(IntegerType::get(ctx, 32)), dynamic(IntegerType::get(ctx, 8)),
       dynamic(Float32Type::get(ctx)), dynamic(Float32Type::get(ctx)), index,
       index, index},
      {});
}

/// A 2-D identity-layout buffer as 1-D, cast to a dynamic size.
Value flatten(OpBuilder &b, Location loc, Value buffer) {
  Value flat = memref::CollapseShapeOp::create(
      b, loc, buffer, SmallVector<ReassociationIndices>{{0, 1}});
  auto type = cast<MemRefType>(flat.getType());
  if (!type.hasStaticShape())
    return flat;
  return memref::CastOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic}, type.getElementType()),
      flat);
}

struct MXCGPUMXMatmulPass
    : mlir::mxc::impl::MXCGPUMXMatmulPassBase<MXCGPUMXMatmulPass> {
  // A module pass: it declares the callees in the module.
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<MatmulOp> matmuls;
    module.walk([&](MatmulOp op) { matmuls.push_back(op); });
    for (MatmulOp op : matmuls)
      if (failed(rewrite(op, module)))
        return signalPassFailure();
  }

  /// The callee for `format` and `batch`, declared once per module.
  func::FuncOp declare(ModuleOp module, num::ElemFormat format, int64_t batch) {
    std::string name = calleeName(format, batch);
    if (Operation *existing = module.lookupSymbol(name)) {
      auto func = dyn_cast<func::FuncOp>(existing);
      if (func && func.getFunctionType() == gemvType(module.getContext()))
        return func;
      existing->emitError() << "mxc-gpu-mx-matmul: '" << name
                            << "' is taken by something other than the GEMV "
                               "kernel's function";
      return {};
    }
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto callee = func::FuncOp::create(b, module.getLoc(), name,
                                       gemvType(module.getContext()));
    callee.setPrivate();
    return callee;
  }

  LogicalResult rewrite(MatmulOp op, ModuleOp module) {
    auto weightType = dyn_cast<MXTensorType>(op.getWeight().getType());
    auto inputType = cast<ShapedType>(op.getInput().getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    // What the kernel computes: [M, K] x [N, K]^T in f32, blocks of 32.
    if (!weightType || weightType.getBlockSize() != 32 ||
        inputType.getRank() != 2 || resultType.getRank() != 2 ||
        !resultType.getElementType().isF32() ||
        (!isa<MXTensorType>(inputType) && !inputType.getElementType().isF32()))
      return success();
    func::FuncOp decodeCallee =
                     declare(module, weightType.getFormat(), kDecodeBatch),
                 prefillCallee =
                     declare(module, weightType.getFormat(), kPrefillBatch);
    if (!decodeCallee || !prefillCallee)
      return failure();
    OpBuilder b(op);
    Location loc = op.getLoc();
    const int64_t n = weightType.getShape()[0], k = weightType.getShape()[1];
    const int64_t paddedK = weightType.getNumBlocksPerRow() * 32;
    Type f32 = b.getF32Type();

    // x as f32 [M, K'] (K' = K rounded up to blocks), zero padded, in a
    // buffer of its own: the kernel reads it with 16-byte vector loads.
    Value x = op.getInput();
    if (auto mx = dyn_cast<MXTensorType>(x.getType()))
      x = DequantizeOp::create(b, loc,
                               RankedTensorType::get(mx.getShape(), f32), x);
    Value rows = tensor::DimOp::create(b, loc, x, 0);
    const int64_t mDim = inputType.getShape()[0];
    SmallVector<Value> dynamicRows;
    if (ShapedType::isDynamic(mDim))
      dynamicRows.push_back(rows);
    auto xType = RankedTensorType::get({mDim, paddedK}, f32);
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
    if (paddedK != k)
      x = tensor::createPadHighOp(xType, x, zero, /*nofold=*/false, loc, b);
    else
      x = bufferization::AllocTensorOp::create(b, loc, xType, ValueRange{},
                                               /*copy=*/x);
    Value xBuffer = bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(xType.getShape(), f32), x, /*readOnly=*/true);

    // The weight's storage (the constants of an mxc.assemble, or the
    // storage of any other MX value) as 32-bit words and scale bytes.
    Value dataTensor, scalesTensor;
    if (auto assemble = op.getWeight().getDefiningOp<AssembleOp>()) {
      dataTensor = assemble.getData();
      scalesTensor = assemble.getScales();
    } else {
      auto storage =
          DisassembleOp::create(b, loc, weightType.getDataType(),
                                weightType.getScalesType(), op.getWeight());
      dataTensor = storage.getData();
      scalesTensor = storage.getScales();
    }
    RankedTensorType dataType = weightType.getDataType();
    Value data = bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(dataType.getShape(), b.getI8Type()), dataTensor,
        /*readOnly=*/true);
    Value bytes = memref::CollapseShapeOp::create(
        b, loc, data, SmallVector<ReassociationIndices>{{0, 1}});
    int64_t byteCount = dataType.getNumElements();
    Value words = memref::ViewOp::create(
        b, loc, MemRefType::get({byteCount / 4}, b.getI32Type()), bytes,
        arith::ConstantIndexOp::create(b, loc, 0), ValueRange{});
    words = memref::CastOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic}, b.getI32Type()), words);
    RankedTensorType scalesType = weightType.getScalesType();
    auto scaleBytesType =
        RankedTensorType::get(scalesType.getShape(), b.getI8Type());
    Value scaleBytes =
        arith::BitcastOp::create(b, loc, scaleBytesType, scalesTensor);
    Value scales = flatten(
        b, loc,
        bufferization::ToBufferOp::create(
            b, loc, MemRefType::get(scalesType.getShape(), b.getI8Type()),
            scaleBytes, /*readOnly=*/true));

    // y [M, N], written by the call.
    auto yType = MemRefType::get({mDim, n}, f32);
    Value y = memref::AllocOp::create(b, loc, yType, dynamicRows);
    SmallVector<Value> operands = {
        words,
        scales,
        flatten(b, loc, xBuffer),
        flatten(b, loc, y),
        rows,
        arith::ConstantIndexOp::create(b, loc, n),
        arith::ConstantIndexOp::create(b, loc, paddedK)};
    Value decode =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, rows,
                              arith::ConstantIndexOp::create(b, loc, 1));
    auto dispatch = scf::IfOp::create(b, loc, decode, /*withElse=*/true);
    for (auto [block, callee] :
         {std::pair{dispatch.thenBlock(), decodeCallee},
          std::pair{dispatch.elseBlock(), prefillCallee}}) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(block);
      func::CallOp::create(b, loc, callee, operands);
    }
    Value result = bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get({mDim, n}, f32), y,
        /*restrict=*/true, /*writable=*/true);
    if (result.getType() != resultType)
      result = tensor::CastOp::create(b, loc, resultType, result);
    op.replaceAllUsesWith(result);
    op.erase();
    return success();
  }
};

/// The GEMV of the kernel's documented semantics as CPU loops, around the
/// kernel's own block decoder and scale decoding: for every row r and
/// output n, blocks in order, each block's partial sum in the kernel's order.
void buildCPUBody(func::FuncOp func, num::ElemFormat format) {
  Block *entry = func.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockBegin(entry);
  Location loc = func.getLoc();
  Value words = entry->getArgument(0), scales = entry->getArgument(1),
        x = entry->getArgument(2), y = entry->getArgument(3),
        m = entry->getArgument(4), n = entry->getArgument(5),
        k = entry->getArgument(6);
  const int64_t bits = num::getFormatInfo(format).bits;
  auto cidx = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  auto mul = [&](Value a, Value c) {
    return arith::MulIOp::create(b, loc, a, c).getResult();
  };
  auto add = [&](Value a, Value c) {
    return arith::AddIOp::create(b, loc, a, c).getResult();
  };
  Value zero = cidx(0), one = cidx(1);
  Value blocks = arith::DivUIOp::create(b, loc, k, cidx(32));
  auto rowLoop = scf::ForOp::create(b, loc, zero, m, one);
  b.setInsertionPointToStart(rowLoop.getBody());
  Value r = rowLoop.getInductionVar();
  auto outLoop = scf::ForOp::create(b, loc, zero, n, one);
  b.setInsertionPointToStart(outLoop.getBody());
  Value col = outLoop.getInductionVar();
  Value f0 = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
  auto blockLoop =
      scf::ForOp::create(b, loc, zero, blocks, one, ValueRange{f0});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(blockLoop.getBody());
    Value j = blockLoop.getInductionVar();
    Value at = mul(add(mul(col, blocks), j), cidx(bits));
    SmallVector<Value> w;
    for (int64_t i = 0; i < bits; ++i)
      w.push_back(memref::LoadOp::create(b, loc, words, add(at, cidx(i))));
    kernels::GemvOptions options;
    options.format = format;
    options.nativeFP8 = false;
    int factorLog2 = 0;
    SmallVector<Value> values =
        kernels::buildBlockDecode(b, loc, options, w, factorLog2);
    Value scale = buildScaleValue(
        b, loc,
        memref::LoadOp::create(b, loc, scales, add(mul(col, blocks), j)));
    Value xBase = add(mul(r, k), mul(j, cidx(32)));
    Value partial = f0;
    for (int e = 0; e < 32; ++e) {
      Value xv = memref::LoadOp::create(b, loc, x, add(xBase, cidx(e)));
      partial = math::FmaOp::create(b, loc, values[e], xv, partial);
    }
    Value unfactor = arith::ConstantOp::create(
        b, loc,
        b.getF32FloatAttr(static_cast<float>(std::ldexp(1.0, -factorLog2))));
    Value next = math::FmaOp::create(
        b, loc, arith::MulFOp::create(b, loc, partial, unfactor), scale,
        blockLoop.getRegionIterArgs()[0]);
    scf::YieldOp::create(b, loc, next);
  }
  memref::StoreOp::create(b, loc, blockLoop.getResult(0), y,
                          add(mul(r, n), col));
  b.setInsertionPointAfter(rowLoop);
  func::ReturnOp::create(b, loc);
}

struct MXCGPUMXKernelsPass
    : mlir::mxc::impl::MXCGPUMXKernelsPassBase<MXCGPUMXKernelsPass> {
  using MXCGPUMXKernelsPassBase::MXCGPUMXKernelsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<int> smVersion = kernels::chipVersion(chip);
    if (target == GemvTarget::CUDA && !smVersion) {
      module.emitError() << "mxc-gpu-mx-kernels: chip must be sm_XY, not '"
                         << chip << "'";
      return signalPassFailure();
    }
    SmallVector<func::FuncOp> callees;
    for (auto func : module.getOps<func::FuncOp>())
      if (func.isDeclaration() && func.getName().starts_with(kPrefix))
        callees.push_back(func);
    for (func::FuncOp callee : callees) {
      // mxc_gemv_<format>_b<batch>
      StringRef rest = callee.getName().drop_front(kPrefix.size());
      auto [formatName, batchText] = rest.rsplit("_b");
      std::optional<num::ElemFormat> format =
          num::parseElemFormat(formatName.str());
      int64_t batch = 0;
      if (!format || batchText.getAsInteger(10, batch) || batch < 1 ||
          batch > 16 || callee.getFunctionType() != gemvType(&getContext())) {
        callee.emitError() << "mxc-gpu-mx-kernels: not a GEMV mxc knows";
        return signalPassFailure();
      }
      callee.setPrivate();
      if (target == GemvTarget::CPU) {
        buildCPUBody(callee, *format);
        continue;
      }
      buildKernelBody(module, callee, {*format, batch, *smVersion >= 89});
      launchCalls(module, callee, batch);
    }
  }

  /// The kernel's body, moved into `callee` (a device function once
  /// outlined with the launches that call it).
  void buildKernelBody(ModuleOp module, func::FuncOp callee,
                       const kernels::GemvOptions &options) {
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto scratch = gpu::GPUModuleOp::create(b, module.getLoc(), "mxc_scratch");
    gpu::GPUFuncOp kernel = kernels::buildGemvKernel(b, scratch, options);
    callee.getBody().takeBody(kernel.getBody());
    callee.walk([](gpu::ReturnOp ret) {
      OpBuilder r(ret);
      func::ReturnOp::create(r, ret.getLoc());
      ret.erase();
    });
    scratch.erase();
  }

  /// Each call becomes a launch of the kernel's geometry that calls it.
  void launchCalls(ModuleOp module, func::FuncOp callee, int64_t batch) {
    std::optional<SymbolTable::UseRange> uses = callee.getSymbolUses(module);
    if (!uses)
      return;
    SmallVector<func::CallOp> calls;
    for (const SymbolTable::SymbolUse &use : *uses)
      if (auto call = dyn_cast<func::CallOp>(use.getUser()))
        calls.push_back(call);
    for (func::CallOp call : calls) {
      OpBuilder b(call);
      Location loc = call.getLoc();
      Value m = call.getOperand(4), n = call.getOperand(5);
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      Value gridX = arith::CeilDivUIOp::create(
          b, loc, n,
          arith::ConstantIndexOp::create(b, loc, kernels::kGemvWarpsPerBlock));
      Value gridY = arith::CeilDivUIOp::create(
          b, loc, m, arith::ConstantIndexOp::create(b, loc, batch));
      Value threads = arith::ConstantIndexOp::create(
          b, loc, 32 * kernels::kGemvWarpsPerBlock);
      auto launch =
          gpu::LaunchOp::create(b, loc, gridX, gridY, one, threads, one, one);
      Block &body = launch.getBody().front();
      call->moveBefore(&body, body.end());
      b.setInsertionPointToEnd(&body);
      gpu::TerminatorOp::create(b, loc);
    }
  }
};

} // namespace
