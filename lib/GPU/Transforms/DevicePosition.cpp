//===- DevicePosition.cpp - mxc-gpu-device-position -----------------------===//
//
// A decode step's position (the argument marked mxc.position) becomes a
// memref<1xi64> in device memory that the kernels read, so that no kernel
// parameter depends on it and the step's CUDA graph replays as captured.
//
//===----------------------------------------------------------------------===//

#include "mxc/GPU/KernelABI.h"
#include "mxc/GPU/Passes.h"
#include "mxc/IR/MXCDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Iterators.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUDEVICEPOSITIONPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

/// Operand positions in a launch of the attention kernel (the dense form's
/// operands are the callee's, attentionCalleeType).
constexpr unsigned kKeysOperand = 4, kKeyOffsetOperand = 11;

/// Whether `launch` launches mxc's dense attention kernel (its split form
/// appends operands to the callee's).
bool isAttentionLaunch(gpu::LaunchFuncOp launch) {
  FunctionType type = attentionCalleeType(launch.getContext());
  TypeRange operands = launch.getKernelOperands().getTypes();
  // kernels::attentionDecodeKernelName of the dense kernel.
  return launch.getKernelName().getValue().starts_with(
             "mx_attention_decode_dense_d") &&
         operands.size() >= type.getNumInputs() &&
         llvm::equal(operands.take_front(type.getNumInputs()),
                     type.getInputs());
}

/// Whether `v` is the constant 0 key offset (mxc_attention_no_key_offset).
bool isNoKeyOffset(Value v) {
  auto get = v.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return false;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  auto value =
      global
          ? dyn_cast_or_null<DenseIntElementsAttr>(global.getInitialValueAttr())
          : DenseIntElementsAttr();
  return global && global.getConstant() && value && value.isSplat() &&
         value.getSplatValue<APInt>().isZero();
}

/// Whether `v` is computed on the host from `position` by pure ops alone
/// (memoized in `depends`).
bool purelyFrom(Value v, Value position, llvm::DenseMap<Value, bool> &depends) {
  if (v == position)
    return true;
  auto it = depends.find(v);
  if (it != depends.end())
    return it->second;
  Operation *def = v.getDefiningOp();
  bool result = def && isPure(def) && def->getNumRegions() == 0 &&
                llvm::any_of(def->getOperands(), [&](Value operand) {
                  return purelyFrom(operand, position, depends);
                });
  depends[v] = result;
  return result;
}

/// Clones into `launch` the pure ops that compute, from the position, the
/// values its body uses from above, so that it reads only the position.
void sinkDependents(gpu::LaunchOp launch, Value position) {
  llvm::SetVector<Value> above;
  getUsedValuesDefinedAbove(launch.getBody(), above);
  llvm::DenseMap<Value, bool> depends;
  OpBuilder b = OpBuilder::atBlockBegin(&launch.getBody().front());
  IRMapping mapping;
  std::function<Value(Value)> sunk = [&](Value v) -> Value {
    if (v == position || !purelyFrom(v, position, depends))
      return v;
    if (Value done = mapping.lookupOrNull(v))
      return done;
    Operation *def = v.getDefiningOp();
    for (Value operand : def->getOperands())
      mapping.map(operand, sunk(operand));
    b.clone(*def, mapping);
    return mapping.lookup(v);
  };
  for (Value v : above) {
    Value inside = sunk(v);
    if (inside != v)
      replaceAllUsesInRegionWith(v, inside, launch.getBody());
  }
}

struct MXCGPUDevicePositionPass
    : mlir::mxc::impl::MXCGPUDevicePositionPassBase<MXCGPUDevicePositionPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      for (unsigned i = 0; i < func.getNumArguments(); ++i) {
        if (!func.getArgAttr(i, kPositionArgAttr))
          continue;
        FailureOr<bool> moved = moveToDevice(func, i);
        if (failed(moved) || (*moved && failed(updateCalls(module, func, i))))
          return signalPassFailure();
        break;
      }
    }
  }

  /// A call of `func` (@forward calls @decode at position 0) passes its
  /// position in a buffer of its own, written by a one-thread kernel.
  LogicalResult updateCalls(ModuleOp module, func::FuncOp func,
                            unsigned index) {
    std::optional<SymbolTable::UseRange> uses = func.getSymbolUses(module);
    if (!uses)
      return success();
    for (const SymbolTable::SymbolUse &use : *uses) {
      auto call = dyn_cast<func::CallOp>(use.getUser());
      if (!call)
        return use.getUser()->emitError()
               << "mxc-gpu-device-position: @" << func.getName()
               << " is used other than by calls";
      OpBuilder b(call);
      Location loc = call.getLoc();
      auto type = cast<MemRefType>(func.getArgument(index).getType());
      Value buffer = memref::AllocOp::create(b, loc, type);
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      Value position = call.getOperand(index);
      auto launch = gpu::LaunchOp::create(b, loc, one, one, one, one, one, one);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(&launch.getBody().front());
        Value zero = arith::ConstantIndexOp::create(b, loc, 0);
        Value value =
            arith::IndexCastOp::create(b, loc, b.getI64Type(), position);
        memref::StoreOp::create(b, loc, value, buffer, ValueRange{zero});
        gpu::TerminatorOp::create(b, loc);
      }
      call->setOperand(index, buffer);
      b.setInsertionPointAfter(call);
      memref::DeallocOp::create(b, loc, buffer);
    }
    return success();
  }

  /// Where each use of the position goes, if all can: a kernel's use reads
  /// the buffer; the attention's keys `position + n` become n, with the
  /// buffer as the key offset. Any other use stays on the host, and then
  /// so does the position (the function keeps its index argument). Returns
  /// whether the position moved; a failure is an error.
  FailureOr<bool> moveToDevice(func::FuncOp func, unsigned index) {
    BlockArgument position = func.getArgument(index);
    if (!position.getType().isIndex())
      return func.emitError() << "mxc-gpu-device-position: the argument "
                                 "marked "
                              << kPositionArgAttr << " is not an index";
    // A reinterpret_cast reads only its source's base: a subview of the KV
    // cache up to the keys (position + n) is no use to it.
    func.walk([](memref::ReinterpretCastOp cast) {
      while (auto view = cast.getSource().getDefiningOp<memref::SubViewOp>())
        cast.getSourceMutable().assign(view.getSource());
    });
    // What a kernel computes on the host from the position (the KV cache's
    // rows of the step, the number of keys, their tiles: pure index
    // arithmetic and views) it computes itself.
    func.walk([&](gpu::LaunchOp launch) { sinkDependents(launch, position); });
    // What is left of those on the host, and other dead views and index
    // computations (before the canonicalizer runs), are no use.
    func.walk<WalkOrder::PostOrder, ReverseIterator>([](Operation *op) {
      if (isOpTriviallyDead(op))
        op->erase();
    });
    SmallVector<OpOperand *> inKernels;
    SmallVector<std::pair<arith::AddIOp, Value>> keys;
    for (OpOperand &use : position.getUses()) {
      Operation *user = use.getOwner();
      if (user->getParentOfType<gpu::LaunchOp>()) {
        inKernels.push_back(&use);
        continue;
      }
      auto add = dyn_cast<arith::AddIOp>(user);
      if (!add || !llvm::all_of(add->getUses(), [](OpOperand &u) {
            auto launch = dyn_cast<gpu::LaunchFuncOp>(u.getOwner());
            return launch && isAttentionLaunch(launch) &&
                   &u == &launch.getKernelOperandsMutable()[kKeysOperand] &&
                   isNoKeyOffset(launch.getKernelOperands()[kKeyOffsetOperand]);
          }))
        return false; // stays on the host
      Value other = add.getLhs() == position ? add.getRhs() : add.getLhs();
      if (other == position)
        return false;
      keys.push_back({add, other});
    }

    // The buffer (the attention's key offset type) replaces the index
    // argument, at the same place.
    if (failed(func.insertArgument(index + 1,
                                   attentionKeyOffsetType(&getContext()), {},
                                   func.getLoc())))
      return failure();
    func.setArgAttr(index + 1, kPositionArgAttr, UnitAttr::get(&getContext()));
    Value buffer = func.getArgument(index + 1);
    // In each kernel, the position is read once, at the start.
    llvm::DenseMap<Operation *, Value> readIn;
    for (OpOperand *use : inKernels) {
      Operation *launch = use->getOwner()->getParentOfType<gpu::LaunchOp>();
      while (auto outer = launch->getParentOfType<gpu::LaunchOp>())
        launch = outer;
      Value &value = readIn[launch];
      if (!value) {
        auto body = &cast<gpu::LaunchOp>(launch).getBody().front();
        OpBuilder b = OpBuilder::atBlockBegin(body);
        Location loc = launch->getLoc();
        Value zero = arith::ConstantIndexOp::create(b, loc, 0);
        value = arith::IndexCastOp::create(
            b, loc, b.getIndexType(),
            memref::LoadOp::create(b, loc, buffer, ValueRange{zero}));
      }
      use->set(value);
    }
    for (auto [add, other] : keys) {
      for (OpOperand &u : llvm::make_early_inc_range(add->getUses())) {
        auto launch = cast<gpu::LaunchFuncOp>(u.getOwner());
        launch.getKernelOperandsMutable()[kKeyOffsetOperand].set(buffer);
        u.set(other);
      }
      add.erase();
    }
    if (failed(func.eraseArgument(index)))
      return failure();
    return true;
  }
};

} // namespace
