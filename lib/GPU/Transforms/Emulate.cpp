//===- Emulate.cpp - mxc-gpu-emulate, mxc-gpu-emulate-entries -------------===//
//
// mxc's GPU kernels as CPU code that the emulator in test/lib/FakeCuda runs
// thread by thread, each thread a fiber: the kernels' own code, their
// barriers and warp shuffles included, checked on a machine without a GPU.
//
//===----------------------------------------------------------------------===//

#include "mxc/GPU/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUEMULATEPASS
#define GEN_PASS_DEF_MXCGPUEMULATEENTRIESPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

constexpr StringLiteral kPrefix = "mxc_emu_", kEntryPrefix = "mxc_emu_entry_",
                        kBarrier = "mxc_emu_barrier",
                        kShuffle = "mxc_emu_shuffle";

/// The emulator's shuffle modes (test/lib/FakeCuda).
int32_t shuffleMode(gpu::ShuffleMode mode) {
  switch (mode) {
  case gpu::ShuffleMode::XOR:
    return 0;
  case gpu::ShuffleMode::UP:
    return 1;
  case gpu::ShuffleMode::DOWN:
    return 2;
  case gpu::ShuffleMode::IDX:
    return 3;
  }
  llvm_unreachable("unknown shuffle mode");
}

struct MXCGPUEmulatePass
    : mlir::mxc::impl::MXCGPUEmulatePassBase<MXCGPUEmulatePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Location loc = module.getLoc();
    MLIRContext *ctx = &getContext();
    Type i32 = b.getI32Type();
    auto barrier = func::FuncOp::create(b, loc, kBarrier,
                                        b.getFunctionType({}, {}));
    auto shuffle = func::FuncOp::create(
        b, loc, kShuffle, b.getFunctionType({i32, i32, i32, i32}, {i32}));
    barrier.setPrivate();
    shuffle.setPrivate();
    for (gpu::GPUModuleOp gpuModule : gpuModules)
      for (auto kernel :
           llvm::make_early_inc_range(gpuModule.getOps<gpu::GPUFuncOp>()))
        if (kernel.isKernel() && failed(emulate(module, kernel)))
          return signalPassFailure();
    for (gpu::GPUModuleOp gpuModule : gpuModules)
      gpuModule.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
    (void)ctx;
  }

  LogicalResult emulate(ModuleOp module, gpu::GPUFuncOp kernel) {
    Location loc = kernel.getLoc();
    std::string name = (kPrefix + kernel.getName()).str();
    if (kernel.getNumPrivateAttributions() != 0)
      return kernel.emitError()
             << "mxc-gpu-emulate: private attributions are not emulated";
    std::optional<DenseI32ArrayAttr> known = kernel.getKnownBlockSizeAttr()
                                                 ? std::optional(
                                                       kernel.getKnownBlockSizeAttr())
                                                 : std::nullopt;
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Type index = b.getIndexType();
    SmallVector<Type> inputs(kernel.getArgumentTypes());
    inputs.append({index, index, index});
    auto func =
        func::FuncOp::create(b, loc, name, b.getFunctionType(inputs, {}));
    // Workgroup buffers: globals without a memory space.
    SmallVector<Value> shared;
    for (auto [i, attribution] :
         llvm::enumerate(kernel.getWorkgroupAttributions())) {
      auto type = cast<MemRefType>(attribution.getType());
      auto plain = MemRefType::get(type.getShape(), type.getElementType());
      memref::GlobalOp::create(b, loc, name + "_shared" + std::to_string(i),
                               b.getStringAttr("private"), plain, Attribute(),
                               /*constant=*/false, IntegerAttr());
    }
    func.getBody().takeBody(kernel.getBody());
    Block &entry = func.getBody().front();
    const unsigned numInputs = kernel.getNumArguments();
    Value blockX = entry.addArgument(index, loc),
          blockY = entry.addArgument(index, loc),
          thread = entry.addArgument(index, loc);
    OpBuilder body = OpBuilder::atBlockBegin(&entry);
    const unsigned numShared = entry.getNumArguments() - 3 - numInputs;
    for (unsigned i = 0; i < numShared; ++i) {
      BlockArgument arg = entry.getArgument(numInputs + i);
      auto type = cast<MemRefType>(arg.getType());
      Value global = memref::GetGlobalOp::create(
          body, loc, MemRefType::get(type.getShape(), type.getElementType()),
          name + "_shared" + std::to_string(i));
      arg.replaceAllUsesWith(global);
    }
    entry.eraseArguments(numInputs, numShared);
    Value zero = arith::ConstantIndexOp::create(body, loc, 0);

    WalkResult walk = func.walk([&](Operation *op) -> WalkResult {
      OpBuilder at(op);
      if (auto id = dyn_cast<gpu::ThreadIdOp>(op)) {
        id.replaceAllUsesWith(id.getDimension() == gpu::Dimension::x ? thread
                                                                      : zero);
      } else if (auto id = dyn_cast<gpu::BlockIdOp>(op)) {
        id.replaceAllUsesWith(id.getDimension() == gpu::Dimension::x ? blockX
                              : id.getDimension() == gpu::Dimension::y
                                  ? blockY
                                  : zero);
      } else if (auto dim = dyn_cast<gpu::BlockDimOp>(op)) {
        if (!known)
          return op->emitError()
                 << "mxc-gpu-emulate: a block size without a known one";
        int64_t size = (*known)[static_cast<unsigned>(dim.getDimension())];
        dim.replaceAllUsesWith(
            arith::ConstantIndexOp::create(at, op->getLoc(), size).getResult());
      } else if (isa<gpu::BarrierOp>(op)) {
        func::CallOp::create(at, op->getLoc(), barrier(module), ValueRange{});
      } else if (auto shfl = dyn_cast<gpu::ShuffleOp>(op)) {
        if (!shfl.getValid().use_empty())
          return op->emitError()
                 << "mxc-gpu-emulate: a shuffle's validity is not emulated";
        Type type = shfl.getValue().getType();
        Type i32 = at.getI32Type();
        if (!type.isF32() && !type.isInteger(32))
          return op->emitError() << "mxc-gpu-emulate: a shuffle of " << type;
        Value bits = shfl.getValue();
        if (type.isF32())
          bits = arith::BitcastOp::create(at, op->getLoc(), i32, bits);
        Value mode = arith::ConstantIntOp::create(at, op->getLoc(), i32,
                                                  shuffleMode(shfl.getMode()));
        Value result =
            func::CallOp::create(at, op->getLoc(), shuffleFunc(module),
                                 ValueRange{bits, shfl.getOffset(),
                                            shfl.getWidth(), mode})
                .getResult(0);
        if (type.isF32())
          result = arith::BitcastOp::create(at, op->getLoc(), type, result);
        shfl.getShuffleResult().replaceAllUsesWith(result);
      } else if (isa<gpu::ReturnOp>(op)) {
        func::ReturnOp::create(at, op->getLoc());
      } else if (isa<gpu::GPUDialect, NVVM::NVVMDialect>(op->getDialect())) {
        return op->emitError() << "mxc-gpu-emulate: '" << op->getName()
                               << "' is not emulated";
      } else {
        return WalkResult::advance();
      }
      op->erase();
      return WalkResult::skip();
    });
    if (walk.wasInterrupted())
      return failure();
    kernel.erase();
    return success();
  }

  static func::FuncOp barrier(ModuleOp module) {
    return module.lookupSymbol<func::FuncOp>(kBarrier);
  }
  static func::FuncOp shuffleFunc(ModuleOp module) {
    return module.lookupSymbol<func::FuncOp>(kShuffle);
  }
};

struct MXCGPUEmulateEntriesPass
    : mlir::mxc::impl::MXCGPUEmulateEntriesPassBase<MXCGPUEmulateEntriesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::LLVMFuncOp> kernels;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (func.getName().starts_with(kPrefix) && !func.isExternal() &&
          !func.getName().starts_with(kEntryPrefix))
        kernels.push_back(func);
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = IntegerType::get(ctx, 64);
    for (LLVM::LLVMFuncOp kernel : kernels) {
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      Location loc = kernel.getLoc();
      LLVM::LLVMFunctionType type = kernel.getFunctionType();
      const unsigned params = type.getNumParams();
      if (params < 3) {
        kernel.emitError() << "mxc-gpu-emulate-entries: not an emulated "
                              "kernel (no block and thread indices)";
        return signalPassFailure();
      }
      std::string name =
          (kEntryPrefix + kernel.getName().drop_front(kPrefix.size())).str();
      auto entry = LLVM::LLVMFuncOp::create(
          b, loc, name,
          LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                      {ptr, i64, i64, i64}));
      Block *block = entry.addEntryBlock(b);
      b.setInsertionPointToStart(block);
      SmallVector<Value> args;
      for (unsigned i = 0; i + 3 < params; ++i) {
        Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr,
                                         block->getArgument(0),
                                         ArrayRef<LLVM::GEPArg>{int32_t(i)});
        Value at = LLVM::LoadOp::create(b, loc, ptr, slot);
        args.push_back(LLVM::LoadOp::create(b, loc, type.getParamType(i), at));
      }
      for (unsigned i = 1; i <= 3; ++i)
        args.push_back(block->getArgument(i));
      LLVM::CallOp::create(b, loc, kernel, args);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
    }
  }
};

} // namespace
