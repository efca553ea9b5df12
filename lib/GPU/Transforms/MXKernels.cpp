//===- MXKernels.cpp - mxc-gpu-mx-kernels ---------------------------------===//
//
// The bodies of the GEMV calls convert-mxc-matmul-to-gpu made: the kernel,
// launched with its geometry (CUDA), or the same GEMV as CPU loops around
// the kernel's block decoder (CPU); and of the attention calls
// convert-mxc-attention-to-gpu made: launches of the attention kernel
// (CUDA), or the attention as CPU loops (CPU).
//
//===----------------------------------------------------------------------===//

#include "../Kernels/KernelBuilder.h"
#include "mxc/Conversion/MXCodegen.h"
#include "mxc/GPU/KernelABI.h"
#include "mxc/GPU/Kernels.h"
#include "mxc/GPU/Passes.h"
#include "mxc/IR/MXCOps.h"
#include "mxc/IR/MXCTypes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/SymbolTable.h"

#include <cmath>

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUMXKERNELSPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {

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
        k = entry->getArgument(6), residual = entry->getArgument(7),
        addResidual = entry->getArgument(8);
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
  // The kernel's epilogue: the residual plus the sum where asked for.
  kernels::buildGemvStore(b, loc, blockLoop.getResult(0), residual, addResidual,
                          y, add(mul(r, n), col));
  b.setInsertionPointAfter(rowLoop);
  func::ReturnOp::create(b, loc);
}

/// The attention of the kernel's documented semantics (Kernels.h) as CPU
/// loops over the same buffers: for every query row i and head h, the keys
/// up to the row's position in order, with a running max and sum (online
/// softmax) and the weighted values in a stack buffer of D.
void buildAttentionCPUBody(func::FuncOp func, int64_t d) {
  Block *entry = func.addEntryBlock();
  ImplicitLocOpBuilder b(func.getLoc(), OpBuilder::atBlockBegin(entry));
  kernels::KernelBuilder k{b};
  Value q = entry->getArgument(0), kc = entry->getArgument(1),
        vc = entry->getArgument(2), out = entry->getArgument(3),
        keys = entry->getArgument(4), heads = entry->getArgument(5),
        kvHeads = entry->getArgument(6), kStride = entry->getArgument(7),
        vStride = entry->getArgument(8), queries = entry->getArgument(9),
        scale = entry->getArgument(10), keyOffset = entry->getArgument(11),
        outHeadStride = entry->getArgument(12),
        outRowStride = entry->getArgument(13);
  Value zero = k.cidx(0), one = k.cidx(1), dIdx = k.cidx(d);
  keys = k.add(keys, arith::IndexCastOp::create(
                         b, b.getIndexType(),
                         memref::LoadOp::create(b, keyOffset, zero)));
  Value f0 = k.cf32(0.0);
  Value acc = memref::AllocaOp::create(b, MemRefType::get({d}, k.f32()));
  Value group = arith::DivUIOp::create(b, heads, kvHeads);
  // A loop over [0, n) with `init`, its body from `body`.
  auto forLoop = [&](Value n, ValueRange init,
                     function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto loop = scf::ForOp::create(b, zero, n, one, init);
    // Without iteration arguments the loop comes with its scf.yield.
    if (!loop.getBody()->empty())
      loop.getBody()->back().erase();
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    scf::YieldOp::create(
        b, body(loop.getInductionVar(), loop.getRegionIterArgs()));
    return loop.getResults();
  };
  forLoop(queries, {}, [&](Value i, ValueRange) {
    Value rowKeys =
        k.add(arith::SubIOp::create(b, keys, queries), k.add(i, one));
    forLoop(heads, {}, [&](Value h, ValueRange) {
      Value g = arith::DivUIOp::create(b, h, group);
      Value qRow = k.mul(k.add(k.mul(h, queries), i), dIdx);
      Value outRow = k.add(k.mul(h, outHeadStride), k.mul(i, outRowStride));
      Value kBase = k.mul(g, kStride), vBase = k.mul(g, vStride);
      forLoop(dIdx, {}, [&](Value e, ValueRange) {
        memref::StoreOp::create(b, f0, acc, e);
        return SmallVector<Value>{};
      });
      ValueRange state =
          forLoop(rowKeys, {k.cf32(-INFINITY), f0}, [&](Value j, ValueRange s) {
            Value kRow = k.add(kBase, k.mul(j, dIdx)),
                  vRow = k.add(vBase, k.mul(j, dIdx));
            Value dot = forLoop(dIdx, {f0}, [&](Value e, ValueRange sum) {
              return SmallVector<Value>{
                  k.fma(memref::LoadOp::create(b, q, k.add(qRow, e)),
                        memref::LoadOp::create(b, kc, k.add(kRow, e)), sum[0])};
            })[0];
            Value score = k.mulf(dot, scale);
            Value m = arith::MaximumFOp::create(b, s[0], score);
            Value alpha =
                math::ExpOp::create(b, arith::SubFOp::create(b, s[0], m));
            Value p =
                math::ExpOp::create(b, arith::SubFOp::create(b, score, m));
            forLoop(dIdx, {}, [&](Value e, ValueRange) {
              Value a = k.mulf(memref::LoadOp::create(b, acc, e), alpha);
              memref::StoreOp::create(
                  b, k.fma(p, memref::LoadOp::create(b, vc, k.add(vRow, e)), a),
                  acc, e);
              return SmallVector<Value>{};
            });
            return SmallVector<Value>{m, k.fma(s[1], alpha, p)};
          });
      Value l = state[1];
      Value seen = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, l, f0);
      forLoop(dIdx, {}, [&](Value e, ValueRange) {
        Value o =
            arith::DivFOp::create(b, memref::LoadOp::create(b, acc, e), l);
        memref::StoreOp::create(b, arith::SelectOp::create(b, seen, o, f0), out,
                                k.add(outRow, e));
        return SmallVector<Value>{};
      });
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
  func::ReturnOp::create(b);
}

/// The calls of `callee` in `module`.
SmallVector<func::CallOp> callsOf(ModuleOp module, func::FuncOp callee) {
  SmallVector<func::CallOp> calls;
  if (std::optional<SymbolTable::UseRange> uses = callee.getSymbolUses(module))
    for (const SymbolTable::SymbolUse &use : *uses)
      if (auto call = dyn_cast<func::CallOp>(use.getUser()))
        calls.push_back(call);
  return calls;
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
      if (func.isDeclaration() &&
          (func.getName().starts_with(kGemvCalleePrefix) ||
           func.getName().starts_with(kAttentionCalleePrefix)))
        callees.push_back(func);
    for (func::FuncOp callee : callees) {
      if (std::optional<int64_t> d =
              parseAttentionCalleeName(callee.getName())) {
        if (failed(buildAttention(module, callee, *d)))
          return signalPassFailure();
        continue;
      }
      auto gemv = parseGemvCalleeName(callee.getName());
      if (!gemv || callee.getFunctionType() != gemvCalleeType(&getContext())) {
        callee.emitError() << "mxc-gpu-mx-kernels: not a GEMV mxc knows";
        return signalPassFailure();
      }
      auto [format, batch] = *gemv;
      callee.setPrivate();
      if (target == GemvTarget::CPU) {
        buildCPUBody(callee, format);
        continue;
      }
      buildKernelBody(module, callee, {format, batch, *smVersion >= 89});
      std::optional<kernels::GemmOptions> gemm;
      if (batch > 1 && gemmMinRows > 0 && *smVersion >= 80)
        gemm = kernels::GemmOptions{format, *smVersion >= 89};
      launchCalls(module, callee, batch, gemm);
    }
  }

  /// An attention callee: CPU loops (CPU), or each call a launch of the
  /// kernel, one block per (group of query heads, query row), from the
  /// gpu.module @mxc_library (CUDA; mxc-gpu-merge-modules merges it with
  /// the outlined kernels). Where the call's heads and KV heads are
  /// constants, a block computes attentionGroupHeads of them (GQA: the
  /// heads of one KV head read its keys and values once); else one. With
  /// split-keys, where attentionSplits gives S > 1 (a decode step's few
  /// blocks over a long KV cache), the keys are split across S blocks a
  /// row (the kernel's _split form, into a buffer of S records per head and
  /// row) and the merge kernel writes the output; S from constants is
  /// decided here, else on the host (scf.if).
  LogicalResult buildAttention(ModuleOp module, func::FuncOp callee,
                               int64_t d) {
    if (!isAttentionHeadDimSupported(d) ||
        callee.getFunctionType() != attentionCalleeType(&getContext()))
      return callee.emitError()
             << "mxc-gpu-mx-kernels: not an attention mxc knows";
    callee.setPrivate();
    if (target == GemvTarget::CPU) {
      buildAttentionCPUBody(callee, d);
      return success();
    }
    gpu::GPUModuleOp kernelModule = this->kernelModule(module);
    // The kernel of `options`, built at its first use.
    auto kernelOf = [&](const kernels::AttentionDecodeOptions &options) {
      auto kernel = kernelModule.lookupSymbol<gpu::GPUFuncOp>(
          kernels::attentionDecodeKernelName(options));
      if (!kernel) {
        OpBuilder b = OpBuilder::atBlockEnd(kernelModule.getBody());
        kernel = kernels::buildAttentionDecodeKernel(b, kernelModule, options);
      }
      return kernel;
    };
    for (func::CallOp call : callsOf(module, callee)) {
      ImplicitLocOpBuilder at(call.getLoc(), call);
      Value heads = call.getOperand(5), queries = call.getOperand(9);
      std::optional<int64_t> constantHeads = getConstantIntValue(heads),
                             kvHeads = getConstantIntValue(call.getOperand(6));
      kernels::AttentionDecodeOptions options{d, false};
      if (constantHeads && kvHeads)
        options.groupHeads =
            ::mxc::gpu::attentionGroupHeads(*constantHeads, *kvHeads);
      auto cidx = [&](int64_t v) {
        return arith::ConstantIndexOp::create(at, v).getResult();
      };
      Value one = cidx(1), threads = cidx(kernels::kAttentionThreads);
      // Grid (heads / G, queries).
      Value blocks = options.groupHeads == 1
                         ? heads
                         : cidx(*constantHeads / options.groupHeads);
      auto launchWhole = [&](OpBuilder &b) {
        gpu::LaunchFuncOp::create(b, call.getLoc(), kernelOf(options),
                                  {blocks, queries, one}, {threads, one, one},
                                  Value(), call.getOperands());
      };
      if (!splitKeys) {
        launchWhole(at);
        call.erase();
        continue;
      }
      Value splits = buildSplits(at, blocks, queries, call.getOperand(7), d);
      std::optional<int64_t> constantSplits = getConstantIntValue(splits);
      // Splits of the keys (flash-decoding): a buffer of the splits'
      // records, the split kernel, the merge kernel.
      auto launchSplit = [&](OpBuilder &builder) {
        ImplicitLocOpBuilder b(call.getLoc(), builder);
        kernels::AttentionDecodeOptions split = options;
        split.splitKeys = true;
        Value records = b.createOrFold<arith::MulIOp>(
            b.createOrFold<arith::MulIOp>(heads, queries), splits);
        Value partial = memref::AllocOp::create(
            b, MemRefType::get({ShapedType::kDynamic}, b.getF32Type()),
            ValueRange{b.createOrFold<arith::MulIOp>(
                records, b.createOrFold<arith::ConstantIndexOp>(d + 2))});
        SmallVector<Value> operands(call.getOperands());
        operands.append({partial, splits});
        gpu::LaunchFuncOp::create(
            b, kernelOf(split),
            {b.createOrFold<arith::MulIOp>(blocks, splits), queries, one},
            {threads, one, one}, Value(), operands);
        auto merge = kernelModule.lookupSymbol<gpu::GPUFuncOp>(
            kernels::attentionMergeKernelName(d));
        if (!merge) {
          OpBuilder m = OpBuilder::atBlockEnd(kernelModule.getBody());
          merge = kernels::buildAttentionMergeKernel(m, kernelModule, d);
        }
        gpu::LaunchFuncOp::create(
            b, merge, {heads, queries, one}, {threads, one, one}, Value(),
            ValueRange{partial, call.getOperand(3), heads, queries, splits,
                       call.getOperand(12), call.getOperand(13)});
        memref::DeallocOp::create(b, partial);
      };
      if (constantSplits) {
        if (*constantSplits > 1)
          launchSplit(at);
        else
          launchWhole(at);
      } else {
        auto ifSplit = scf::IfOp::create(
            at,
            arith::CmpIOp::create(at, arith::CmpIPredicate::ugt, splits, one),
            /*withElseRegion=*/true);
        OpBuilder thenBuilder = ifSplit.getThenBodyBuilder();
        launchSplit(thenBuilder);
        OpBuilder elseBuilder = ifSplit.getElseBodyBuilder();
        launchWhole(elseBuilder);
      }
      call.erase();
    }
    if (!callee.symbolKnownUseEmpty(module))
      return callee.emitError()
             << "mxc-gpu-mx-kernels: the attention is used other than by calls";
    callee.erase();
    return success();
  }

  /// ::mxc::gpu::attentionSplits of `blocks` (groups of query heads) times
  /// `queries` blocks over a KV cache of kStride / D keys, as host index
  /// arithmetic (constants fold).
  static Value buildSplits(ImplicitLocOpBuilder &b, Value blocks, Value queries,
                           Value kStride, int64_t d) {
    auto cidx = [&](int64_t v) {
      return b.createOrFold<arith::ConstantIndexOp>(v);
    };
    Value rowBlocks = b.createOrFold<arith::MaxUIOp>(
        b.createOrFold<arith::MulIOp>(blocks, queries), cidx(1));
    Value byBlocks = b.createOrFold<arith::CeilDivUIOp>(
        cidx(::mxc::gpu::kAttentionSplitTargetBlocks), rowBlocks);
    Value tiles = b.createOrFold<arith::CeilDivUIOp>(
        b.createOrFold<arith::DivUIOp>(kStride, cidx(d)),
        cidx(kernels::kAttentionTile));
    Value byKeys = b.createOrFold<arith::CeilDivUIOp>(
        tiles, cidx(kernels::kAttentionThreads / 32));
    Value cap = b.createOrFold<arith::MinUIOp>(
        byKeys, cidx(::mxc::gpu::kMaxAttentionSplits));
    // A short cache is never split, whatever the blocks.
    std::optional<int64_t> constantCap = getConstantIntValue(cap);
    if (constantCap && *constantCap <= 1)
      return cidx(1);
    return b.createOrFold<arith::MaxUIOp>(
        b.createOrFold<arith::MinUIOp>(byBlocks, cap), cidx(1));
  }

  /// The kernel's body, moved into `callee` (a device function once
  /// outlined with the launches that call it). A staged kernel's shared
  /// buffer (its workgroup attribution) becomes the callee's last argument,
  /// which the launch provides (launchCalls).
  void buildKernelBody(ModuleOp module, func::FuncOp callee,
                       const kernels::GemvOptions &options) {
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto scratch = gpu::GPUModuleOp::create(b, module.getLoc(), "mxc_scratch");
    gpu::GPUFuncOp kernel = kernels::buildGemvKernel(b, scratch, options);
    SmallVector<Type> inputs(callee.getFunctionType().getInputs());
    for (BlockArgument shared : kernel.getWorkgroupAttributions())
      inputs.push_back(shared.getType());
    callee.getBody().takeBody(kernel.getBody());
    callee.setFunctionType(
        FunctionType::get(&getContext(), inputs, /*results=*/{}));
    callee.walk([](gpu::ReturnOp ret) {
      OpBuilder r(ret);
      func::ReturnOp::create(r, ret.getLoc());
      ret.erase();
    });
    scratch.erase();
  }

  /// The gpu.module of mxc's kernels launched as they are (attention,
  /// GEMM), created at the first use; mxc-gpu-merge-modules merges it with
  /// the outlined kernels.
  gpu::GPUModuleOp kernelModule(ModuleOp module) {
    auto kernelModule = module.lookupSymbol<gpu::GPUModuleOp>("mxc_library");
    if (!kernelModule) {
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      kernelModule =
          gpu::GPUModuleOp::create(b, module.getLoc(), "mxc_library");
      module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      UnitAttr::get(&getContext()));
    }
    return kernelModule;
  }

  /// The tensor-core GEMM of `options`, built at its first use.
  gpu::GPUFuncOp gemmKernel(ModuleOp module,
                            const kernels::GemmOptions &options) {
    gpu::GPUModuleOp kernels = kernelModule(module);
    auto kernel =
        kernels.lookupSymbol<gpu::GPUFuncOp>(kernels::gemmKernelName(options));
    if (!kernel) {
      OpBuilder b = OpBuilder::atBlockEnd(kernels.getBody());
      kernel = kernels::buildGemmKernel(b, kernels, options);
    }
    return kernel;
  }

  /// Each call becomes a launch of the kernel's geometry that calls it;
  /// with `gemm`, a call of at least gemmMinRows rows a launch of that
  /// tensor-core GEMM instead (decided here where the rows are constant,
  /// else by an scf.if), built at the first launch.
  void launchCalls(ModuleOp module, func::FuncOp callee, int64_t batch,
                   std::optional<kernels::GemmOptions> gemm) {
    for (func::CallOp call : callsOf(module, callee)) {
      OpBuilder b(call);
      Location loc = call.getLoc();
      Value m = call.getOperand(4), n = call.getOperand(5);
      if (gemm) {
        auto launchGemm = [&](OpBuilder &at) {
          auto cidx = [&](int64_t v) {
            return arith::ConstantIndexOp::create(at, loc, v).getResult();
          };
          Value gridX =
              arith::CeilDivUIOp::create(at, loc, n, cidx(kernels::kGemmTileN));
          Value gridY =
              arith::CeilDivUIOp::create(at, loc, m, cidx(kernels::kGemmTileM));
          gpu::LaunchFuncOp::create(
              at, loc, gemmKernel(module, *gemm), {gridX, gridY, cidx(1)},
              {cidx(kernels::kGemmThreads), cidx(1), cidx(1)}, Value(),
              call.getOperands());
        };
        std::optional<int64_t> rows = getConstantIntValue(m);
        if (rows && *rows >= gemmMinRows) {
          launchGemm(b);
          call.erase();
          continue;
        }
        if (!rows) {
          auto ifGemm = scf::IfOp::create(
              b, loc,
              arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::uge, m,
                  arith::ConstantIndexOp::create(b, loc, gemmMinRows)),
              /*withElseRegion=*/true);
          OpBuilder thenBuilder = ifGemm.getThenBodyBuilder();
          launchGemm(thenBuilder);
          call->moveBefore(ifGemm.elseBlock()->getTerminator());
          b.setInsertionPoint(call);
        }
      }
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      Value gridX = arith::CeilDivUIOp::create(
          b, loc, n,
          arith::ConstantIndexOp::create(b, loc, kernels::kGemvWarpsPerBlock));
      Value gridY = arith::CeilDivUIOp::create(
          b, loc, m, arith::ConstantIndexOp::create(b, loc, batch));
      Value threads = arith::ConstantIndexOp::create(
          b, loc, 32 * kernels::kGemvWarpsPerBlock);
      SmallVector<Type> workgroup;
      if (kernels::isGemvStaged(batch))
        workgroup.push_back(kernels::gemvStageType(&getContext(), batch));
      auto launch = gpu::LaunchOp::create(
          b, loc, gridX, gridY, one, threads, one, one,
          /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
          /*asyncDependencies=*/{}, workgroup);
      Block &body = launch.getBody().front();
      call->moveBefore(&body, body.end());
      for (BlockArgument shared : launch.getWorkgroupAttributions())
        call->insertOperands(call->getNumOperands(), shared);
      b.setInsertionPointToEnd(&body);
      gpu::TerminatorOp::create(b, loc);
    }
  }
};

} // namespace
