//===- Gemm.cpp - The MX prefill GEMM on tensor cores ---------------------===//
//
// y = x W^T for many rows of x (a prompt's prefill): x and the MX weight
// staged in shared memory as bf16, multiplied with mma.sync m16n8k16.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"
#include "mxc/Conversion/MXCodegen.h"
#include "mxc/GPU/KernelABI.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mxc;
using namespace mlir::mxc::kernels;
namespace num = ::mxc::numerics;

namespace {

constexpr int32_t kGemmMaxRegisters = 128;

/// A stage of kGemmTileM (= kGemmTileN) rows of kGemmStrideWords words: bf16
/// pairs, element 2i in the low half of word i.
MemRefType stageType(MLIRContext *ctx) {
  return MemRefType::get({kGemmTileM * kGemmStrideWords},
                         IntegerType::get(ctx, 32), MemRefLayoutAttrInterface(),
                         ::mlir::gpu::AddressSpaceAttr::get(
                             ctx, ::mlir::gpu::AddressSpace::Workgroup));
}

/// `f32s` (vector<N x f32>, N even) rounded to bf16 (to nearest even) and
/// packed in pairs: vector<N/2 x i32>, element 2i in word i's low half.
Value packBF16(KernelBuilder &k, Value f32s) {
  ImplicitLocOpBuilder &b = k.b;
  const int64_t n = cast<VectorType>(f32s.getType()).getNumElements();
  Value h =
      arith::TruncFOp::create(b, VectorType::get({n}, b.getBF16Type()), f32s);
  return vector::BitCastOp::create(b, VectorType::get({n / 2}, k.i32()), h);
}

/// The same of scalars.
Value packBF16(KernelBuilder &k, ArrayRef<Value> values) {
  ImplicitLocOpBuilder &b = k.b;
  const auto n = static_cast<int64_t>(values.size());
  Value v =
      vector::FromElementsOp::create(b, VectorType::get({n}, k.f32()), values);
  return packBF16(k, v);
}

} // namespace

std::string mlir::mxc::kernels::gemmKernelName(const GemmOptions &o) {
  return "mx_gemm_" + std::string(num::getFormatInfo(o.format).name);
}

::mlir::gpu::GPUFuncOp mlir::mxc::kernels::buildGemmKernel(
    OpBuilder &builder, ::mlir::gpu::GPUModuleOp module, const GemmOptions &o) {
  static_assert(kGemmTileM == kGemmTileN && kGemmTileK == 64 &&
                    kGemmThreads == 128,
                "the staging below assigns 2 MX blocks of a 64-row tile and "
                "16 x 4 floats of x to each of 128 threads");
  const int64_t bits = num::getFormatInfo(o.format).bits;
  ImplicitLocOpBuilder b(module.getLoc(), builder);
  KernelBuilder k{b};
  MLIRContext *ctx = b.getContext();
  Type stage = stageType(ctx);
  auto func = createKernel(b, module, gemmKernelName(o),
                           llvm::to_vector(gemvCalleeType(ctx).getInputs()),
                           kGemmThreads, {stage, stage});
  // ptxas's own register target for this kernel is as low as 96 (native
  // E4M3 at sm_90: 12 bytes spilled); up to 128 a thread, 4 blocks fit a
  // multiprocessor and nothing spills.
  func->setAttr(NVVM::NVVMDialect::getMaxnregAttrName(),
                b.getI32IntegerAttr(kGemmMaxRegisters));
  Value w = func.getArgument(0), scales = func.getArgument(1),
        x = func.getArgument(2), y = func.getArgument(3),
        m = func.getArgument(4), n = func.getArgument(5),
        kdim = func.getArgument(6), residual = func.getArgument(7),
        addResidual = func.getArgument(8);
  Value xs = func.getWorkgroupAttributions()[0],
        ws = func.getWorkgroupAttributions()[1];
  Value tid = ::mlir::gpu::ThreadIdOp::create(b, ::mlir::gpu::Dimension::x);
  Value colBase =
      k.mul(::mlir::gpu::BlockIdOp::create(b, ::mlir::gpu::Dimension::x),
            k.cidx(kGemmTileN));
  Value rowBase =
      k.mul(::mlir::gpu::BlockIdOp::create(b, ::mlir::gpu::Dimension::y),
            k.cidx(kGemmTileM));
  Value lastRow = arith::SubIOp::create(b, m, k.cidx(1));
  Value lastCol = arith::SubIOp::create(b, n, k.cidx(1));
  Value blocks = arith::DivUIOp::create(b, kdim, k.cidx(32));
  Value lastBlock = arith::SubIOp::create(b, blocks, k.cidx(1));
  Value steps = arith::CeilDivUIOp::create(b, kdim, k.cidx(kGemmTileK));
  const int64_t stride = kGemmStrideWords;

  // Staging W: thread t decodes block 2s + t % 2 of the tile's column t / 2
  // (columns past N decode column N - 1).
  Value wLocal = arith::DivUIOp::create(b, tid, k.cidx(2));
  Value wHalf = arith::RemUIOp::create(b, tid, k.cidx(2));
  Value wCol = arith::MinUIOp::create(b, k.add(colBase, wLocal), lastCol);
  Value wordBase = k.mul(wCol, k.mul(blocks, k.cidx(bits)));
  Value scaleBase = k.mul(wCol, blocks);
  Value wTo = k.add(k.mul(wLocal, k.cidx(stride)), k.mul(wHalf, k.cidx(16)));

  // The fragments of mma.m16n8k16 (PTX ISA, "Matrix fragments for
  // mma.m16n8k16"): lane l = 4g + t holds A's rows g and g + 8 at columns
  // 2t, 2t + 1 and 2t + 8, 2t + 9; B's column g at rows 2t, 2t + 1 and
  // 2t + 8, 2t + 9; C's rows g and g + 8 at columns 2t, 2t + 1.
  Value lane = arith::RemUIOp::create(b, tid, k.cidx(32));
  Value warp = arith::DivUIOp::create(b, tid, k.cidx(32));
  Value g = arith::DivUIOp::create(b, lane, k.cidx(4));
  Value t = arith::RemUIOp::create(b, lane, k.cidx(4));
  Value warpRow =
      k.mul(arith::DivUIOp::create(b, warp, k.cidx(2)), k.cidx(kGemmTileM / 2));
  Value warpCol =
      k.mul(arith::RemUIOp::create(b, warp, k.cidx(2)), k.cidx(kGemmTileN / 2));
  constexpr int64_t tilesM = kGemmTileM / 2 / 16, tilesN = kGemmTileN / 2 / 8;

  auto f32x4 = VectorType::get({4}, k.f32());
  Value zero4 = arith::ConstantOp::create(
      b, f32x4, DenseElementsAttr::get(f32x4, b.getF32FloatAttr(0.0f)));
  SmallVector<Value> init(tilesM * tilesN * 4, k.cf32(0.0));
  auto loop = scf::ForOp::create(b, k.cidx(0), steps, k.cidx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value step = loop.getInductionVar();
    Value k0 = k.mul(step, k.cidx(kGemmTileK));
    // W's codes and scale first (their loads in flight over the barrier).
    Value j = k.add(k.mul(step, k.cidx(2)), wHalf);
    Value jValid =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, j, blocks);
    Value jRead = arith::MinUIOp::create(b, j, lastBlock);
    SmallVector<Value> words =
        k.loadBlockWords(w, k.add(wordBase, k.mul(jRead, k.cidx(bits))), bits);
    Value scaleByte =
        memref::LoadOp::create(b, scales, ValueRange{k.add(scaleBase, jRead)});
    // x's tile: 64 rows of 16 chunks of 4 floats, 8 chunks a thread,
    // consecutive threads reading consecutive chunks of a row.
    SmallVector<std::pair<Value, Value>> xChunks; // (stage offset, words)
    for (int64_t i = 0; i < kGemmTileM * 16 / kGemmThreads; ++i) {
      Value item = k.add(tid, k.cidx(kGemmThreads * i));
      Value r = arith::DivUIOp::create(b, item, k.cidx(16));
      Value q = arith::RemUIOp::create(b, item, k.cidx(16));
      Value row = arith::MinUIOp::create(b, k.add(rowBase, r), lastRow);
      Value col = k.add(k0, k.mul(q, k.cidx(4)));
      Value inK =
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, col, kdim);
      Value colRead = arith::MinUIOp::create(
          b, col, arith::SubIOp::create(b, kdim, k.cidx(4)));
      Value v = vector::LoadOp::create(
          b, f32x4, x, ValueRange{k.add(k.mul(row, kdim), colRead)}, false,
          llvm::MaybeAlign(16));
      v = arith::SelectOp::create(b, inK, v, zero4);
      xChunks.push_back({k.add(k.mul(r, k.cidx(stride)), k.mul(q, k.cidx(2))),
                         packBF16(k, v)});
    }
    // The previous step's readers are done: stage this one.
    ::mlir::gpu::BarrierOp::create(b);
    for (auto [at, packed] : xChunks)
      vector::StoreOp::create(b, packed, xs, ValueRange{at}, false,
                              llvm::MaybeAlign(8));
    {
      int factorLog2 = 0;
      GemvOptions decode;
      decode.format = o.format;
      decode.nativeFP8 = o.nativeFP8;
      SmallVector<Value> values =
          buildBlockDecode(b, b.getLoc(), decode, words, factorLog2);
      Value scale = buildScaleValue(b, b.getLoc(), scaleByte);
      Value unfactor = k.cf32(std::ldexp(1.0, -factorLog2));
      Value zero = k.cf32(0.0);
      // element * 2^factorLog2 * 2^-factorLog2 is the element (exact),
      // times the scale the weight (exact in bf16 as in f32).
      for (Value &v : values)
        v = arith::SelectOp::create(b, jValid,
                                    k.mulf(k.mulf(v, unfactor), scale), zero);
      for (int64_t e = 0; e < 32; e += 8)
        vector::StoreOp::create(
            b, packBF16(k, ArrayRef<Value>(values).slice(e, 8)), ws,
            ValueRange{k.add(wTo, k.cidx(e / 2))}, false, llvm::MaybeAlign(16));
    }
    ::mlir::gpu::BarrierOp::create(b);
    // Each warp's 32 x 32: 2 x 4 tiles of 16 x 8, k 16 at a time.
    SmallVector<Value> acc(loop.getRegionIterArgs());
    // ldmatrix.x4: lane 8i + r gives the address of row r of 8 x 8 matrix
    // i (16 bytes: 4 words) and receives word l % 4 of row l / 4 of each:
    // A's rows g, g + 8 at k words 8ks + t and 8ks + 4 + t (a0..a3) for
    // matrices (rows 0-7, words 0-3), (rows 8-15, 0-3), (0-7, 4-7),
    // (8-15, 4-7); B's b0, b1 of two 8-column tiles for (columns 0-7,
    // words 0-3), (0-7, 4-7), (8-15, 0-3), (8-15, 4-7).
    // (Computed in the step, not before the loop: held across it, they
    // cost MXINT8 a 4-byte spill at 128 registers.)
    Value matrix = arith::DivUIOp::create(b, lane, k.cidx(8));
    Value matrixRow = arith::RemUIOp::create(b, lane, k.cidx(8));
    Value low = arith::RemUIOp::create(b, matrix, k.cidx(2));
    Value high = arith::DivUIOp::create(b, matrix, k.cidx(2));
    auto ldmatrix = [&](Value stageBuf, Value row, Value word) {
      Value v = nvgpu::LdMatrixOp::create(
          b, VectorType::get({4, 1}, k.i32()), stageBuf,
          ValueRange{k.add(k.mul(row, k.cidx(stride)), word)},
          /*transpose=*/false, /*numTiles=*/4);
      SmallVector<Value> words;
      for (int64_t i = 0; i < 4; ++i)
        words.push_back(
            vector::ExtractOp::create(b, v, ArrayRef<int64_t>{i, 0}));
      return words;
    };
    auto result =
        LLVM::LLVMStructType::getLiteral(ctx, SmallVector<Type>(4, k.f32()));
    for (int64_t ks = 0; ks < kGemmTileK / 16; ++ks) {
      SmallVector<SmallVector<Value>> aFrag, bFrag;
      for (int64_t mi = 0; mi < tilesM; ++mi)
        aFrag.push_back(ldmatrix(
            xs,
            k.add(warpRow, k.add(matrixRow, k.add(k.mul(low, k.cidx(8)),
                                                  k.cidx(16 * mi)))),
            k.add(k.mul(high, k.cidx(4)), k.cidx(8 * ks))));
      for (int64_t pair = 0; pair < tilesN / 2; ++pair) {
        SmallVector<Value> words = ldmatrix(
            ws,
            k.add(warpCol, k.add(matrixRow, k.add(k.mul(high, k.cidx(8)),
                                                  k.cidx(16 * pair)))),
            k.add(k.mul(low, k.cidx(4)), k.cidx(8 * ks)));
        bFrag.push_back({words[0], words[1]});
        bFrag.push_back({words[2], words[3]});
      }
      for (int64_t mi = 0; mi < tilesM; ++mi)
        for (int64_t nj = 0; nj < tilesN; ++nj) {
          MutableArrayRef<Value> c =
              MutableArrayRef<Value>(acc).slice((mi * tilesN + nj) * 4, 4);
          Value d = NVVM::MmaOp::create(
              b, result, aFrag[mi], bFrag[nj], SmallVector<Value>(c),
              ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
              std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16,
                                            NVVM::MMATypes::bf16},
              std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                             NVVM::MMALayout::col});
          for (int64_t e = 0; e < 4; ++e)
            c[e] = LLVM::ExtractValueOp::create(b, d, ArrayRef<int64_t>{e});
        }
    }
    scf::YieldOp::create(b, acc);
  }
  // Each lane's 2 x 4 x 4 sums: rows g (+ 8), columns 2t (+ 1) of its tiles.
  for (int64_t mi = 0; mi < tilesM; ++mi)
    for (int64_t nj = 0; nj < tilesN; ++nj)
      for (int64_t e = 0; e < 4; ++e) {
        Value row = k.add(
            rowBase, k.add(warpRow, k.add(g, k.cidx(16 * mi + 8 * (e / 2)))));
        Value col = k.add(
            colBase,
            k.add(warpCol, k.add(k.mul(t, k.cidx(2)), k.cidx(8 * nj + e % 2))));
        Value valid = arith::AndIOp::create(
            b, arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, m),
            arith::CmpIOp::create(b, arith::CmpIPredicate::ult, col, n));
        auto ifValid = scf::IfOp::create(b, valid, false);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(ifValid.thenBlock());
        buildGemvStore(b, b.getLoc(),
                       loop.getResult((mi * tilesN + nj) * 4 + e), residual,
                       addResidual, y, k.add(k.mul(row, n), col));
      }
  ::mlir::gpu::ReturnOp::create(b);
  return func;
}
