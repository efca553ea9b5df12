//===- MXCAttentionToGPU.cpp - convert-mxc-attention-to-gpu ---------------===//
//
// On the GPU path a plain causal mxc.attention (f32, no span table, tile
// mask or EXAQ softmax) runs mxc's attention kernel, one block of warps per
// (head, query row), instead of the generic lowering's one thread per (row,
// head): a call of @mxc_attention_d<D> on buffers in the kernel's ABI
// (mxc/GPU/KernelABI.h), which mxc-gpu-mx-kernels later gives a body. The
// key and value buffers are read where they are: a layer's slice of the KV
// cache, passed as its first element and the distance between KV heads.
//
//===----------------------------------------------------------------------===//

#include "../KernelCalls.h"
#include "mxc/Conversion/Passes.h"
#include "mxc/GPU/KernelABI.h"
#include "mxc/IR/MXCOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "llvm/ADT/SmallBitVector.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_CONVERTMXCATTENTIONTOGPUPASS
#include "mxc/Conversion/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

struct ConvertMXCAttentionToGPUPass
    : mlir::mxc::impl::ConvertMXCAttentionToGPUPassBase<
          ConvertMXCAttentionToGPUPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<AttentionOp> attentions;
    module.walk([&](AttentionOp op) {
      if (isSupported(op))
        attentions.push_back(op);
    });
    for (AttentionOp op : attentions)
      if (failed(rewrite(op, module)))
        return signalPassFailure();
  }

  /// What the kernel computes: a plain f32 attention with a static head
  /// dimension the kernel takes, equal for keys and values.
  static bool isSupported(AttentionOp op) {
    if (!isPlainF32Attention(op))
      return false;
    const int64_t d = op.getQuery().getType().getShape()[2],
                  dv = op.getValue().getType().getShape()[2];
    return !ShapedType::isDynamic(d) && d == dv &&
           isAttentionHeadDimSupported(d);
  }

  /// `tensor` as a read-only buffer with the identity layout (a copy where
  /// it is not contiguous), flattened to memref<?xf32>.
  static Value contiguous(OpBuilder &b, Location loc, Value tensor) {
    auto type = cast<RankedTensorType>(tensor.getType());
    Value buffer = bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(type.getShape(), type.getElementType()), tensor,
        /*readOnly=*/true);
    return flattenToDynamic(b, loc, buffer);
  }

  /// Whether bufferization gives `tensor` [..., S, D] a buffer whose rows
  /// of D elements are contiguous (strides [..., D, 1]), following what it
  /// does: a slice of whole rows is a view of its source's rows; a
  /// destination-style op (an insert_slice, a linalg op) writes into its
  /// destination; an empty
  /// tensor and a copy made for a conflict are new buffers of the identity
  /// layout; a buffer of a memref type has the strides of its type. Anything
  /// else (a loop's or a call's result, a function argument) is not known.
  static bool rowsContiguous(Value tensor, int64_t d) {
    while (true) {
      if (auto slice = tensor.getDefiningOp<tensor::ExtractSliceOp>()) {
        RankedTensorType source = slice.getSourceType();
        const int64_t rank = source.getRank();
        llvm::SmallBitVector dropped = slice.getDroppedDims();
        if (!slice.hasUnitStride() || source.getShape()[rank - 1] != d ||
            slice.getStaticSizes()[rank - 1] != d ||
            slice.getStaticOffsets()[rank - 1] != 0 || dropped.test(rank - 1) ||
            dropped.test(rank - 2))
          return false;
        tensor = slice.getSource();
        continue;
      }
      if (auto dps = tensor.getDefiningOp<DestinationStyleOpInterface>()) {
        tensor = dps.getTiedOpOperand(cast<OpResult>(tensor))->get();
        continue;
      }
      if (tensor.getDefiningOp<tensor::EmptyOp>())
        return cast<RankedTensorType>(tensor.getType()).getShape().back() == d;
      if (auto toTensor = tensor.getDefiningOp<bufferization::ToTensorOp>()) {
        auto type = dyn_cast<MemRefType>(toTensor.getBuffer().getType());
        SmallVector<int64_t> strides;
        int64_t offset;
        if (!type || type.getRank() < 2 ||
            failed(type.getStridesAndOffset(strides, offset)))
          return false;
        return type.getShape().back() == d && strides.back() == 1 &&
               strides[strides.size() - 2] == d;
      }
      return false;
    }
  }

  /// Keys or values [Hkv, S, D] as the kernel reads them: where they are if
  /// their rows are contiguous (rowsContiguous), else a contiguous copy;
  /// returns the 1-D view from the first element and the distance between
  /// KV heads.
  static std::pair<Value, Value> keysOrValues(OpBuilder &b, Location loc,
                                              Value tensor) {
    auto type = cast<RankedTensorType>(tensor.getType());
    const int64_t d = type.getShape()[2], dynamic = ShapedType::kDynamic;
    // The identity layout when the rows are not known to be contiguous:
    // bufferization copies where the buffer has another layout.
    MemRefLayoutAttrInterface layout;
    if (rowsContiguous(tensor, d))
      layout = StridedLayoutAttr::get(b.getContext(), dynamic, {dynamic, d, 1});
    auto rows = MemRefType::get(type.getShape(), type.getElementType(), layout);
    Value buffer = bufferization::ToBufferOp::create(b, loc, rows, tensor,
                                                     /*readOnly=*/true);
    auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
    Value heads = memref::DimOp::create(b, loc, buffer, 0);
    Value stride = metadata.getStrides()[0];
    // heads * stride elements from the first: each KV head's rows up to the
    // next head's, whatever the number of keys, so that the view (a kernel
    // parameter) does not change with a decode step's position.
    Value size = arith::MulIOp::create(b, loc, heads, stride);
    Value view = memref::ReinterpretCastOp::create(
        b, loc, attentionKVType(b.getContext()), metadata.getBaseBuffer(),
        OpFoldResult(metadata.getOffset()), ArrayRef<OpFoldResult>{size},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
    return {view, stride};
  }

  /// The key offset of an attention whose keys are all in `keys`: a
  /// constant 0 (mxc-gpu-device-position passes a decode step's position
  /// instead).
  static Value noKeyOffset(OpBuilder &b, Location loc, ModuleOp module) {
    constexpr llvm::StringLiteral name = "mxc_attention_no_key_offset";
    MemRefType type = attentionKeyOffsetType(b.getContext());
    if (!module.lookupSymbol(name)) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(module.getBody());
      auto zeros = DenseElementsAttr::get(
          RankedTensorType::get({1}, b.getI64Type()), b.getI64IntegerAttr(0));
      memref::GlobalOp::create(b, loc, name, b.getStringAttr("private"), type,
                               zeros, /*constant=*/true,
                               /*alignment=*/IntegerAttr());
    }
    return memref::GetGlobalOp::create(b, loc, type, name);
  }

  LogicalResult rewrite(AttentionOp op, ModuleOp module) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    const int64_t d = op.getQuery().getType().getShape()[2];
    func::FuncOp callee = declareKernelFunction(
        module, attentionCalleeName(d), attentionCalleeType(&getContext()),
        "convert-mxc-attention-to-gpu", "the attention kernel's function");
    if (!callee)
      return failure();
    // The output projection reads the result as [queries, heads, D]: the
    // kernel writes that layout itself when a transpose to it is the
    // result's only use, instead of a transpose kernel after it.
    linalg::TransposeOp toRows;
    if (op->hasOneUse())
      if (auto t = dyn_cast<linalg::TransposeOp>(*op->user_begin()))
        if (t.getPermutation() == ArrayRef<int64_t>{1, 0, 2})
          toRows = t;
    RankedTensorType resultType =
        toRows ? cast<RankedTensorType>(toRows->getResult(0).getType())
               : op.getResult().getType();
    Value heads = tensor::DimOp::create(b, loc, op.getQuery(), 0),
          queries = tensor::DimOp::create(b, loc, op.getQuery(), 1),
          kvHeads = tensor::DimOp::create(b, loc, op.getKey(), 0),
          keys = tensor::DimOp::create(b, loc, op.getKey(), 1);
    SmallVector<Value> dynamicSizes;
    for (auto [i, size] : llvm::enumerate(resultType.getShape()))
      if (ShapedType::isDynamic(size))
        dynamicSizes.push_back((i == 0) == !toRows ? heads : queries);
    Value out = memref::AllocOp::create(
        b, loc, MemRefType::get(resultType.getShape(), b.getF32Type()),
        dynamicSizes);
    Value dIdx = arith::ConstantIndexOp::create(b, loc, d);
    Value outHeadStride =
        toRows ? dIdx : arith::MulIOp::create(b, loc, queries, dIdx);
    Value outRowStride =
        toRows ? arith::MulIOp::create(b, loc, heads, dIdx) : dIdx;
    auto [k, kStride] = keysOrValues(b, loc, op.getKey());
    auto [v, vStride] = keysOrValues(b, loc, op.getValue());
    func::CallOp::create(
        b, loc, callee,
        ValueRange{contiguous(b, loc, op.getQuery()), k, v,
                   flattenToDynamic(b, loc, out), keys, heads, kvHeads, kStride,
                   vStride, queries,
                   arith::ConstantOp::create(
                       b, loc, b.getF32FloatAttr(op.getScaleValue())),
                   noKeyOffset(b, loc, module), outHeadStride, outRowStride});
    if (toRows) {
      replaceByKernelResult(b, toRows, out);
      op.erase();
    } else {
      replaceByKernelResult(b, op, out);
    }
    return success();
  }
};

} // namespace
