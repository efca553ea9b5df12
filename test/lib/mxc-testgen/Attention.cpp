//===- Attention.cpp - mxc-testgen attention ------------------------------===//
//
//   mxc-testgen attention --spans=many --sink=1 --keep-self [--check=OUTPUT]
//     Span-sparse GQA attention on random q/k/v and span tables, instrumented
//     to count visited and skipped KV tiles; checked against the float64
//     reference within its error bound, and the tile counts against those
//     the span table implies.
//   mxc-testgen attention --spans=none --kernel --check=OUTPUT
//     Checks the output of mxc's CPU attention kernel (no tiles to count).
//   mxc-testgen attention --bits=2 --clip=-6 [--check=OUTPUT]
//     The same with the EXAQ-quantized softmax: checked against
//     numerics::exaqAttentionReference (same codes, exact weights) within
//     the f32 accumulation bound.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "mxc/IR/MXCOps.h"
#include "mxc/Numerics/Attention.h"
#include "mxc/Numerics/Exaq.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace ::mxc::numerics;

namespace mxc::testgen {
namespace {

llvm::cl::SubCommand command("attention",
                             "span-sparse GQA attention, with tile counts");
llvm::cl::opt<int> softmaxBits("bits", llvm::cl::sub(command),
                               llvm::cl::desc("EXAQ bits, 0 = exact"),
                               llvm::cl::init(0));
llvm::cl::opt<double> softmaxClip("clip", llvm::cl::sub(command),
                                  llvm::cl::desc("EXAQ clip"),
                                  llvm::cl::init(-4.0));
llvm::cl::opt<bool> zeroFloor(
    "zero-floor", llvm::cl::sub(command),
    llvm::cl::desc("EXAQ table with code 0 standing for 0 (zero_floor)"),
    llvm::cl::init(false));
llvm::cl::list<float> softmaxTable(
    "table", llvm::cl::sub(command), llvm::cl::CommaSeparated,
    llvm::cl::desc("EXAQ table (2^bits entries, the attribute's `table`)"));
llvm::cl::opt<std::string>
    spanKind("spans", llvm::cl::sub(command),
             llvm::cl::desc("none, empty, single, many, past-causal or runs"),
             llvm::cl::init("many"));
llvm::cl::opt<int64_t> attnHeads("heads", llvm::cl::sub(command),
                                 llvm::cl::desc("query heads"),
                                 llvm::cl::init(4));
llvm::cl::opt<int64_t> attnKvHeads("kv-heads", llvm::cl::sub(command),
                                   llvm::cl::desc("key/value heads"),
                                   llvm::cl::init(2));
llvm::cl::opt<int64_t> attnQueries("queries", llvm::cl::sub(command),
                                   llvm::cl::desc("query rows"),
                                   llvm::cl::init(3));
llvm::cl::opt<int64_t> attnKeys("keys", llvm::cl::sub(command),
                                llvm::cl::desc("keys"), llvm::cl::init(300));
llvm::cl::opt<int64_t> attnHeadDim("head-dim", llvm::cl::sub(command),
                                   llvm::cl::desc("head dimension D"),
                                   llvm::cl::init(16));
llvm::cl::opt<int64_t> attnValueDim("value-dim", llvm::cl::sub(command),
                                    llvm::cl::desc("value dimension Dv"),
                                    llvm::cl::init(8));
llvm::cl::opt<int64_t> attnTile("tile", llvm::cl::sub(command),
                                llvm::cl::desc("KV tile"), llvm::cl::init(64));
llvm::cl::opt<int64_t> attnSink("sink", llvm::cl::sub(command),
                                llvm::cl::desc("sink tokens"),
                                llvm::cl::init(0));
llvm::cl::opt<bool> attnKeepSelf("keep-self", llvm::cl::sub(command),
                                 llvm::cl::desc("keep own position"),
                                 llvm::cl::init(false));
llvm::cl::opt<double>
    maskedFraction("masked", llvm::cl::sub(command),
                   llvm::cl::desc("--spans=runs: fraction of context masked"),
                   llvm::cl::init(0.5));
llvm::cl::opt<int64_t> runLength("run", llvm::cl::sub(command),
                                 llvm::cl::desc("--spans=runs: masked run "
                                                "length"),
                                 llvm::cl::init(64));
llvm::cl::opt<unsigned> seed("seed", llvm::cl::sub(command),
                             llvm::cl::desc("random seed"), llvm::cl::init(1));
llvm::cl::opt<bool> kernelRan(
    "kernel", llvm::cl::sub(command),
    llvm::cl::desc("--check: the attention ran in mxc's CPU kernel "
                   "(attention-kernels), which walks no tiles: skip the tile "
                   "counts"),
    llvm::cl::init(false));
llvm::cl::opt<std::string>
    checkFile("check", llvm::cl::sub(command),
              llvm::cl::desc("compare this program output with the reference"));

/// A span table [queries, slots, 2] for one of the scenarios.
std::vector<int32_t> spanTable(const AttentionShape &shape, std::mt19937 &rng) {
  std::vector<int32_t> spans(shape.queries * shape.slots * 2, 0);
  std::uniform_int_distribution<int32_t> key(0, shape.keys - 1);
  for (int64_t i = 0; i < shape.queries; ++i) {
    int32_t *row = &spans[i * shape.slots * 2];
    const int32_t position =
        static_cast<int32_t>(shape.keys - shape.queries + i);
    if (spanKind == "empty" || spanKind == "none") {
      continue;
    } else if (spanKind == "single") {
      int32_t a = key(rng), b = key(rng);
      row[0] = std::min(a, b);
      row[1] = std::max(a, b) + 1;
    } else if (spanKind == "many") {
      for (int64_t slot = 0; slot < shape.slots; ++slot) {
        if (slot % 3 == 2)
          continue; // Leave some slots empty.
        int32_t a = key(rng);
        row[2 * slot] = a;
        row[2 * slot + 1] = a + 1 + static_cast<int32_t>(rng() % 70);
      }
    } else if (spanKind == "past-causal") {
      row[0] = position / 2;
      row[1] = position + 1000; // Cut at the causal limit.
      row[2] = -50;             // A start before the first key.
      row[3] = 3;
    } else if (spanKind == "runs") {
      // Masked runs of `runLength` keys cover `maskedFraction` of the
      // context; the visible keys between them are the spans.
      int64_t period = static_cast<int64_t>(runLength / maskedFraction);
      int64_t slot = 0;
      for (int64_t start = 0; start < shape.keys && slot < shape.slots;
           start += period, ++slot) {
        row[2 * slot] = static_cast<int32_t>(start + runLength);
        row[2 * slot + 1] = static_cast<int32_t>(start + period);
      }
    } else {
      fail("unknown --spans '" + spanKind + "'");
    }
  }
  return spans;
}

/// Prints the tile counts' verdict; true when they are as expected.
bool reportTiles(int64_t visited, int64_t skipped, int64_t expectVisited,
                 int64_t expectSkipped) {
  bool ok = visited == expectVisited && skipped == expectSkipped;
  llvm::outs() << "tiles visited " << visited << ", skipped " << skipped
               << (ok ? " as the span table implies"
                      : ", but the span table implies visited " +
                            std::to_string(expectVisited) + ", skipped " +
                            std::to_string(expectSkipped))
               << "\n";
  return ok;
}

/// EXAQ attention: the kernel's codes equal the reference's (same f32 score
/// arithmetic), so only the f32 accumulations differ. With weights w_j > 0
/// summing to W, acc_f32 = sum_j w_j v_j within keys * u * W max|v| and
/// W_f32 within keys * u * W, so
/// |o - o_ref| <= max|v| (2 keys + 4) u.
int checkQuantizedAttention(const AttentionShape &shape,
                            const std::vector<float> &q,
                            const std::vector<float> &k,
                            const std::vector<float> &v,
                            const int32_t *spanData, const SpanPolicy &policy,
                            float scale, const std::vector<int64_t> &printed,
                            int64_t expectVisited, int64_t expectSkipped) {
  const int64_t n = shape.heads * shape.queries * shape.valueDim;
  std::vector<double> ref(n);
  ExaqQuantizer quantizer{softmaxBits, softmaxClip, zeroFloor};
  quantizer.table.assign(softmaxTable.begin(), softmaxTable.end());
  exaqAttentionReference(shape, q.data(), k.data(), v.data(), spanData, policy,
                         scale, quantizer, ref.data());
  double maxV = 0;
  for (float x : v)
    maxV = std::max(maxV, std::fabs(static_cast<double>(x)));
  const double bound = maxV * (2 * shape.keys + 4) * std::ldexp(1.0, -24);
  Tolerance t;
  for (int64_t at = 0; at < n; ++at)
    t.check(floatOfBits(printed[at]), ref[at], bound,
            "o[" + llvm::Twine(at) + "]");
  llvm::outs() << "exaq attention bits=" << softmaxBits
               << " spans=" << spanKind.getValue() << ": " << t.summary()
               << " (max |err|/bound = " << t.worstText() << "); ";
  if (kernelRan) {
    llvm::outs() << "tiles not counted (kernel)\n";
    return t.failures ? 1 : 0;
  }
  bool countsOk =
      reportTiles(printed[n], printed[n + 1], expectVisited, expectSkipped);
  return t.failures || !countsOk ? 1 : 0;
}

int run() {
  const int64_t slots = spanKind == "runs" ? 64 : 6;
  AttentionShape shape{attnHeads,   attnKvHeads,  attnQueries, attnKeys,
                       attnHeadDim, attnValueDim, slots};
  SpanPolicy policy{attnSink, attnKeepSelf};
  const bool sparse = spanKind != "none";
  const double scale = 1.0 / std::sqrt(static_cast<double>(shape.headDim));
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  auto random = [&](int64_t n) {
    std::vector<float> x(n);
    for (float &v : x)
      v = normal(rng);
    return x;
  };
  std::vector<float> q = random(shape.heads * shape.queries * shape.headDim);
  std::vector<float> k = random(shape.kvHeads * shape.keys * shape.headDim);
  std::vector<float> v = random(shape.kvHeads * shape.keys * shape.valueDim);
  std::vector<int32_t> spans = spanTable(shape, rng);
  const int32_t *spanData = sparse ? spans.data() : nullptr;
  // Tiles the span table implies: every head walks its rows' tiles.
  std::vector<TileState> states = tileStates(shape, spanData, policy, attnTile);
  int64_t expectSkipped = 0;
  for (TileState st : states)
    expectSkipped += st == TileState::Skip;
  expectSkipped *= shape.heads;
  const int64_t expectVisited =
      shape.heads * static_cast<int64_t>(states.size()) - expectSkipped;

  if (checkFile.empty()) {
    Program p;
    OpBuilder &b = p.builder();
    auto counts = MemRefType::get({2}, b.getI64Type());
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(p.module().getBody());
      memref::GlobalOp::create(
          b, p.loc(), "mxc_attention_tile_counts", b.getStringAttr("private"),
          counts,
          DenseElementsAttr::get(RankedTensorType::get({2}, b.getI64Type()),
                                 llvm::ArrayRef<int64_t>{0, 0}),
          /*constant=*/false, /*alignment=*/nullptr);
    }
    Value qv = p.constant({shape.heads, shape.queries, shape.headDim}, q);
    Value kv = p.constant({shape.kvHeads, shape.keys, shape.headDim}, k);
    Value vv = p.constant({shape.kvHeads, shape.keys, shape.valueDim}, v);
    Value sv;
    if (sparse)
      sv = p.constantI32({shape.queries, slots, 2}, spans);
    mlir::mxc::ExaqAttr quant;
    if (softmaxBits)
      quant = mlir::mxc::ExaqAttr::get(
          &p.context(), softmaxBits, softmaxClip, zeroFloor,
          std::vector<float>(softmaxTable.begin(), softmaxTable.end()));
    Value o = mlir::mxc::AttentionOp::create(
        b, p.loc(), p.tensor({shape.heads, shape.queries, shape.valueDim}), qv,
        kv, vv, sv, /*tile_mask=*/Value(), /*scale=*/nullptr,
        b.getI64IntegerAttr(attnTile),
        b.getI64IntegerAttr(sparse ? attnSink.getValue() : 0),
        sparse && attnKeepSelf ? b.getUnitAttr() : nullptr, quant,
        /*stats=*/nullptr);
    Value rows = tensor::CollapseShapeOp::create(
        b, p.loc(), o, llvm::ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    p.printElements("result", rows);
    p.printLine("tiles");
    Value countsRef = memref::GetGlobalOp::create(b, p.loc(), counts,
                                                  "mxc_attention_tile_counts");
    p.printScalar(
        memref::LoadOp::create(b, p.loc(), countsRef, ValueRange{p.index(0)}));
    p.printScalar(
        memref::LoadOp::create(b, p.loc(), countsRef, ValueRange{p.index(1)}));
    std::string flags = "attention --spans=" + spanKind.getValue() +
                        " --sink=" + std::to_string(attnSink) +
                        (attnKeepSelf ? " --keep-self" : "") +
                        " --queries=" + std::to_string(attnQueries) +
                        " --keys=" + std::to_string(attnKeys) +
                        " --tile=" + std::to_string(attnTile) +
                        " --seed=" + std::to_string(seed);
    if (softmaxBits)
      flags += " --bits=" + std::to_string(softmaxBits) +
               " --clip=" + std::to_string(softmaxClip) +
               (zeroFloor ? " --zero-floor" : "");
    for (size_t e = 0; e < softmaxTable.size(); ++e)
      flags += (e ? "," : " --table=") + std::to_string(softmaxTable[e]);
    p.write(llvm::outs(), flags);
    return 0;
  }

  const int64_t n = shape.heads * shape.queries * shape.valueDim;
  std::vector<int64_t> printed = readPrinted(
      checkFile, "result", n + 2, "values (results and 2 tile counts)");
  if (softmaxBits)
    return checkQuantizedAttention(shape, q, k, v, spanData, policy,
                                   static_cast<float>(scale), printed,
                                   expectVisited, expectSkipped);
  std::vector<double> ref(n);
  attentionReference(shape, q.data(), k.data(), v.data(), spanData, policy,
                     scale, ref.data());
  // Bound per output row: a score is off by at most
  // delta = scale (D + 2) u sum_d |q_d k_d| + u |s - m| (dot product in f32,
  // then the max subtraction), so each weight by delta + 2u (expf); the
  // tiles' sums and rescalings add (n_keys + 2 tiles + 8) u. Then
  // |o - o_ref| <= max|v| (2 max delta + (n_keys + 2 tiles + 8) u).
  const double u = std::ldexp(1.0, -24);
  const int64_t tiles = (shape.keys + attnTile - 1) / attnTile;
  const int64_t group = shape.heads / shape.kvHeads;
  Tolerance t;
  for (int64_t h = 0; h < shape.heads; ++h) {
    const int64_t g = h / group;
    for (int64_t i = 0; i < shape.queries; ++i) {
      double maxDelta = 0, maxV = 0, m = -INFINITY;
      std::vector<double> scores;
      for (int64_t j = 0; j < shape.keys; ++j) {
        if (!isKeyVisible(shape, spanData, policy, i, j))
          continue;
        double dot = 0, mag = 0;
        for (int64_t d = 0; d < shape.headDim; ++d) {
          double prod = static_cast<double>(
                            q[(h * shape.queries + i) * shape.headDim + d]) *
                        k[(g * shape.keys + j) * shape.headDim + d];
          dot += prod;
          mag += std::fabs(prod);
        }
        scores.push_back(scale * dot);
        m = std::max(m, scale * dot);
        maxDelta = std::max(maxDelta, scale * (shape.headDim + 2) * u * mag);
        for (int64_t d = 0; d < shape.valueDim; ++d)
          maxV = std::max(maxV,
                          std::fabs(static_cast<double>(
                              v[(g * shape.keys + j) * shape.valueDim + d])));
      }
      for (double sc : scores)
        maxDelta = std::max(maxDelta, maxDelta + u * std::fabs(sc - m));
      const double bound =
          maxV * (2 * maxDelta + (shape.keys + 2 * tiles + 8) * u);
      for (int64_t d = 0; d < shape.valueDim; ++d) {
        int64_t at = (h * shape.queries + i) * shape.valueDim + d;
        t.check(floatOfBits(printed[at]), ref[at], bound,
                "o[" + llvm::Twine(h) + "][" + llvm::Twine(i) + "][" +
                    llvm::Twine(d) + "]");
      }
    }
  }
  llvm::outs() << "attention spans=" << spanKind.getValue() << ": "
               << t.summary() << " (max |err|/bound = " << t.worstText()
               << "); ";
  if (kernelRan) {
    llvm::outs() << "tiles not counted (kernel)\n";
    return t.failures ? 1 : 0;
  }
  bool countsOk =
      reportTiles(printed[n], printed[n + 1], expectVisited, expectSkipped);
  return t.failures || !countsOk ? 1 : 0;
}

} // namespace

Mode attentionMode{command, run};

} // namespace mxc::testgen
