//===- Emulate.cpp - mxc-gpu-emulate, mxc-gpu-emulate-entries -------------===//
//
// mxc's GPU kernels as CPU code that the emulator in test/lib/FakeCuda runs
// thread by thread, each thread a fiber: the kernels' own code, their
// barriers and warp shuffles included, checked on a machine without a GPU.
//
//===----------------------------------------------------------------------===//

#include "mxc/GPU/Passes.h"

#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUEMULATEPASS
#define GEN_PASS_DEF_MXCGPUEMULATEENTRIESPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

/// The thread's position after a kernel's arguments: block x and y, grid x
/// and y, thread x, block size x.
constexpr unsigned kNumIds = 6;

constexpr StringLiteral kPrefix = kEmulatedPrefix,
                        kEntryPrefix = "mxc_emu_entry_",
                        kDevicePrefix = "mxc_emu_fn_",
                        kSizesPrefix = "mxc_emu_param_sizes_",
                        kBarrier = "mxc_emu_fn_barrier",
                        kShuffle = "mxc_emu_fn_shuffle",
                        kBarrierHook = "mxc_emu_barrier_hook",
                        kShuffleHook = "mxc_emu_shuffle_hook",
                        kSetHooks = "mxc_emu_set_hooks",
                        kKernelAttr = "mxc.emulated_kernel";

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
/// The emulator's "shuffle" that is a ballot: each lane receives the bits of
/// the lanes whose value is not 0.
constexpr int32_t kBallotMode = 4;

struct MXCGPUEmulatePass
    : mlir::mxc::impl::MXCGPUEmulatePassBase<MXCGPUEmulatePass> {
  using MXCGPUEmulatePassBase::MXCGPUEmulatePassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    deviceFunctions.clear();
    SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Location loc = module.getLoc();
    buildHooks(b, loc);
    SymbolTable symbols(module);
    for (gpu::GPUModuleOp gpuModule : gpuModules) {
      // The globals the kernels read (tables, counters): the host module's
      // of the same name (where outlining copied them from), else a copy.
      for (auto global : gpuModule.getOps<memref::GlobalOp>()) {
        if (auto existing =
                symbols.lookup<memref::GlobalOp>(global.getName())) {
          if (existing.getType() != global.getType()) {
            global.emitError() << "mxc-gpu-emulate: the host module's '"
                               << global.getName() << "' is another global";
            return signalPassFailure();
          }
          continue;
        }
        symbols.insert(global->clone());
      }
      // Device functions (a kernel's callee, such as the GEMV's body) take
      // their caller's thread position too.
      for (auto device : gpuModule.getOps<func::FuncOp>())
        deviceFunctions.insert(device.getSymNameAttr());
      for (auto device :
           llvm::make_early_inc_range(gpuModule.getOps<func::FuncOp>()))
        if (!device.isDeclaration() &&
            failed(emulate(module, device,
                           (kDevicePrefix + device.getName()).str(),
                           device.getFunctionType(), device.getBody(), {})))
          return signalPassFailure();
      for (auto kernel :
           llvm::make_early_inc_range(gpuModule.getOps<gpu::GPUFuncOp>())) {
        if (!kernel.isKernel())
          continue;
        if (kernel.getNumPrivateAttributions() != 0) {
          kernel.emitError()
              << "mxc-gpu-emulate: private attributions are not emulated";
          return signalPassFailure();
        }
        SmallVector<Type> shared;
        for (BlockArgument a : kernel.getWorkgroupAttributions())
          shared.push_back(a.getType());
        if (failed(emulate(module, kernel, (kPrefix + kernel.getName()).str(),
                           kernel.getFunctionType(), kernel.getBody(), shared)))
          return signalPassFailure();
        if (!keep)
          kernel.erase();
      }
    }
    if (keep)
      return;
    for (gpu::GPUModuleOp gpuModule : gpuModules)
      gpuModule.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }

  /// The emulator's barrier and shuffle, called through pointers that the
  /// emulator sets with @mxc_emu_set_hooks (found in the object with the
  /// kernels: the model's own, not linked against the emulator).
  void buildHooks(OpBuilder &b, Location loc) {
    MLIRContext *ctx = b.getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    Type i32 = b.getI32Type();
    for (StringRef hook : {kBarrierHook, kShuffleHook}) {
      auto global =
          LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false,
                                 LLVM::Linkage::Internal, hook, Attribute());
      OpBuilder init(ctx);
      init.setInsertionPointToStart(
          &global.getInitializerRegion().emplaceBlock());
      LLVM::ReturnOp::create(init, loc,
                             LLVM::ZeroOp::create(init, loc, ptr).getResult());
    }
    auto setter = func::FuncOp::create(b, loc, kSetHooks,
                                       b.getFunctionType({ptr, ptr}, {}));
    {
      OpBuilder body = OpBuilder::atBlockBegin(setter.addEntryBlock());
      const StringLiteral hooks[] = {kBarrierHook, kShuffleHook};
      for (auto [i, hook] : llvm::enumerate(hooks))
        LLVM::StoreOp::create(
            body, loc, setter.getArgument(i),
            LLVM::AddressOfOp::create(body, loc, ptr, hook).getResult());
      func::ReturnOp::create(body, loc);
    }
    // The calls the kernels make: through the hooks.
    auto indirect = [&](StringRef name, StringRef hook, TypeRange inputs,
                        TypeRange results) {
      auto func = func::FuncOp::create(b, loc, name,
                                       b.getFunctionType(inputs, results));
      func.setPrivate();
      OpBuilder body = OpBuilder::atBlockBegin(func.addEntryBlock());
      Value callee = LLVM::LoadOp::create(
          body, loc, ptr,
          LLVM::AddressOfOp::create(body, loc, ptr, hook).getResult());
      SmallVector<Value> operands = {callee};
      operands.append(func.getArguments().begin(), func.getArguments().end());
      auto type = LLVM::LLVMFunctionType::get(
          results.empty() ? LLVM::LLVMVoidType::get(ctx) : results.front(),
          SmallVector<Type>(inputs));
      auto call = LLVM::CallOp::create(body, loc, type, operands);
      func::ReturnOp::create(body, loc, call.getResults());
    };
    indirect(kBarrier, kBarrierHook, {}, {});
    indirect(kShuffle, kShuffleHook, {i32, i32, i32, i32}, {i32});
  }

  /// The thread body `name`(arguments of `type`, ids) -> its results, from
  /// `body` (a kernel's, with `shared` workgroup buffers after its
  /// arguments, or a device function's), cloned when keeping the GPU
  /// modules, else moved.
  LogicalResult emulate(ModuleOp module, Operation *op, const std::string &name,
                        FunctionType type, Region &region,
                        ArrayRef<Type> sharedTypes) {
    Location loc = op->getLoc();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Type index = b.getIndexType();
    ArrayRef<Type> arguments = type.getInputs();
    // A device function's workgroup buffer argument (a staged GEMV's, passed
    // by its kernel) is a plain buffer here, as the kernel's own are.
    auto plain = [](Type t) -> Type {
      auto memref = dyn_cast<MemRefType>(t);
      if (!memref || !memref.getMemorySpace())
        return t;
      return MemRefType::get(memref.getShape(), memref.getElementType(),
                             memref.getLayout());
    };
    SmallVector<Type> inputs = llvm::map_to_vector(arguments, plain);
    inputs.append(kNumIds, index);
    auto func = func::FuncOp::create(
        b, loc, name, b.getFunctionType(inputs, type.getResults()));
    if (!sharedTypes.empty() || isa<gpu::GPUFuncOp>(op))
      func->setAttr(kKernelAttr, b.getUnitAttr());
    // Workgroup buffers: globals without a memory space.
    for (auto [i, type] : llvm::enumerate(sharedTypes)) {
      auto memref = cast<MemRefType>(type);
      auto plain = MemRefType::get(memref.getShape(), memref.getElementType());
      memref::GlobalOp::create(b, loc, name + "_shared" + std::to_string(i),
                               b.getStringAttr("private"), plain, Attribute(),
                               /*constant=*/false, IntegerAttr());
    }
    if (keep) {
      IRMapping mapping;
      region.cloneInto(&func.getBody(), mapping);
    } else {
      func.getBody().takeBody(region);
    }
    Block &entry = func.getBody().front();
    const unsigned numInputs = arguments.size();
    for (unsigned i = 0; i < numInputs; ++i)
      entry.getArgument(i).setType(plain(arguments[i]));
    // blockX, blockY, gridX, gridY, threadX, blockDimX.
    SmallVector<Value> ids;
    for (unsigned i = 0; i < kNumIds; ++i)
      ids.push_back(entry.addArgument(index, loc));
    Value blockX = ids[0], blockY = ids[1], gridX = ids[2], gridY = ids[3],
          thread = ids[4], blockDimX = ids[5];
    OpBuilder body = OpBuilder::atBlockBegin(&entry);
    const unsigned numShared = entry.getNumArguments() - kNumIds - numInputs;
    for (unsigned i = 0; i < numShared; ++i) {
      BlockArgument arg = entry.getArgument(numInputs + i);
      auto type = cast<MemRefType>(arg.getType());
      Value global = memref::GetGlobalOp::create(
          body, loc, MemRefType::get(type.getShape(), type.getElementType()),
          name + "_shared" + std::to_string(i));
      arg.replaceAllUsesWith(global);
    }
    entry.eraseArguments(numInputs, numShared);
    Value zero = arith::ConstantIndexOp::create(body, loc, 0),
          one = arith::ConstantIndexOp::create(body, loc, 1);

    // Tensor-core products become the warp's shuffles and each lane's
    // multiply-adds (which the walk below then emulates), and bf16
    // roundings integer operations (this CPU's LLVM would call a runtime
    // function for them).
    SmallVector<nvgpu::LdMatrixOp> ldmatrices;
    func.walk([&](nvgpu::LdMatrixOp ld) { ldmatrices.push_back(ld); });
    for (nvgpu::LdMatrixOp ld : ldmatrices)
      if (failed(expandLdMatrix(ld, thread)))
        return failure();
    SmallVector<NVVM::MmaOp> mmas;
    func.walk([&](NVVM::MmaOp mma) { mmas.push_back(mma); });
    for (NVVM::MmaOp mma : mmas)
      if (failed(expandMma(mma, thread)))
        return failure();
    // Only where there are bf16 conversions: the greedy driver also folds
    // and erases dead code, which the other kernels need not go through.
    bool hasBF16 =
        func.walk([](Operation *op) {
              auto isBF16 = [](Type t) {
                return isa<BFloat16Type>(getElementTypeOrSelf(t));
              };
              return isa<arith::TruncFOp, arith::ExtFOp>(op) &&
                             (llvm::any_of(op->getOperandTypes(), isBF16) ||
                              llvm::any_of(op->getResultTypes(), isBF16))
                         ? WalkResult::interrupt()
                         : WalkResult::advance();
            })
            .wasInterrupted();
    if (hasBF16) {
      RewritePatternSet patterns(b.getContext());
      arith::populateExpandBFloat16Patterns(patterns);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return func.emitError() << "mxc-gpu-emulate: bf16 expansion failed";
    }

    WalkResult walk = func.walk([&](Operation *op) -> WalkResult {
      OpBuilder at(op);
      // The value of dimension x, y, or z (one block dimension, a grid of
      // two).
      auto pick = [](gpu::Dimension d, Value x, Value y, Value z) {
        return d == gpu::Dimension::x ? x : d == gpu::Dimension::y ? y : z;
      };
      if (auto id = dyn_cast<gpu::ThreadIdOp>(op)) {
        id.replaceAllUsesWith(pick(id.getDimension(), thread, zero, zero));
      } else if (auto id = dyn_cast<gpu::BlockIdOp>(op)) {
        id.replaceAllUsesWith(pick(id.getDimension(), blockX, blockY, zero));
      } else if (auto dim = dyn_cast<gpu::BlockDimOp>(op)) {
        dim.replaceAllUsesWith(pick(dim.getDimension(), blockDimX, one, one));
      } else if (auto dim = dyn_cast<gpu::GridDimOp>(op)) {
        dim.replaceAllUsesWith(pick(dim.getDimension(), gridX, gridY, one));
      } else if (auto lane = dyn_cast<gpu::LaneIdOp>(op)) {
        lane.replaceAllUsesWith(
            arith::RemUIOp::create(
                at, op->getLoc(), thread,
                arith::ConstantIndexOp::create(at, op->getLoc(), 32))
                .getResult());
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
            func::CallOp::create(
                at, op->getLoc(), shuffleFunc(module),
                ValueRange{bits, shfl.getOffset(), shfl.getWidth(), mode})
                .getResult(0);
        if (type.isF32())
          result = arith::BitcastOp::create(at, op->getLoc(), type, result);
        shfl.getShuffleResult().replaceAllUsesWith(result);
      } else if (auto sync = dyn_cast<NVVM::SyncWarpOp>(op)) {
        // A warp barrier of the whole warp: the lanes meet as at a shuffle,
        // of which this is one whose result nobody reads.
        if (!isWholeWarp(sync.getMask()))
          return op->emitError() << "mxc-gpu-emulate: a warp barrier of part "
                                    "of a warp is not emulated";
        meet(at, op->getLoc(), module, /*value=*/nullptr,
             shuffleMode(gpu::ShuffleMode::IDX));
      } else if (auto vote = dyn_cast<NVVM::VoteSyncOp>(op)) {
        // A ballot of the whole warp: the lanes meet as at a shuffle, and
        // each receives the bits of the lanes whose predicate holds.
        if (vote.getKind() != NVVM::VoteSyncKind::ballot ||
            !isWholeWarp(vote.getMask()))
          return op->emitError() << "mxc-gpu-emulate: only a ballot of the "
                                    "whole warp is emulated";
        vote.getRes().replaceAllUsesWith(
            meet(at, op->getLoc(), module,
                 arith::ExtUIOp::create(at, op->getLoc(), at.getI32Type(),
                                        vote.getPred()),
                 kBallotMode));
      } else if (isa<gpu::ReturnOp>(op)) {
        func::ReturnOp::create(at, op->getLoc());
      } else if (auto call = dyn_cast<func::CallOp>(op)) {
        if (!deviceFunctions.contains(call.getCalleeAttr().getAttr()))
          return WalkResult::advance();
        SmallVector<Value> operands(call.getOperands());
        operands.append(ids);
        auto emulated = func::CallOp::create(
            at, op->getLoc(), (kDevicePrefix + call.getCallee()).str(),
            call.getResultTypes(), operands);
        call.replaceAllUsesWith(emulated.getResults());
      } else if (isa<gpu::GPUDialect, NVVM::NVVMDialect>(op->getDialect())) {
        return op->emitError()
               << "mxc-gpu-emulate: '" << op->getName() << "' is not emulated";
      } else {
        return WalkResult::advance();
      }
      op->erase();
      return WalkResult::skip();
    });
    if (walk.wasInterrupted())
      return failure();
    if (!keep && isa<func::FuncOp>(op))
      op->erase();
    return success();
  }

  /// The lane (i32) of the thread whose x index is `thread`.
  static Value laneOf(OpBuilder &at, Location loc, Value thread) {
    return arith::IndexCastOp::create(
        at, loc, at.getI32Type(),
        arith::RemUIOp::create(at, loc, thread,
                               arith::ConstantIndexOp::create(at, loc, 32)));
  }

  /// `mma` (mma.sync m16n8k16, bf16 x bf16 + f32, A row-major, B
  /// column-major) as each lane computes it: A's rows g and g + 8 and B's
  /// columns 2t and 2t + 1 (lane 4g + t's outputs) gathered with 32 index
  /// shuffles from the lanes that hold them (the PTX ISA's fragment
  /// layout), then 16 f32 multiply-adds per output in the order of k. The
  /// products of two bf16 are exact in f32; the hardware's order of the
  /// additions is its own, so emulated and real sums may differ in their
  /// last bits.
  static LogicalResult expandMma(NVVM::MmaOp mma, Value thread) {
    NVVM::MMAShapeAttr shape = mma.getShapeAttr();
    if (shape.getM() != 16 || shape.getN() != 8 || shape.getK() != 16 ||
        mma.getMultiplicandAPtxType() != NVVM::MMATypes::bf16 ||
        mma.getMultiplicandBPtxType() != NVVM::MMATypes::bf16 ||
        mma.getLayoutA() != NVVM::MMALayout::row ||
        mma.getLayoutB() != NVVM::MMALayout::col ||
        mma.getOperandA().size() != 4 || mma.getOperandB().size() != 2 ||
        mma.getOperandC().size() != 4 ||
        !llvm::all_of(mma.getOperandC().getTypes(),
                      [](Type t) { return t.isF32(); }))
      return mma.emitError() << "mxc-gpu-emulate: only mma.sync m16n8k16 of "
                                "bf16 (row, col) into f32 is emulated";
    OpBuilder at(mma);
    Location loc = mma.getLoc();
    Type i32 = at.getI32Type(), f32 = at.getF32Type();
    auto ci = [&](int64_t v) {
      return arith::ConstantIntOp::create(at, loc, i32, v).getResult();
    };
    Value lane = laneOf(at, loc, thread);
    Value g = arith::DivUIOp::create(at, loc, lane, ci(4));
    Value t = arith::RemUIOp::create(at, loc, lane, ci(4));
    // Word `v` of lane `src`.
    auto fetch = [&](Value v, Value src) {
      return gpu::ShuffleOp::create(at, loc, v, src, ci(32),
                                    gpu::ShuffleMode::IDX)
          .getShuffleResult();
    };
    // The two bf16 of a word as f32: element 2i is the low half.
    auto unpack = [&](Value word) -> std::pair<Value, Value> {
      Value low = arith::ShLIOp::create(at, loc, word, ci(16));
      Value high = arith::AndIOp::create(at, loc, word,
                                         ci(static_cast<int32_t>(0xFFFF0000u)));
      return {arith::BitcastOp::create(at, loc, f32, low),
              arith::BitcastOp::create(at, loc, f32, high)};
    };
    ValueRange a = mma.getOperandA(), bOps = mma.getOperandB();
    // rowA[h][kk]: A[g + 8h][kk]; colB[e][kk]: B[kk][2t + e].
    Value rowA[2][16], colB[2][16];
    for (int64_t s = 0; s < 4; ++s) {
      Value src = arith::AddIOp::create(
          at, loc, arith::MulIOp::create(at, loc, g, ci(4)), ci(s));
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t half = 0; half < 2; ++half) {
          // a[h + 2 half]: row g + 8h, columns 2s + 8 half (+ 1).
          auto [lo, hi] = unpack(fetch(a[h + 2 * half], src));
          rowA[h][2 * s + 8 * half] = lo;
          rowA[h][2 * s + 8 * half + 1] = hi;
        }
      for (int64_t e = 0; e < 2; ++e) {
        Value col = arith::AddIOp::create(
            at, loc, arith::MulIOp::create(at, loc, t, ci(2)), ci(e));
        Value from = arith::AddIOp::create(
            at, loc, arith::MulIOp::create(at, loc, col, ci(4)), ci(s));
        for (int64_t half = 0; half < 2; ++half) {
          // b[half]: rows 2s + 8 half (+ 1) of column (lane from) / 4.
          auto [lo, hi] = unpack(fetch(bOps[half], from));
          colB[e][2 * s + 8 * half] = lo;
          colB[e][2 * s + 8 * half + 1] = hi;
        }
      }
    }
    Value d = LLVM::PoisonOp::create(at, loc, mma.getRes().getType());
    for (int64_t i = 0; i < 4; ++i) {
      Value sum = mma.getOperandC()[i];
      for (int64_t kk = 0; kk < 16; ++kk)
        sum =
            math::FmaOp::create(at, loc, rowA[i / 2][kk], colB[i % 2][kk], sum);
      d = LLVM::InsertValueOp::create(at, loc, d, sum, ArrayRef<int64_t>{i});
    }
    mma.getRes().replaceAllUsesWith(d);
    mma.erase();
    return success();
  }

  /// `ld` (ldmatrix.x4 of b16 pairs, not transposed, from a 1-D memref of
  /// i32: each lane's index the first word of a 16-byte row) as each lane
  /// computes it: matrix i's row l / 4 is lane 8i + l / 4's row, whose
  /// index an index shuffle brings, and the lane's word of it is word
  /// l % 4.
  static LogicalResult expandLdMatrix(nvgpu::LdMatrixOp ld, Value thread) {
    auto source = cast<MemRefType>(ld.getSrcMemref().getType());
    if (ld.getTranspose() || ld.getNumTiles() != 4 || source.getRank() != 1 ||
        !source.getElementType().isInteger(32) ||
        ld.getRes().getType() !=
            VectorType::get({4, 1}, source.getElementType()))
      return ld.emitError() << "mxc-gpu-emulate: only an ldmatrix.x4 of a 1-D "
                               "i32 buffer, not transposed, is emulated";
    OpBuilder at(ld);
    Location loc = ld.getLoc();
    Type i32 = at.getI32Type(), index = at.getIndexType();
    auto ci = [&](int64_t v) {
      return arith::ConstantIntOp::create(at, loc, i32, v).getResult();
    };
    Value lane = laneOf(at, loc, thread);
    Value row = arith::DivUIOp::create(at, loc, lane, ci(4));
    Value word = arith::IndexCastOp::create(
        at, loc, index, arith::RemUIOp::create(at, loc, lane, ci(4)));
    Value start =
        arith::IndexCastOp::create(at, loc, i32, ld.getIndices().front());
    SmallVector<Value> words;
    for (int64_t i = 0; i < 4; ++i) {
      Value src = arith::AddIOp::create(at, loc, row, ci(8 * i));
      Value rowStart = gpu::ShuffleOp::create(at, loc, start, src, ci(32),
                                              gpu::ShuffleMode::IDX)
                           .getShuffleResult();
      words.push_back(memref::LoadOp::create(
          at, loc, ld.getSrcMemref(),
          ValueRange{arith::AddIOp::create(
              at, loc, arith::IndexCastOp::create(at, loc, index, rowStart),
              word)}));
    }
    ld.getRes().replaceAllUsesWith(
        vector::FromElementsOp::create(at, loc, ld.getRes().getType(), words)
            .getResult());
    ld.erase();
    return success();
  }

  /// The device functions of the GPU modules (of the module being run on).
  DenseSet<StringAttr> deviceFunctions;

  static func::FuncOp barrier(ModuleOp module) {
    return module.lookupSymbol<func::FuncOp>(kBarrier);
  }
  /// Whether a warp-level operation's member mask is the whole warp.
  static bool isWholeWarp(Value mask) {
    std::optional<int64_t> bits = getConstantIntValue(mask);
    return bits && static_cast<uint32_t>(*bits) == 0xffffffffu;
  }

  /// A call of the emulator's shuffle in `mode` on `value` (i32; 0 without
  /// one) from lane 0 over the warp: the warp's lanes meet there.
  static Value meet(OpBuilder &at, Location loc, ModuleOp module, Value value,
                    int32_t mode) {
    auto c32 = [&](int32_t v) {
      return arith::ConstantIntOp::create(at, loc, at.getI32Type(), v)
          .getResult();
    };
    return func::CallOp::create(
               at, loc, shuffleFunc(module),
               ValueRange{value ? value : c32(0), c32(0), c32(32), c32(mode)})
        .getResult(0);
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
      if (func->hasAttr(kKernelAttr))
        kernels.push_back(func);
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = IntegerType::get(ctx, 64);
    DataLayout layout(module);
    for (LLVM::LLVMFuncOp kernel : kernels) {
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      Location loc = kernel.getLoc();
      LLVM::LLVMFunctionType type = kernel.getFunctionType();
      const unsigned params = type.getNumParams();
      if (params < kNumIds) {
        kernel.emitError() << "mxc-gpu-emulate-entries: not an emulated "
                              "kernel (no block and thread indices)";
        return signalPassFailure();
      }
      std::string name =
          (kEntryPrefix + kernel.getName().drop_front(kPrefix.size())).str();
      SmallVector<Type> entryInputs = {ptr};
      entryInputs.append(kNumIds, i64);
      auto entry = LLVM::LLVMFuncOp::create(
          b, loc, name,
          LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                      entryInputs));
      Block *block = entry.addEntryBlock(b);
      b.setInsertionPointToStart(block);
      SmallVector<Value> args;
      for (unsigned i = 0; i + kNumIds < params; ++i) {
        Value slot =
            LLVM::GEPOp::create(b, loc, ptr, ptr, block->getArgument(0),
                                ArrayRef<LLVM::GEPArg>{int32_t(i)});
        Value at = LLVM::LoadOp::create(b, loc, ptr, slot);
        args.push_back(LLVM::LoadOp::create(b, loc, type.getParamType(i), at));
      }
      for (unsigned i = 1; i <= kNumIds; ++i)
        args.push_back(block->getArgument(i));
      LLVM::CallOp::create(b, loc, kernel, args);
      LLVM::ReturnOp::create(b, loc, ValueRange{});

      // Its parameters' count and sizes in bytes: what a CUDA graph copies
      // at capture (the emulator, as the driver).
      SmallVector<int32_t> sizes = {static_cast<int32_t>(params - kNumIds)};
      for (unsigned i = 0; i + kNumIds < params; ++i)
        sizes.push_back(static_cast<int32_t>(
            layout.getTypeSize(type.getParamType(i)).getFixedValue()));
      b.setInsertionPointToEnd(module.getBody());
      auto arrayType =
          LLVM::LLVMArrayType::get(IntegerType::get(ctx, 32), sizes.size());
      LLVM::GlobalOp::create(
          b, loc, arrayType, /*isConstant=*/true, LLVM::Linkage::External,
          (kSizesPrefix + kernel.getName().drop_front(kPrefix.size())).str(),
          b.getI32TensorAttr(sizes));
    }
  }
};

} // namespace
