//===- LlamaBuilder.cpp - A Llama model as mxc IR -------------------------===//

#include "mxc/Frontend/LlamaBuilder.h"
#include "mxc/IR/MXCOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>

using namespace mlir;
using namespace ::mxc::frontend;

/// f32 elements of `shape`: dense, or a dense resource when large.
static ElementsAttr elements(Builder &b, ArrayRef<float> values,
                             ArrayRef<int64_t> shape, const std::string &name) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  if (values.size() <= 1024)
    return DenseElementsAttr::get(type, values);
  return DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign(values));
}

/// As elements(), but a resource shares the memory of `values` (the
/// statistics keep it too): no copy of a model's Hessians.
static ElementsAttr
sharedElements(Builder &b, std::shared_ptr<const std::vector<float>> values,
               ArrayRef<int64_t> shape, const std::string &name) {
  if (values->size() <= 1024)
    return elements(b, *values, shape, name);
  auto type = RankedTensorType::get(shape, b.getF32Type());
  ArrayRef<char> bytes(reinterpret_cast<const char *>(values->data()),
                       values->size() * sizeof(float));
  return DenseResourceElementsAttr::get(
      type, name,
      AsmResourceBlob(
          bytes, alignof(float),
          [keep = std::move(values)](void *, size_t, size_t) {},
          /*dataIsMutable=*/false));
}

/// The softmax statistics attribute of `s`.
static mlir::mxc::SoftmaxStatsAttr
softmaxStatsAttr(MLIRContext &ctx, const LlamaStatistics::Softmax &s) {
  return mlir::mxc::SoftmaxStatsAttr::get(
      &ctx, llvm::APFloat(s.mean), llvm::APFloat(s.std), llvm::APFloat(s.min),
      s.count,
      s.samples.empty() ? DenseF32ArrayAttr()
                        : DenseF32ArrayAttr::get(&ctx, s.samples));
}

namespace {

using Body = function_ref<Value(OpBuilder &, Location, ValueRange)>;

class LlamaBuilder {
public:
  LlamaBuilder(MLIRContext &ctx, const LlamaModel &model, ModuleOp module,
               const LlamaBuildOptions &options)
      : ctx(ctx), model(model), c(model.config), options(options), b(&ctx),
        loc(UnknownLoc::get(&ctx)), module(module),
        layout(calibrationLayout(model.config)) {
    b.setInsertionPointToEnd(module.getBody());
  }

  void build() {
    if (options.calibration && options.calibrationLayers) {
      for (int64_t l = 0; l < c.layers; ++l)
        buildLayerCalibration(l);
      return;
    }
    Type f32 = b.getF32Type();
    auto tokensType =
        RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type());
    auto logitsType =
        RankedTensorType::get({ShapedType::kDynamic, c.vocab}, f32);
    auto recordType =
        RankedTensorType::get({ShapedType::kDynamic, layout.total}, f32);
    SmallVector<Type> inputs = {tokensType};
    auto cacheType = MemRefType::get(kvCacheShape(c), f32);
    const bool decode = !options.calibration;
    if (decode)
      inputs.append({b.getIndexType(), cacheType, cacheType});
    auto func = func::FuncOp::create(
        b, loc, options.calibration ? "calibrate" : "decode",
        b.getFunctionType(inputs,
                          {options.calibration ? recordType : logitsType}));
    func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    // The position of the first token: on the GPU path it moves into device
    // memory (mxc-gpu-device-position).
    if (decode)
      func.setArgAttr(1, mlir::mxc::kPositionArgAttr, b.getUnitAttr());
    entry = func.addEntryBlock();
    b.setInsertionPointToStart(entry);
    Value tokens = entry->getArgument(0);
    length = tensor::DimOp::create(b, loc, tokens, 0);
    ropeCosines = ropeSines = nullptr;
    if (decode) {
      // The caches are updated in place: one writable tensor view of each,
      // threaded through the layers and materialized back at the end.
      start = entry->getArgument(1);
      auto cacheTensor = RankedTensorType::get(kvCacheShape(c), f32);
      for (auto [i, cache] : llvm::enumerate(caches))
        cache = bufferization::ToTensorOp::create(
            b, loc, cacheTensor, entry->getArgument(2 + i), /*restrict=*/true,
            /*writable=*/true);
    } else {
      start = arith::ConstantIndexOp::create(b, loc, 0);
    }

    if (options.calibration)
      record = tensor::EmptyOp::create(
          b, loc, ArrayRef<int64_t>{ShapedType::kDynamic, layout.total},
          b.getF32Type(), ValueRange{length});
    Value x = embed(tokens);
    for (size_t l = 0; l < model.layers.size(); ++l)
      x = transformerLayer(x, l, layout.layers[l]);
    x = rmsnorm(x, model.finalNorm, "final_norm");
    keep(x, layout.classifierInput, c.dim);
    if (options.calibration) {
      func::ReturnOp::create(b, loc, record);
      return;
    }
    Value logits = matmul(x, model.classifier, c.vocab, c.dim, "classifier");
    for (auto [i, cache] : llvm::enumerate(caches))
      bufferization::MaterializeInDestinationOp::create(
          b, loc, Type(), cache, entry->getArgument(2 + i),
          /*restrict=*/false, /*writable=*/true);
    func::ReturnOp::create(b, loc, logits);

    // @forward(tokens) = @decode(tokens, 0, fresh caches): the prefill of a
    // window. Only the positions written are read, so the caches need no
    // initialization; the deallocation passes free them.
    b.setInsertionPointAfter(func);
    auto forward = func::FuncOp::create(
        b, loc, "forward", b.getFunctionType({tokensType}, {logitsType}));
    forward->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    Block *body = forward.addEntryBlock();
    b.setInsertionPointToStart(body);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value kCache = memref::AllocOp::create(b, loc, cacheType);
    Value vCache = memref::AllocOp::create(b, loc, cacheType);
    Value result = func::CallOp::create(
                       b, loc, func,
                       ValueRange{body->getArgument(0), zero, kCache, vCache})
                       .getResult(0);
    func::ReturnOp::create(b, loc, result);
  }

  /// @calibrate_layer_<l> (LlamaBuildOptions::calibrationLayers).
  void buildLayerCalibration(int64_t l) {
    layout = layerCalibrationLayout(c, l);
    b.setInsertionPointToEnd(module.getBody());
    Type f32 = b.getF32Type();
    auto rowsType = RankedTensorType::get({ShapedType::kDynamic, c.dim}, f32);
    auto recordType =
        RankedTensorType::get({ShapedType::kDynamic, layout.total}, f32);
    auto func =
        func::FuncOp::create(b, loc, layerCalibrationName(l),
                             b.getFunctionType({rowsType}, {recordType}));
    func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    entry = func.addEntryBlock();
    b.setInsertionPointToStart(entry);
    Value x = entry->getArgument(0);
    length = tensor::DimOp::create(b, loc, x, 0);
    start = arith::ConstantIndexOp::create(b, loc, 0);
    ropeCosines = ropeSines = nullptr;
    record = tensor::EmptyOp::create(
        b, loc, ArrayRef<int64_t>{ShapedType::kDynamic, layout.total}, f32,
        ValueRange{length});
    x = transformerLayer(x, l, layout.layers[0]);
    keep(x, layout.output, c.dim);
    if (layout.classifierInput >= 0) {
      x = rmsnorm(x, model.finalNorm, "final_norm");
      keep(x, layout.classifierInput, c.dim);
    }
    func::ReturnOp::create(b, loc, record);
  }

private:
  /// Transformer layer `l` on the residual stream `x`; records its
  /// activations at `at` when building a calibration function.
  Value transformerLayer(Value x, size_t l,
                         const CalibrationLayout::Layer &at) {
    const LlamaLayer &layer = model.layers[l];
    std::string p = "layers." + std::to_string(l) + ".";
    Value h = rmsnorm(x, layer.attentionNorm, p + "attention_norm");
    keep(h, at.attentionInput, c.dim);
    Value q = rope(matmul(h, layer.wq, c.dim, c.dim, p + "wq"), c.dim);
    Value k = rope(matmul(h, layer.wk, c.kvDim(), c.dim, p + "wk"), c.kvDim());
    Value v = matmul(h, layer.wv, c.kvDim(), c.dim, p + "wv");
    keep(q, at.query, c.dim);
    keep(k, at.key, c.kvDim());
    Value attended = attention(q, k, v, l);
    keep(attended, at.attentionOutput, c.dim);
    attended = scaleChannels(attended, layer.woInputScale, c.dim,
                             p + "wo_input_scale");
    x = add(x, matmul(attended, layer.wo, c.dim, c.dim, p + "wo"));
    h = rmsnorm(x, layer.ffnNorm, p + "ffn_norm");
    keep(h, at.ffnInput, c.dim);
    Value gate = matmul(h, layer.w1, c.hiddenDim, c.dim, p + "w1");
    Value up = matmul(h, layer.w3, c.hiddenDim, c.dim, p + "w3");
    Value hidden = siluTimes(gate, up);
    keep(hidden, at.ffnHidden, c.hiddenDim);
    hidden = scaleChannels(hidden, layer.w2InputScale, c.hiddenDim,
                           p + "w2_input_scale");
    return add(x, matmul(hidden, layer.w2, c.dim, c.hiddenDim, p + "w2"));
  }

  /// A constant pointing at `values` in the model's memory (no copy).
  Value weight(ArrayRef<float> values, ArrayRef<int64_t> shape,
               const std::string &name) {
    auto type = RankedTensorType::get(shape, b.getF32Type());
    ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                         values.size() * sizeof(float));
    auto attr = DenseResourceElementsAttr::get(
        type, name,
        UnmanagedAsmResourceBlob::allocateWithAlign(bytes, alignof(float)));
    return arith::ConstantOp::create(b, loc, type, attr);
  }
  /// The MX constant of `t` (mxc.assemble of its data and scales), pointing
  /// into the model's memory.
  Value mxWeight(const ::mxc::numerics::MXTensor &t, const std::string &name) {
    auto type = mlir::mxc::MXTensorType::get(
        {t.layout.rows, t.layout.cols},
        mlir::mxc::getMXElementType(&ctx, t.layout.format), t.layout.blockSize);
    auto bytes = [&](RankedTensorType tensorType, const std::vector<uint8_t> &v,
                     const std::string &key) {
      ArrayRef<char> data(reinterpret_cast<const char *>(v.data()), v.size());
      auto attr = DenseResourceElementsAttr::get(
          tensorType, key,
          UnmanagedAsmResourceBlob::allocateWithAlign(data, 1));
      return arith::ConstantOp::create(b, loc, tensorType, attr).getResult();
    };
    Value data = bytes(type.getDataType(), t.data, name + "_data");
    Value scales = bytes(type.getScalesType(), t.scales, name + "_scales");
    return mlir::mxc::AssembleOp::create(b, loc, type, data, scales);
  }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  /// An empty [length, n] f32 tensor.
  Value rows(int64_t n) {
    return tensor::EmptyOp::create(b, loc,
                                   ArrayRef<int64_t>{ShapedType::kDynamic, n},
                                   b.getF32Type(), ValueRange{length});
  }
  AffineMap id2() { return AffineMap::getMultiDimIdentityMap(2, &ctx); }
  AffineMap column() {
    return AffineMap::get(2, 0, {getAffineDimExpr(1, &ctx)}, &ctx);
  }
  AffineMap row() {
    return AffineMap::get(2, 0, {getAffineDimExpr(0, &ctx)}, &ctx);
  }
  /// A parallel linalg.generic over [length, n].
  Value generic(int64_t n, ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                Body body) {
    SmallVector<AffineMap> maps(inputMaps);
    maps.push_back(id2());
    Value init = rows(n);
    return linalg::GenericOp::create(
               b, loc, init.getType(), inputs, init, maps,
               SmallVector<utils::IteratorType>(2,
                                                utils::IteratorType::parallel),
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(nb, l, body(nb, l, args));
               })
        .getResult(0);
  }

  /// x[s, :] = embedding[tokens[s], :].
  Value embed(Value tokens) {
    Value table =
        weight(model.tokenEmbedding, {c.vocab, c.dim}, "token_embedding");
    return generic(c.dim, {}, {}, [&](OpBuilder &nb, Location l, ValueRange) {
      Value s = linalg::IndexOp::create(nb, l, 0);
      Value d = linalg::IndexOp::create(nb, l, 1);
      Value token = arith::IndexCastOp::create(
          nb, l, nb.getIndexType(),
          tensor::ExtractOp::create(nb, l, tokens, s));
      return tensor::ExtractOp::create(nb, l, table, ValueRange{token, d})
          .getResult();
    });
  }

  /// RMSNorm: x / sqrt(mean(x^2) + eps), then a per-channel multiply by the
  /// gain (a separate linalg.generic: what SmoothQuant folds into).
  Value rmsnorm(Value x, ArrayRef<float> gain, const std::string &name) {
    Value zero = f32(0.0);
    Value sumInit = linalg::FillOp::create(
                        b, loc, zero,
                        tensor::EmptyOp::create(
                            b, loc, ArrayRef<int64_t>{ShapedType::kDynamic},
                            b.getF32Type(), ValueRange{length})
                            .getResult())
                        .getResult(0);
    Value sumSq =
        linalg::GenericOp::create(
            b, loc, sumInit.getType(), x, sumInit,
            ArrayRef<AffineMap>{id2(), row()},
            ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                          utils::IteratorType::reduction},
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value sq = arith::MulFOp::create(nb, l, args[0], args[0]);
              linalg::YieldOp::create(
                  nb, l, arith::AddFOp::create(nb, l, args[1], sq).getResult());
            })
            .getResult(0);
    const double n = static_cast<double>(c.dim), eps = c.normEps;
    Value normalized = generic(
        c.dim, {x, sumSq}, {id2(), row()},
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value mean = arith::DivFOp::create(
              nb, l, args[1],
              arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(n)));
          Value denom = math::SqrtOp::create(
              nb, l,
              arith::AddFOp::create(
                  nb, l, mean,
                  arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(eps))));
          return arith::DivFOp::create(nb, l, args[0], denom);
        });
    Value g = weight(gain, {c.dim}, name);
    return generic(c.dim, {normalized, g}, {id2(), column()},
                   [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                     return arith::MulFOp::create(nb, l, args[0], args[1]);
                   });
  }

  /// Records [length, width] `value` at column `offset` of the calibration
  /// result (when building the calibration function).
  void keep(Value value, int64_t offset, int64_t width) {
    if (!options.calibration)
      return;
    record = tensor::InsertSliceOp::create(
        b, loc, value, record,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(offset)},
        ArrayRef<OpFoldResult>{length, b.getIndexAttr(width)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  }

  /// y = x W^T with the float weight W [out, in], and its statistics.
  Value matmul(Value x, ArrayRef<float> w, int64_t out, int64_t in,
               const std::string &name) {
    Value weightValue;
    auto mx = model.mxWeights.find(name);
    if (options.keepCheckpointMX && mx != model.mxWeights.end())
      weightValue = mxWeight(mx->second, name);
    else
      weightValue = weight(w, {out, in}, name);
    auto resultType =
        RankedTensorType::get({ShapedType::kDynamic, out}, b.getF32Type());
    ElementsAttr absMax, hessian;
    if (const LlamaStatistics *stats = options.statistics) {
      size_t index = matmulCount;
      if (index < stats->actAbsMax.size()) {
        absMax =
            elements(b, stats->actAbsMax[index], {in}, name + ".act_absmax");
        // One resource per distinct Hessian (q, k, v share theirs).
        ElementsAttr &shared = hessians[stats->hessian[index].get()];
        if (!shared)
          shared = sharedElements(b, stats->hessian[index], {in, in},
                                  name + ".hessian");
        hessian = shared;
      }
    }
    ++matmulCount;
    // Named after the weight, so that diagnostics say which layer.
    Location named = NameLoc::get(b.getStringAttr(name), loc);
    return mlir::mxc::MatmulOp::create(b, named, resultType, x, weightValue,
                                       absMax, hessian)
        .getResult();
  }

  /// llama2.c RoPE on [length, n]: row s sits at position pos = start + s;
  /// dims (2i, 2i+1) rotate by pos * freq_i, freq the config's frequency of
  /// the pair (theta^(-(i mod head_dim)/head_dim) without factors). The
  /// cosines and sines come from ropeTables.
  Value rope(Value x, int64_t n) {
    const auto [cosineTable, sineTable] = ropeTables();
    Value cosines = cosineTable, sines = sineTable;
    const int64_t pairs = c.headDim() / 2;
    return generic(n, {}, {}, [&](OpBuilder &nb, Location l, ValueRange) {
      Value s = linalg::IndexOp::create(nb, l, 0);
      Value d = linalg::IndexOp::create(nb, l, 1);
      Value one = arith::ConstantIndexOp::create(nb, l, 1);
      // The pair's index within its head: (d / 2) mod (head_dim / 2).
      Value pair =
          arith::RemUIOp::create(nb, l, arith::ShRUIOp::create(nb, l, d, one),
                                 arith::ConstantIndexOp::create(nb, l, pairs));
      Value cosine =
          tensor::ExtractOp::create(nb, l, cosines, ValueRange{s, pair});
      Value sine = tensor::ExtractOp::create(nb, l, sines, ValueRange{s, pair});
      Value odd = arith::CmpIOp::create(
          nb, l, arith::CmpIPredicate::ne, arith::AndIOp::create(nb, l, d, one),
          arith::ConstantIndexOp::create(nb, l, 0));
      Value partnerIndex = arith::XOrIOp::create(nb, l, d, one);
      Value self = tensor::ExtractOp::create(nb, l, x, ValueRange{s, d});
      Value partner =
          tensor::ExtractOp::create(nb, l, x, ValueRange{s, partnerIndex});
      // even: v0 c - v1 s (self = v0); odd: v0 s + v1 c (self = v1).
      Value sinTerm = arith::MulFOp::create(nb, l, partner, sine);
      Value cosTerm = arith::MulFOp::create(nb, l, self, cosine);
      return arith::SelectOp::create(
                 nb, l, odd, arith::AddFOp::create(nb, l, sinTerm, cosTerm),
                 arith::SubFOp::create(nb, l, cosTerm, sinTerm))
          .getResult();
    });
  }

  /// cos and sin of pos * freq_i for the window's rows and the head's pairs
  /// i ([length, head_dim / 2] each), built once per function at its first
  /// RoPE: every layer's queries and keys rotate by the same angles, so
  /// each angle's cosine and sine are computed once instead of for every
  /// element of q and k in every layer (2 * layers * (dim + kv_dim) calls of
  /// each per token, the largest serial cost of a prefill after the
  /// matmuls).
  std::pair<Value, Value> ropeTables() {
    if (ropeCosines)
      return {ropeCosines, ropeSines};
    const int64_t pairs = c.headDim() / 2;
    std::vector<float> freq(pairs);
    for (int64_t i = 0; i < pairs; ++i)
      freq[i] = static_cast<float>(c.ropeFrequency(i));
    auto freqType = RankedTensorType::get({pairs}, b.getF32Type());
    Value freqs = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(freqType, ArrayRef<float>(freq)));
    auto table = [&](bool cosine) {
      return generic(pairs, {freqs}, {column()},
                     [&](OpBuilder &nb, Location l, ValueRange args) {
                       Value s = linalg::IndexOp::create(nb, l, 0);
                       Value pos = arith::UIToFPOp::create(
                           nb, l, nb.getF32Type(),
                           arith::IndexCastUIOp::create(
                               nb, l, nb.getI64Type(),
                               arith::AddIOp::create(nb, l, s, start)));
                       Value angle = arith::MulFOp::create(nb, l, pos, args[0]);
                       if (cosine)
                         return math::CosOp::create(nb, l, angle).getResult();
                       return math::SinOp::create(nb, l, angle).getResult();
                     });
    };
    ropeCosines = table(true);
    ropeSines = table(false);
    return {ropeCosines, ropeSines};
  }

  /// [length, heads * hd] -> [heads, length, hd].
  Value toHeads(Value x, int64_t heads) {
    const int64_t hd = c.headDim();
    Value split = tensor::ExpandShapeOp::create(
        b, loc,
        RankedTensorType::get({ShapedType::kDynamic, heads, hd},
                              b.getF32Type()),
        x, ArrayRef<ReassociationIndices>{{0}, {1, 2}},
        ArrayRef<OpFoldResult>{length, b.getIndexAttr(heads),
                               b.getIndexAttr(hd)});
    Value init = tensor::EmptyOp::create(
        b, loc, ArrayRef<int64_t>{heads, ShapedType::kDynamic, hd},
        b.getF32Type(), ValueRange{length});
    return linalg::TransposeOp::create(b, loc, split, init,
                                       ArrayRef<int64_t>{1, 0, 2})
        ->getResult(0);
  }

  /// Causal GQA attention of the window, back to [length, dim].
  Value attention(Value q, Value k, Value v, size_t layerIndex) {
    const int64_t hd = c.headDim();
    Value qh = toHeads(q, c.heads), kh = toHeads(k, c.kvHeads),
          vh = toHeads(v, c.kvHeads);
    if (caches[0]) {
      // Write this window's keys and values at [layer, :, start, :] and
      // attend to positions [0, start + length) of the cache.
      Value keys = arith::AddIOp::create(b, loc, start, length);
      auto one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
      auto layer = b.getIndexAttr(layerIndex);
      auto seen = RankedTensorType::get({c.kvHeads, ShapedType::kDynamic, hd},
                                        b.getF32Type());
      Value *heads[] = {&kh, &vh};
      for (auto [i, cache] : llvm::enumerate(caches)) {
        cache = tensor::InsertSliceOp::create(
            b, loc, *heads[i], cache,
            ArrayRef<OpFoldResult>{layer, zero, start, zero},
            ArrayRef<OpFoldResult>{one, b.getIndexAttr(c.kvHeads), length,
                                   b.getIndexAttr(hd)},
            ArrayRef<OpFoldResult>{one, one, one, one});
        *heads[i] = tensor::ExtractSliceOp::create(
            b, loc, seen, cache,
            ArrayRef<OpFoldResult>{layer, zero, zero, zero},
            ArrayRef<OpFoldResult>{one, b.getIndexAttr(c.kvHeads), keys,
                                   b.getIndexAttr(hd)},
            ArrayRef<OpFoldResult>{one, one, one, one});
      }
    }
    auto outType = RankedTensorType::get({c.heads, ShapedType::kDynamic, hd},
                                         b.getF32Type());
    mlir::mxc::SoftmaxStatsAttr softmaxStats;
    if (options.statistics && layerIndex < options.statistics->softmax.size()) {
      softmaxStats =
          softmaxStatsAttr(ctx, options.statistics->softmax[layerIndex]);
    }
    Value o =
        mlir::mxc::AttentionOp::create(
            b, loc, outType, qh, kh, vh, /*spans=*/Value(),
            /*tile_mask=*/Value(), /*scale=*/nullptr,
            b.getI64IntegerAttr(options.attentionTile), b.getI64IntegerAttr(0),
            /*keep_self=*/nullptr,
            options.softmaxBits
                ? mlir::mxc::ExaqAttr::get(
                      &ctx, options.softmaxBits, options.softmaxClip,
                      options.softmaxZeroFloor,
                      layerIndex < options.softmaxTables.size()
                          ? llvm::ArrayRef<float>(
                                options.softmaxTables[layerIndex])
                          : llvm::ArrayRef<float>())
                : mlir::mxc::ExaqAttr(),
            softmaxStats)
            .getResult();
    Value init = tensor::EmptyOp::create(
        b, loc, ArrayRef<int64_t>{ShapedType::kDynamic, c.heads, hd},
        b.getF32Type(), ValueRange{length});
    Value back =
        linalg::TransposeOp::create(b, loc, o, init, ArrayRef<int64_t>{1, 0, 2})
            ->getResult(0);
    return tensor::CollapseShapeOp::create(
        b, loc, back, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  }

  /// x [length, n] times `factors` [n] per channel; x itself when there
  /// are none.
  Value scaleChannels(Value x, ArrayRef<float> factors, int64_t n,
                      const std::string &name) {
    if (factors.empty())
      return x;
    Value f = weight(factors, {n}, name);
    return generic(n, {x, f}, {id2(), column()},
                   [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                     return arith::MulFOp::create(nb, l, args[0], args[1]);
                   });
  }

  Value add(Value x, Value y) {
    return generic(c.dim, {x, y}, {id2(), id2()},
                   [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                     return arith::AddFOp::create(nb, l, args[0], args[1]);
                   });
  }

  /// silu(gate) * up, silu(x) = x / (1 + e^-x).
  Value siluTimes(Value gate, Value up) {
    return generic(
        c.hiddenDim, {gate, up}, {id2(), id2()},
        [](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value one = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1.0));
          Value e =
              math::ExpOp::create(nb, l, arith::NegFOp::create(nb, l, args[0]));
          Value silu = arith::DivFOp::create(
              nb, l, args[0], arith::AddFOp::create(nb, l, one, e));
          return arith::MulFOp::create(nb, l, silu, args[1]);
        });
  }

  MLIRContext &ctx;
  const LlamaModel &model;
  const LlamaConfig &c;
  const LlamaBuildOptions &options;
  OpBuilder b;
  Location loc;
  ModuleOp module;
  CalibrationLayout layout;
  Block *entry = nullptr;
  Value length;
  /// The position of the first token: 0, or @decode's argument.
  Value start;
  /// The function's RoPE tables (ropeTables), once built.
  Value ropeCosines, ropeSines;
  /// @decode: the key and value caches as tensors, updated per layer.
  Value caches[2];
  Value record;
  size_t matmulCount = 0;
  /// The resource of each distinct Hessian (by its storage).
  llvm::DenseMap<const void *, ElementsAttr> hessians;
};

} // namespace

namespace mxc::frontend {
std::vector<std::string> matmulNames(const LlamaConfig &c) {
  std::vector<std::string> names;
  for (int64_t l = 0; l < c.layers; ++l)
    for (const char *m : {"wq", "wk", "wv", "wo", "w1", "w3", "w2"})
      names.push_back("layers." + std::to_string(l) + "." + m);
  names.push_back("classifier");
  return names;
}

/// A layer's columns from `at` on; `at` moves past them.
static CalibrationLayout::Layer layerColumns(const LlamaConfig &c,
                                             int64_t &at) {
  CalibrationLayout::Layer layer;
  layer.attentionInput = at;
  layer.query = at += c.dim;
  layer.key = at += c.dim;
  layer.attentionOutput = at += c.kvDim();
  layer.ffnInput = at += c.dim;
  layer.ffnHidden = at += c.dim;
  at += c.hiddenDim;
  return layer;
}

CalibrationLayout calibrationLayout(const LlamaConfig &c) {
  CalibrationLayout layout;
  int64_t at = 0;
  for (int64_t l = 0; l < c.layers; ++l)
    layout.layers.push_back(layerColumns(c, at));
  layout.classifierInput = at;
  layout.total = at + c.dim;
  return layout;
}

std::string layerCalibrationName(int64_t layer) {
  return "calibrate_layer_" + std::to_string(layer);
}

CalibrationLayout layerCalibrationLayout(const LlamaConfig &c, int64_t layer) {
  CalibrationLayout layout;
  int64_t at = 0;
  layout.layers.push_back(layerColumns(c, at));
  layout.output = at;
  at += c.dim;
  if (layer == c.layers - 1) {
    layout.classifierInput = at;
    at += c.dim;
  }
  layout.total = at;
  return layout;
}

llvm::SmallVector<int64_t, 4> kvCacheShape(const LlamaConfig &c) {
  return {c.layers, c.kvHeads, c.seqLen, c.headDim()};
}

OwningOpRef<ModuleOp> buildLlamaForward(MLIRContext &context,
                                        const LlamaModel &model,
                                        const LlamaBuildOptions &options) {
  context.loadDialect<arith::ArithDialect, bufferization::BufferizationDialect,
                      func::FuncDialect, memref::MemRefDialect,
                      linalg::LinalgDialect, math::MathDialect,
                      tensor::TensorDialect, mlir::mxc::MXCDialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&context));
  LlamaBuilder(context, model, *module, options).build();
  return module;
}

void attachInputStatistics(ModuleOp module, ArrayRef<std::string> names,
                           ArrayRef<float> absMax,
                           std::shared_ptr<const std::vector<float>> hessian) {
  Builder b(module.getContext());
  const int64_t in = absMax.size();
  ElementsAttr absMaxAttr, hessianAttr;
  module.walk([&](mlir::mxc::MatmulOp op) {
    auto name = dyn_cast<NameLoc>(op.getLoc());
    if (!name || !llvm::is_contained(names, name.getName().getValue()))
      return;
    if (!hessianAttr) {
      absMaxAttr =
          elements(b, absMax, {in}, name.getName().str() + ".act_absmax");
      hessianAttr = sharedElements(b, hessian, {in, in},
                                   name.getName().str() + ".hessian");
    }
    op.setActAbsmaxAttr(absMaxAttr);
    op.setHessianAttr(hessianAttr);
  });
}

void attachSoftmaxStatistics(ModuleOp module, int64_t layer,
                             const LlamaStatistics::Softmax &stats) {
  int64_t index = 0;
  module.walk([&](mlir::mxc::AttentionOp op) {
    if (index++ == layer)
      op.setStatsAttr(softmaxStatsAttr(*module.getContext(), stats));
  });
}

void detachInputStatistics(ModuleOp module, ArrayRef<std::string> names) {
  module.walk([&](mlir::mxc::MatmulOp op) {
    auto name = dyn_cast<NameLoc>(op.getLoc());
    if (!name || !llvm::is_contained(names, name.getName().getValue()))
      return;
    op.removeActAbsmaxAttr();
    op.removeHessianAttr();
  });
}
} // namespace mxc::frontend
