//===- LlamaGradientTest.cpp - The backward pass against differences ------===//
//
// Every parameter tensor's gradient (RMSNorm gains, q/k/v through RoPE and
// GQA attention, wo, the SwiGLU matmuls, the final norm, the classifier)
// checked against central finite differences of the loss; and the
// straight-through gradient of a quantized model equals the float gradient
// at the rounded weights.
//
//===----------------------------------------------------------------------===//

#include "mxc/Tuning/LlamaGradient.h"
#include "mxc/Frontend/Reference.h"
#include "mxc/Runtime/CPUKernels.h"
#include "mxc/Tuning/GlobalTuning.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <random>

using namespace mxc;
using namespace mxc::tuning;

namespace {

/// A tiny Llama (2 layers, 2 heads sharing 1 KV head, RoPE) with seeded
/// random weights; `cols32` makes every matmul input 32 wide (for MX
/// blocks).
LlamaParameters tinyModel(bool cols32 = false, bool inputScales = false) {
  LlamaParameters p;
  frontend::LlamaConfig &c = p.config;
  c.dim = cols32 ? 32 : 8;
  c.hiddenDim = cols32 ? 32 : 12;
  c.layers = 2;
  c.heads = 2;
  c.kvHeads = 1;
  c.vocab = 11;
  c.seqLen = 8;
  c.ropeTheta = 100; // turns the pairs by visibly different angles
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.f, 0.5f);
  auto fill = [&](std::vector<float> &v, size_t n, float mean = 0) {
    v.resize(n);
    for (float &x : v)
      x = mean + normal(rng);
  };
  fill(p.embedding, c.vocab * c.dim);
  p.layers.resize(c.layers);
  for (LlamaParameters::Layer &l : p.layers) {
    fill(l.attentionNorm, c.dim, 1);
    fill(l.wq, c.dim * c.dim);
    fill(l.wk, c.kvDim() * c.dim);
    fill(l.wv, c.kvDim() * c.dim);
    fill(l.wo, c.dim * c.dim);
    fill(l.ffnNorm, c.dim, 1);
    fill(l.w1, c.hiddenDim * c.dim);
    fill(l.w2, c.dim * c.hiddenDim);
    fill(l.w3, c.hiddenDim * c.dim);
    if (inputScales) {
      fill(l.woInputScale, c.dim, 1);
      fill(l.w2InputScale, c.hiddenDim, 1);
    }
  }
  fill(p.finalNorm, c.dim, 1);
  fill(p.classifier, c.vocab * c.dim);
  return p;
}

/// Log-probabilities of random logits: the teacher.
std::vector<double> randomTeacher(int64_t t, int64_t v) {
  std::mt19937 rng(3);
  std::normal_distribution<double> normal(0, 2);
  std::vector<double> out(t * v);
  for (int64_t i = 0; i < t; ++i) {
    double sum = 0;
    for (int64_t j = 0; j < v; ++j)
      sum += std::exp(out[i * v + j] = normal(rng));
    for (int64_t j = 0; j < v; ++j)
      out[i * v + j] -= std::log(sum);
  }
  return out;
}

const std::vector<int32_t> kTokens = {1, 4, 9, 2, 7, 3};

/// A window of `n` seeded random tokens of the tiny model's vocabulary:
/// longer than the attention's blocks of query rows (64), the last one
/// partial.
std::vector<int32_t> longWindow(int64_t n = 150) {
  std::mt19937 rng(5);
  std::vector<int32_t> tokens(n);
  for (int32_t &t : tokens)
    t = rng() % 11;
  return tokens;
}

/// Runs f with each CPU kernel variant this CPU runs whose softmax loops the
/// tuner tells apart (the baseline's; AVX2 + FMA), then restores the
/// variant in use.
template <typename F> void forEachKernelISA(F f) {
  const std::string saved = cpu::kernelISA();
  for (const char *isa : {"generic", "avx2"}) {
    if (!cpu::useKernelISA(isa))
      continue;
    SCOPED_TRACE(isa);
    f();
  }
  cpu::useKernelISA(saved.c_str());
}

/// The loss whose gradient distillationLoss gives with `labelWeight` w,
/// written out from the forward pass's log-probabilities: the mean over
/// positions of (1 - w) KL(teacher || model) + w (-log model(next token)),
/// the last position's KL alone (it has no next token).
double mixedLoss(LlamaParameters &p, const std::vector<int32_t> &tokens,
                 const std::vector<double> &teacher, double w) {
  Quantizers none;
  std::vector<double> logq =
      logProbabilities(p, QuantizedView(p, none), tokens);
  const int64_t T = tokens.size(), V = p.config.vocab;
  double sum = 0;
  for (int64_t t = 0; t < T; ++t) {
    double kl = 0;
    for (int64_t v = 0; v < V; ++v)
      kl +=
          std::exp(teacher[t * V + v]) * (teacher[t * V + v] - logq[t * V + v]);
    sum += t + 1 < T ? (1 - w) * kl - w * logq[t * V + tokens[t + 1]] : kl;
  }
  return sum / T;
}

void checkFiniteDifferences(LlamaParameters p,
                            const std::vector<int32_t> &tokens = kTokens,
                            double labelWeight = 0) {
  Quantizers none;
  std::vector<double> teacher = randomTeacher(tokens.size(), p.config.vocab);
  LlamaParameters g = p.zerosLike();
  double loss0 = distillationLoss(p, QuantizedView(p, none), tokens, teacher,
                                  &g, labelWeight);
  EXPECT_GT(loss0, 0.1);
  auto loss = [&] {
    return labelWeight > 0 ? mixedLoss(p, tokens, teacher, labelWeight)
                           : distillationLoss(p, QuantizedView(p, none), tokens,
                                              teacher, nullptr);
  };
  std::vector<LlamaParameters::Tensor> tensors = p.tensors(),
                                       grads = g.tensors();
  std::mt19937 rng(11);
  int checked = 0;
  for (size_t t = 0; t < tensors.size(); ++t) {
    std::vector<float> &values = *tensors[t].values;
    const std::vector<float> &grad = *grads[t].values;
    // Five random entries and the one of the largest gradient.
    std::vector<size_t> picks;
    for (int i = 0; i < 5; ++i)
      picks.push_back(rng() % values.size());
    picks.push_back(std::max_element(grad.begin(), grad.end(),
                                     [](float a, float b) {
                                       return std::abs(a) < std::abs(b);
                                     }) -
                    grad.begin());
    for (size_t i : picks) {
      const float saved = values[i], h = 1e-3f;
      values[i] = saved + h;
      double up = loss();
      values[i] = saved - h;
      double down = loss();
      values[i] = saved;
      double numeric = (up - down) / (2.0 * h);
      EXPECT_NEAR(grad[i], numeric, 2e-3 * std::max(1.0, std::abs(numeric)))
          << tensors[t].name << "[" << i << "]";
      ++checked;
    }
    // The tensor's gradient is not all zero (it was reached at all).
    EXPECT_GT(std::abs(grad[picks.back()]), 1e-5) << tensors[t].name;
  }
  // 2 layers x 9 tensors (11 with the input factors), final norm,
  // classifier.
  const int expected = p.layers[0].woInputScale.empty() ? 20 : 24;
  EXPECT_EQ(tensors.size(), static_cast<size_t>(expected));
  EXPECT_EQ(checked, 6 * expected);
}

TEST(LlamaGradient, MatchesFiniteDifferences) {
  checkFiniteDifferences(tinyModel());
}

// With factors on the inputs of wo and w2 (a smoothed model, or one whose
// gains are tuned): their gradients too.
TEST(LlamaGradient, MatchesFiniteDifferencesWithInputScales) {
  checkFiniteDifferences(tinyModel(false, true));
}

// With the window's own next tokens in the target (tune-labels=): the
// gradient of the KL and cross-entropy mixed, written out independently.
TEST(LlamaGradient, MatchesFiniteDifferencesWithLabels) {
  checkFiniteDifferences(tinyModel(), kTokens, 0.3);
  checkFiniteDifferences(tinyModel(), kTokens, 1.0);
}

// Over several blocks of query rows, too, with the softmax loops of each
// instruction set.
TEST(LlamaGradient, MatchesFiniteDifferencesOnALongWindow) {
  LlamaParameters p = tinyModel();
  p.config.seqLen = 256;
  forEachKernelISA([&] { checkFiniteDifferences(p, longWindow()); });
}

// The forward pass is the float model: the log-softmax of the independent
// reference's logits (frontend::referenceLogits), on a window longer than
// the attention's blocks of query rows, with the softmax loops of each
// instruction set.
TEST(LlamaGradient, ForwardMatchesTheReference) {
  LlamaParameters p = tinyModel();
  p.config.seqLen = 256;
  const std::vector<int32_t> tokens = longWindow();
  std::vector<float> logits = frontend::referenceLogits(p.view(), tokens);
  const int64_t v = p.config.vocab;
  Quantizers none;
  forEachKernelISA([&] {
    std::vector<double> got =
        logProbabilities(p, QuantizedView(p, none), tokens);
    ASSERT_EQ(got.size(), logits.size());
    for (size_t i = 0; i < tokens.size(); ++i) {
      double top = *std::max_element(&logits[i * v], &logits[i * v] + v),
             sum = 0;
      for (int64_t j = 0; j < v; ++j)
        sum += std::exp(logits[i * v + j] - top);
      for (int64_t j = 0; j < v; ++j)
        ASSERT_NEAR(got[i * v + j], logits[i * v + j] - top - std::log(sum),
                    1e-4)
            << "position " << i << ", token " << j;
    }
  });
}

// A factor on a matmul's input is the same model as that factor on the
// weight's columns: W (f * x) = (W diag(f)) x.
TEST(LlamaGradient, InputScaleEqualsScaledWeightColumns) {
  LlamaParameters scaled = tinyModel(false, true), folded = scaled;
  const frontend::LlamaConfig &c = folded.config;
  for (LlamaParameters::Layer &l : folded.layers) {
    for (size_t i = 0; i < l.wo.size(); ++i)
      l.wo[i] *= l.woInputScale[i % c.dim];
    for (size_t i = 0; i < l.w2.size(); ++i)
      l.w2[i] *= l.w2InputScale[i % c.hiddenDim];
    l.woInputScale.clear();
    l.w2InputScale.clear();
  }
  Quantizers none;
  std::vector<double> a = logProbabilities(scaled, QuantizedView(scaled, none),
                                           kTokens),
                      b = logProbabilities(folded, QuantizedView(folded, none),
                                           kTokens);
  ASSERT_EQ(a.size(), b.size());
  double largest = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i], b[i], 1e-4) << i;
    largest = std::max(largest, std::abs(a[i] - b[i]));
  }
  // The factors are not all ones: dropping them changes the model.
  LlamaParameters dropped = scaled;
  for (LlamaParameters::Layer &l : dropped.layers) {
    l.woInputScale.clear();
    l.w2InputScale.clear();
  }
  std::vector<double> d =
      logProbabilities(dropped, QuantizedView(dropped, none), kTokens);
  double moved = 0;
  for (size_t i = 0; i < a.size(); ++i)
    moved = std::max(moved, std::abs(a[i] - d[i]));
  EXPECT_GT(moved, 100 * largest + 1e-3);
}

// The weights the forward multiplies by are the library's RTN of the latent
// ones, with the recipe's scale choice (scales=mse: least squares).
TEST(LlamaGradient, ViewRoundsWithTheScaleChoice) {
  LlamaParameters p = tinyModel(/*cols32=*/true);
  Quantizers spec, mse;
  for (const LlamaParameters::Tensor &t : p.tensors())
    if (t.isMatmul)
      spec.weights[t.name] = mse.weights[t.name] = numerics::ElemFormat::E2M1;
  mse.weightScales = numerics::ScaleChoice::LeastSquares;
  QuantizedView specView(p, spec), mseView(p, mse);
  bool differ = false;
  for (const LlamaParameters::Tensor &t : p.tensors()) {
    if (!t.isMatmul)
      continue;
    for (auto [view, choice] :
         {std::pair{&specView, numerics::ScaleChoice::Spec},
          std::pair{&mseView, numerics::ScaleChoice::LeastSquares}}) {
      std::vector<double> expected = numerics::dequantize(numerics::quantize(
          numerics::ElemFormat::E2M1, 32, t.rows, t.cols, t.values->data(),
          numerics::RoundingMode::NearestEven, choice));
      const std::vector<float> &got = view->weights(t.name, *t.values);
      ASSERT_EQ(got.size(), expected.size());
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(got[i], static_cast<float>(expected[i]))
            << t.name << " " << i;
    }
    differ |= specView.weights(t.name, *t.values) !=
              mseView.weights(t.name, *t.values);
  }
  EXPECT_TRUE(differ);
}

// Straight through: the gradient with rounded weights (and inputs) is the
// float model's gradient at the rounded weights, applied to the latent ones.
TEST(LlamaGradient, StraightThroughTheQuantizers) {
  LlamaParameters p = tinyModel(/*cols32=*/true);
  Quantizers q;
  for (const LlamaParameters::Tensor &t : p.tensors())
    if (t.isMatmul && t.name != "layers.1.w2")
      q.weights[t.name] = numerics::ElemFormat::E2M1;
  std::vector<double> teacher = randomTeacher(kTokens.size(), p.config.vocab);
  LlamaParameters g = p.zerosLike();
  QuantizedView view(p, q);
  double loss = distillationLoss(p, view, kTokens, teacher, &g);

  LlamaParameters rounded = p;
  for (LlamaParameters::Tensor &t : rounded.tensors())
    if (t.isMatmul)
      *t.values = view.weights(t.name, *t.values);
  // The rounding changed the weights (MXFP4 keeps ~3 bits).
  EXPECT_NE(rounded.layers[0].wq, p.layers[0].wq);
  EXPECT_EQ(rounded.layers[1].w2, p.layers[1].w2); // not quantized
  LlamaParameters gRounded = rounded.zerosLike();
  Quantizers none;
  double lossRounded = distillationLoss(rounded, QuantizedView(rounded, none),
                                        kTokens, teacher, &gRounded);
  EXPECT_DOUBLE_EQ(loss, lossRounded);
  std::vector<LlamaParameters::Tensor> a = g.tensors(), b = gRounded.tensors();
  for (size_t t = 0; t < a.size(); ++t)
    EXPECT_EQ(*a[t].values, *b[t].values) << a[t].name;

  // Rounded inputs change the loss (the activation quantizer is applied),
  // and so does a 2-bit EXAQ softmax; its gradient stays finite.
  q.activations = numerics::ElemFormat::E2M1;
  double roundedInputs =
      distillationLoss(p, QuantizedView(p, q), kTokens, teacher, nullptr);
  EXPECT_NE(roundedInputs, loss);
  q.softmax = numerics::ExaqQuantizer{2, -8};
  LlamaParameters gExaq = p.zerosLike();
  double exaq =
      distillationLoss(p, QuantizedView(p, q), kTokens, teacher, &gExaq);
  EXPECT_NE(exaq, roundedInputs);
  // The forward pass without the backward (no exact softmax kept) gives
  // the same loss.
  EXPECT_EQ(distillationLoss(p, QuantizedView(p, q), kTokens, teacher, nullptr),
            exaq);
  for (const LlamaParameters::Tensor &t : gExaq.tensors())
    for (float v : *t.values)
      ASSERT_TRUE(std::isfinite(v)) << t.name;
  EXPECT_NE(gExaq.layers[0].wq, g.layers[0].wq);
}

// Quantizers::softmaxTables gives each layer's EXAQ softmax its own table:
// the same table in every layer is the quantizer's own table; one in a
// single layer changes the loss from both.
TEST(LlamaGradient, PerLayerSoftmaxTables) {
  LlamaParameters p = tinyModel();
  ASSERT_GE(p.config.layers, 2);
  std::vector<double> teacher = randomTeacher(kTokens.size(), p.config.vocab);
  const std::vector<float> table = {0.0f, 0.1f, 0.4f, 1.0f};
  auto loss = [&](const Quantizers &q) {
    return distillationLoss(p, QuantizedView(p, q), kTokens, teacher, nullptr);
  };
  Quantizers own, perLayer, first, none;
  none.softmax = numerics::ExaqQuantizer{2, -3.0, /*zeroFloor=*/true};
  own.softmax = perLayer.softmax = first.softmax = none.softmax;
  own.softmax->table = table;
  perLayer.softmaxTables.assign(p.config.layers, table);
  first.softmaxTables = {table};
  EXPECT_EQ(perLayer.softmaxOf(1)->table, table);
  EXPECT_TRUE(first.softmaxOf(1)->table.empty());
  EXPECT_EQ(loss(perLayer), loss(own));
  EXPECT_NE(loss(perLayer), loss(none));
  EXPECT_NE(loss(first), loss(perLayer));
  EXPECT_NE(loss(first), loss(none));
}

// Tuned softmax levels (softmax-table=tune): the table enters the forward
// as softmaxTableOf(levels), and the last layer's levels' gradient matches
// finite differences (the loss is smooth in them: no code moves). An
// earlier layer's reaches the loss through the later layers' EXAQ codes,
// whose gradient is straight through (a finite difference sees their
// jumps), so its gradient is only checked to be there. The fixed entries,
// the top and code 0 with a zero floor, get none.
TEST(LlamaGradient, SoftmaxLevelsMatchFiniteDifferences) {
  LlamaParameters p = tinyModel();
  for (LlamaParameters::Layer &l : p.layers)
    for (float &w : l.wq)
      w *= 6; // scores far enough apart to fill every code
  const std::vector<int32_t> tokens = longWindow(40);
  std::vector<double> teacher = randomTeacher(tokens.size(), p.config.vocab);
  for (bool zeroFloor : {false, true}) {
    SCOPED_TRACE(zeroFloor ? "zero floor" : "clamp");
    Quantizers q;
    q.softmax = numerics::ExaqQuantizer{2, -3.0, zeroFloor};
    const std::vector<float> table = {zeroFloor ? 0.0f : 0.03f, 0.08f, 0.3f,
                                      1.0f};
    for (LlamaParameters::Layer &l : p.layers)
      l.softmaxLevels = softmaxLevelsOf(table);
    // An entry 0 stays 0 without a zero floor too (a clamp's code 0 whose
    // values all underflow).
    EXPECT_EQ(softmaxTableOf(softmaxLevelsOf({0.0f, 0.5f}), false),
              (std::vector<float>{0.0f, 1.0f}));
    // The levels stand for the table (up to f32 rounding).
    for (size_t i = 0; i < 4; ++i)
      EXPECT_FLOAT_EQ(softmaxTableOf(p.layers[0].softmaxLevels, zeroFloor)[i],
                      table[i]);
    // The same loss as the quantizer with that table in every layer.
    Quantizers withTable = q;
    withTable.softmax->table =
        softmaxTableOf(p.layers[0].softmaxLevels, zeroFloor);
    LlamaParameters plain = p;
    for (LlamaParameters::Layer &l : plain.layers)
      l.softmaxLevels.clear();
    auto loss = [&](LlamaParameters &params, const Quantizers &quantizers) {
      return distillationLoss(params, QuantizedView(params, quantizers), tokens,
                              teacher, nullptr);
    };
    EXPECT_EQ(loss(p, q), loss(plain, withTable));
    LlamaParameters g = p.zerosLike();
    distillationLoss(p, QuantizedView(p, q), tokens, teacher, &g);
    for (size_t l = 0; l < p.layers.size(); ++l) {
      std::vector<float> &levels = p.layers[l].softmaxLevels;
      const std::vector<float> &grad = g.layers[l].softmaxLevels;
      ASSERT_EQ(grad.size(), 4u);
      EXPECT_EQ(grad[3], 0.0f) << l;
      if (zeroFloor)
        EXPECT_EQ(grad[0], 0.0f) << l;
      for (size_t i = zeroFloor ? 1 : 0; i < 3; ++i) {
        const float saved = levels[i], h = 1e-3f;
        levels[i] = saved + h;
        double up = loss(p, q);
        levels[i] = saved - h;
        double down = loss(p, q);
        levels[i] = saved;
        double numeric = (up - down) / (2.0 * h);
        if (l + 1 == p.layers.size())
          EXPECT_NEAR(grad[i], numeric, 2e-3 * std::max(1.0, std::abs(numeric)))
              << "level " << i;
        EXPECT_GT(std::abs(grad[i]), 1e-5) << "layer " << l << " level " << i;
      }
    }
  }
}

// The loss is KL(teacher || model): zero against the model's own output.
TEST(LlamaGradient, LossIsZeroAgainstItself) {
  LlamaParameters p = tinyModel();
  Quantizers none;
  QuantizedView view(p, none);
  std::vector<double> own = logProbabilities(p, view, kTokens);
  LlamaParameters g = p.zerosLike();
  EXPECT_NEAR(distillationLoss(p, view, kTokens, own, &g), 0, 1e-12);
  for (const LlamaParameters::Tensor &t : g.tensors())
    for (float v : *t.values)
      ASSERT_NEAR(v, 0, 1e-6) << t.name;
}

/// MXFP4 weights for every matmul of `p`.
Quantizers mxfp4Weights(LlamaParameters &p) {
  Quantizers q;
  for (const LlamaParameters::Tensor &t : p.tensors())
    if (t.isMatmul)
      q.weights[t.name] = numerics::ElemFormat::E2M1;
  return q;
}

/// The tuning tests' options: `steps` steps of one window each, on one
/// thread, with a large step size.
TuneOptions testTuning(int64_t steps) {
  TuneOptions options;
  options.steps = steps;
  options.batch = 1;
  options.threads = 1;
  options.learningRate = 0.01;
  return options;
}

// Dampening (TuneOptions::damping) pulls each quantized latent weight toward
// its rounded value: after the same tuning steps, the latent weights end far
// closer to the values they round to than without it.
TEST(GlobalTuning, DampingPullsLatentWeightsToTheirRoundedValues) {
  LlamaParameters teacher = tinyModel(/*cols32=*/true);
  const Quantizers q = mxfp4Weights(teacher);
  const std::vector<std::vector<int32_t>> windows = {kTokens, longWindow(40)};
  // Mean |w - round(w)| over the quantized weights, relative to their RMS.
  auto distance = [&](double damping, TuneResult &result) {
    LlamaParameters params = teacher;
    TuneOptions options = testTuning(24);
    options.damping = damping;
    result = tune(params, teacher, q, windows, options);
    QuantizedView view(params, q);
    double sum = 0, squares = 0;
    int64_t count = 0;
    for (const LlamaParameters::Tensor &t : params.tensors()) {
      if (!t.isMatmul)
        continue;
      const std::vector<float> &rounded = view.weights(t.name, *t.values);
      for (size_t i = 0; i < rounded.size(); ++i) {
        sum += std::abs((*t.values)[i] - rounded[i]);
        squares += double((*t.values)[i]) * (*t.values)[i];
        ++count;
      }
    }
    return sum / count / std::sqrt(squares / count);
  };
  TuneResult plain, damped;
  const double without = distance(0, plain), with = distance(0.3, damped);
  // Both tunings kept a step after the start, and lowered the KL.
  EXPECT_GT(plain.bestStep, 12);
  EXPECT_GT(damped.bestStep, 12);
  EXPECT_LT(damped.finalKL, damped.startKL);
  EXPECT_GT(without, 0.05);
  EXPECT_LT(with, 0.2 * without) << without;
}

// Straight through the EXAQ softmax as a whole: its backward is the exact
// softmax's Jacobian at the same scores. Where the scores are far apart,
// the exact softmax is saturated and its Jacobian vanishes, so the query
// weights get (almost) no gradient, as in the float model; the 2-bit
// softmax's probabilities are not saturated (every key below the clip keeps
// exp(clip)), and a Jacobian at those would send gradient to scores that
// the forward clamps.
TEST(LlamaGradient, QuantizedSoftmaxBackwardIsTheExactOnes) {
  LlamaParameters p = tinyModel(/*cols32=*/true);
  for (LlamaParameters::Layer &l : p.layers)
    for (float &w : l.wq)
      w *= 30;
  const std::vector<int32_t> tokens = longWindow(40);
  std::vector<double> teacher = randomTeacher(tokens.size(), p.config.vocab);
  auto norm = [](const std::vector<float> &v) {
    double s = 0;
    for (float x : v)
      s += double(x) * x;
    return std::sqrt(s);
  };
  for (int bits : {2, 4}) {
    Quantizers exact, exaq;
    exaq.softmax = numerics::ExaqQuantizer{bits, -4};
    LlamaParameters g = p.zerosLike(), gq = p.zerosLike();
    distillationLoss(p, QuantizedView(p, exact), tokens, teacher, &g);
    distillationLoss(p, QuantizedView(p, exaq), tokens, teacher, &gq);
    // The query weights' gradient over all layers (with the Jacobian at the
    // quantized probabilities: about 70x the float model's).
    auto queries = [&](const LlamaParameters &grad) {
      std::vector<float> all;
      for (const LlamaParameters::Layer &l : grad.layers)
        all.insert(all.end(), l.wq.begin(), l.wq.end());
      return norm(all);
    };
    EXPECT_LT(queries(gq), 2 * queries(g)) << bits << " bits";
    EXPECT_GT(norm(gq.layers[0].wv), 0.1 * norm(g.layers[0].wv))
        << bits << " bits";
  }
}

// The softmax curriculum (TuneOptions::exactSoftmaxSteps): until the switch
// the steps are those of a tuning with the exact softmax, after it those of
// one with the EXAQ softmax; every evaluation takes the EXAQ softmax.
TEST(GlobalTuning, ExactSoftmaxStepsBeforeTheQuantizedOnes) {
  LlamaParameters teacher = tinyModel(/*cols32=*/true);
  Quantizers exaq = mxfp4Weights(teacher);
  const Quantizers exact = exaq;
  exaq.softmax = numerics::ExaqQuantizer{2, -4};
  // Two windows, one a step: an evaluation every second step.
  const std::vector<std::vector<int32_t>> windows = {kTokens, longWindow(40)};
  auto run = [&](const Quantizers &q, int64_t exactSteps) {
    LlamaParameters params = teacher;
    TuneOptions options = testTuning(8);
    options.exactSoftmaxSteps = exactSteps;
    std::vector<double> kls;
    for (auto [step, kl] :
         tune(params, teacher, q, windows, options).evaluations)
      kls.push_back(kl);
    return kls;
  };
  const std::vector<double> quantized = run(exaq, 0), switched = run(exaq, 4),
                            exactThroughout = run(exaq, 8),
                            exactEvaluated = run(exact, 0);
  ASSERT_EQ(quantized.size(), 5u); // steps 0, 2, 4, 6, 8
  ASSERT_EQ(switched.size(), 5u);
  // The start, evaluated with the EXAQ softmax, not the exact one.
  EXPECT_EQ(switched[0], quantized[0]);
  EXPECT_NE(exactThroughout[0], exactEvaluated[0]);
  // Steps 1-4 with the exact softmax, 5-8 with the EXAQ one.
  for (size_t i = 1; i <= 2; ++i) {
    EXPECT_EQ(switched[i], exactThroughout[i]) << i;
    EXPECT_NE(switched[i], quantized[i]) << i;
  }
  for (size_t i = 3; i <= 4; ++i)
    EXPECT_NE(switched[i], exactThroughout[i]) << i;
}

// The evaluations take an even subset of the windows
// (TuneOptions::evaluationWindows): windows i * n / m, the mean KL over
// their tokens; 0, or more than there are, takes all.
TEST(GlobalTuning, EvaluatesAnEvenSubsetOfTheWindows) {
  LlamaParameters teacher = tinyModel(/*cols32=*/true);
  const Quantizers q = mxfp4Weights(teacher);
  const std::vector<std::vector<int32_t>> windows = {
      kTokens, longWindow(40), longWindow(12), {2, 3, 5, 7}, longWindow(30)};
  // The mean KL of the RTN model over the tokens of `which`.
  auto meanKL = [&](std::vector<size_t> which) {
    Quantizers none;
    double sum = 0;
    size_t tokens = 0;
    for (size_t w : which) {
      std::vector<double> target =
          logProbabilities(teacher, QuantizedView(teacher, none), windows[w]);
      sum += distillationLoss(teacher, QuantizedView(teacher, q), windows[w],
                              target, nullptr) *
             windows[w].size();
      tokens += windows[w].size();
    }
    return sum / tokens;
  };
  auto start = [&](int64_t evaluationWindows) {
    LlamaParameters params = teacher;
    TuneOptions options = testTuning(0);
    options.evaluationWindows = evaluationWindows;
    return tune(params, teacher, q, windows, options);
  };
  TuneResult two = start(2), all = start(0), more = start(10);
  EXPECT_EQ(two.windowsEvaluated, 2);
  EXPECT_NEAR(two.startKL, meanKL({0, 2}), 1e-12);
  EXPECT_EQ(all.windowsEvaluated, 5);
  EXPECT_NEAR(all.startKL, meanKL({0, 1, 2, 3, 4}), 1e-12);
  EXPECT_EQ(more.windowsEvaluated, 5);
  EXPECT_EQ(more.startKL, all.startKL);
  EXPECT_NE(two.startKL, all.startKL);
}

} // namespace
