//===- Report.cpp - What quantization cost a model ------------------------===//

#include "mxc/Driver/Report.h"
#include "mxc/IR/MXCOps.h"
#include "mxc/Numerics/Exaq.h"
#include "mxc/Numerics/Formats.h"
#include "mxc/Transforms/Constants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mxc::driver;
using namespace mxc::frontend;

// KL = scale * NSR^exponent, fitted by least squares in log space to the
// RTN rows of benchmarks/quality.sh on the shared stories260K model (mean KL
// on all of the dev text) against the parameter-weighted RTN NSR that this
// report computes: MXINT8 (NSR 6.22e-5, KL 0.00106), MXFP8 E4M3 (8.65e-4,
// 0.01369), MXFP6 E2M3 (7.72e-4, 0.01201), MXFP6 E3M2 (2.96e-3, 0.04596),
// MXFP4 (1.34e-2, 0.26489). Leaving one format out predicts it within
// -26 % .. +13 %. An exponent near 1 is what a locally quadratic loss
// predicts (KL ~ weight noise power).
const double mxc::driver::kPredictionScale = 19.13;
const double mxc::driver::kPredictionExponent = 1.020;

std::vector<MatmulError> mxc::driver::collectLocalErrors(mlir::ModuleOp m) {
  std::vector<MatmulError> errors;
  m.walk([&](mlir::mxc::MatmulOp op) {
    auto info = op->getAttrOfType<mlir::DictionaryAttr>("mxc.local_error");
    if (!info)
      return;
    auto get = [&](llvm::StringRef key) -> std::optional<double> {
      if (auto f = info.getAs<mlir::FloatAttr>(key))
        return f.getValueAsDouble();
      return std::nullopt;
    };
    MatmulError e;
    e.name = mlir::mxc::getMatmulName(op).str();
    e.params =
        llvm::cast<mlir::ShapedType>(op.getWeight().getType()).getNumElements();
    e.sqnr = get("weight_sqnr").value_or(0);
    e.rtnSqnr = get("rtn_weight_sqnr").value_or(0);
    std::optional<double> power = get("output_power");
    if (power && *power > 0) {
      e.relError = *get("output_mse") / *power;
      e.rtnRelError = *get("rtn_output_mse") / *power;
    }
    errors.push_back(std::move(e));
  });
  return errors;
}

int64_t mxc::driver::constantBytes(mlir::ModuleOp m) {
  int64_t bytes = 0;
  m.walk([&](mlir::arith::ConstantOp op) {
    auto type = llvm::dyn_cast<mlir::ShapedType>(op.getType());
    if (!type || op->use_empty() || !type.getElementType().isIntOrFloat())
      return;
    bytes += type.getNumElements() *
             ((type.getElementType().getIntOrFloatBitWidth() + 7) / 8);
  });
  return bytes;
}

std::string mxc::driver::layerOf(llvm::StringRef matmul) {
  if (!matmul.starts_with("layers."))
    return matmul.str();
  size_t dot = matmul.find('.', 7);
  return matmul
      .substr(0, dot == llvm::StringRef::npos ? matmul.size() : dot + 1)
      .str();
}

void mxc::driver::rankAndFlag(std::vector<LayerEffect> &layers,
                              const std::vector<MatmulError> &matmuls) {
  for (LayerEffect &l : layers) {
    l.localError = l.rtnLocalError = 0;
    for (const MatmulError &m : matmuls)
      if (layerOf(m.name) == l.name) {
        l.localError += m.relError.value_or(0);
        l.rtnLocalError += m.rtnRelError.value_or(0);
      }
  }
  auto rank = [&](auto value, int LayerEffect::*out) {
    std::vector<size_t> order;
    for (size_t i = 0; i < layers.size(); ++i)
      if (value(layers[i]))
        order.push_back(i);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      double va = *value(layers[a]), vb = *value(layers[b]);
      return va != vb ? va > vb : a < b;
    });
    for (auto [r, i] : llvm::enumerate(order))
      layers[i].*out = static_cast<int>(r) + 1;
  };
  rank([](const LayerEffect &l) { return std::optional<double>(l.localError); },
       &LayerEffect::localRank);
  rank([](const LayerEffect &l) { return l.kl; }, &LayerEffect::globalRank);
  // Each layer's share of the total local error and of the total KL.
  double localSum = 0, klSum = 0;
  for (const LayerEffect &l : layers) {
    localSum += l.localError;
    klSum += l.kl.value_or(0);
  }
  for (LayerEffect &l : layers) {
    l.flags.clear();
    if (l.kl && localSum > 0 && klSum > 0) {
      double ratio = (*l.kl / klSum) / std::max(l.localError / localSum, 1e-12);
      l.globalToLocal = ratio;
      if (ratio >= 2 || ratio <= 0.5)
        l.flags.push_back(
            llvm::formatv("global-share-{0:F1}x-local-share", ratio).str());
    }
    if (l.kl && l.rtnKL && l.localError < l.rtnLocalError && *l.kl >= *l.rtnKL)
      l.flags.push_back("local-gain-no-global-gain");
  }
}

Recipe mxc::driver::suggestRecipe(const Recipe &recipe,
                                  const std::vector<LayerEffect> &layers) {
  Recipe suggested = recipe;
  const bool eightBit =
      recipe.weights && mxc::numerics::getFormatInfo(*recipe.weights).bits == 8;
  for (const LayerEffect &l : layers)
    if (l.globalToLocal >= 2)
      suggested.keep.push_back(
          {l.name, eightBit ? std::nullopt
                            : std::optional(mxc::numerics::ElemFormat::E4M3)});
  return suggested;
}

Prediction mxc::driver::predictQuality(const std::vector<MatmulError> &matmuls,
                                       double bits) {
  Prediction p;
  double weighted = 0;
  for (const MatmulError &m : matmuls) {
    p.quantizedParams += m.params;
    weighted += m.params * std::pow(10.0, -m.rtnSqnr / 10.0);
  }
  if (p.quantizedParams == 0)
    return p;
  p.bitsPerWeight = bits + 8.0 / 32.0;
  p.noiseToSignal = weighted / p.quantizedParams;
  p.kl = kPredictionScale * std::pow(p.noiseToSignal, kPredictionExponent);
  p.perplexityIncrease = std::expm1(p.kl);
  return p;
}

namespace {
std::string optional(std::optional<double> v, const char *format) {
  return v ? llvm::formatv(format, *v).str() : std::string("-");
}
} // namespace

void QualityReport::printText(llvm::raw_ostream &os) const {
  os << "# mxc quality report\n\nmodel: " << model << "\nrecipe: " << recipe
     << "\n"
     << llvm::format("parameters: %lld; constants %.1f KiB in float32, "
                     "%.1f KiB compiled (%.2fx smaller)\n",
                     static_cast<long long>(params), floatBytes / 1024.0,
                     compiledBytes / 1024.0,
                     compiledBytes ? double(floatBytes) / compiledBytes : 0.0);
  if (!matmuls.empty()) {
    os << "\n## Local error per matmul (calibration rows)\n\n"
          "relative output error = output MSE / mean square output\n\n"
          "| matmul | params | weight SQNR dB | RTN SQNR dB | rel. output "
          "error | RTN rel. output error |\n"
          "|--------|--------|----------------|-------------|-----------------"
          "--|-----------------------|\n";
    for (const MatmulError &m : matmuls)
      os << llvm::formatv("| {0} | {1} | {2:F2} | {3:F2} | {4} | {5} |\n",
                          m.name, m.params, m.sqnr, m.rtnSqnr,
                          optional(m.relError, "{0:E3}"),
                          optional(m.rtnRelError, "{0:E3}"));
  }
  if (tuning) {
    os << llvm::formatv(
        "\n## Global tuning ({0} steps of the {1}, {2:F1} s)\n\n"
        "KL from the float model on {6}: {3:F5} -> "
        "{4:F5} nats/token (step {5} kept)\n\n"
        "local error against the float weights (relative output error on "
        "the calibration rows; weight SQNR):\n\n"
        "| matmul | rel. error before | after | SQNR dB before | after |\n"
        "|--------|-------------------|-------|----------------|-------|\n",
        tuning->steps, tuning->what, tuning->seconds, tuning->startKL,
        tuning->finalKL, tuning->keptStep, tuning->windowsText());
    for (const TuningSummary::Matmul &m : tuning->matmuls)
      os << llvm::formatv("| {0} | {1:E3} | {2:E3} | {3:F2} | {4:F2} |\n",
                          m.name, m.relBefore, m.relAfter, m.sqnrBefore,
                          m.sqnrAfter);
    if (!tuning->softmaxTablesTuned.empty()) {
      os << "\nEXAQ tables (softmax-table=tune), fitted -> tuned:\n\n"
            "| layer | fitted | tuned |\n|-------|--------|-------|\n";
      auto text = [](const std::vector<float> &table) {
        std::string s;
        for (float v : table)
          s += (s.empty() ? "" : ", ") + llvm::formatv("{0:F4}", v).str();
        return s;
      };
      for (size_t l = 0; l < tuning->softmaxTablesTuned.size(); ++l)
        os << "| " << l << " | " << text(tuning->softmaxTablesStart[l]) << " | "
           << text(tuning->softmaxTablesTuned[l]) << " |\n";
    }
  }
  if (floatEval && eval) {
    os << "\n## Global effect (" << evalText << ", " << eval->tokens
       << " tokens)\n\n"
       << llvm::format("perplexity: float %.4f, compiled %.4f (%+.2f%%)\n"
                       "mean KL from the float model: %.5f nats/token\n"
                       "mean NLL difference from the float model: %+.5f +/- "
                       "%.5f nats/token (standard error paired by window)\n",
                       floatEval->perplexity, eval->perplexity,
                       100.0 * (eval->perplexity / floatEval->perplexity - 1),
                       eval->meanKL, eval->meanNLL - eval->referenceMeanNLL,
                       eval->differenceStdErr);
  }
  if (!layers.empty()) {
    os << "\n## Local vs global, per layer\n\n"
          "local = sum of the layer's relative output errors; KL = the model "
          "with only this layer's weights quantized; flagged where the "
          "layer's share of the total KL and its share of the total local "
          "error differ by 2x or more, or where the method beat RTN locally "
          "but not in KL\n\n"
          "| layer | local | RTN local | KL | RTN KL | local rank | KL rank "
          "| flags |\n"
          "|-------|-------|-----------|----|--------|------------|---------"
          "|-------|\n";
    for (const LayerEffect &l : layers)
      os << llvm::formatv("| {0} | {1:E3} | {2:E3} | {3} | {4} | {5} | {6} | "
                          "{7} |\n",
                          l.name, l.localError, l.rtnLocalError,
                          optional(l.kl, "{0:F5}"), optional(l.rtnKL, "{0:F5}"),
                          l.localRank, l.globalRank ? l.globalRank : 0,
                          llvm::join(l.flags, ", "));
    if (!suggestedRecipe.empty())
      os << "\nsuggested recipe: " << suggestedRecipe
         << (suggestedRecipe == recipe
                 ? " (unchanged: no layer's KL share is 2x its local-error "
                   "share)\n"
                 : " (layers whose KL share is 2x or more their "
                   "local-error share kept in more bits)\n");
  }
  if (predicted.quantizedParams) {
    os << "\n## Predicted quality (RTN weights, from cheap features)\n\n"
       << llvm::format(
              "%lld quantized weights at %.2f bits; parameter-weighted RTN "
              "noise-to-signal %.3e\npredicted KL %.5f nats/token, "
              "perplexity %+.2f%% (KL = %.4g * NSR^%.4g, fitted on the "
              "stories260K model's RTN results; activation and softmax "
              "quantization not included)\n",
              static_cast<long long>(predicted.quantizedParams),
              predicted.bitsPerWeight, predicted.noiseToSignal, predicted.kl,
              100.0 * predicted.perplexityIncrease, kPredictionScale,
              kPredictionExponent);
  }
}

void QualityReport::printJSON(llvm::raw_ostream &os) const {
  llvm::json::OStream j(os, 2);
  auto maybe = [&](llvm::StringRef key, std::optional<double> v) {
    if (v)
      j.attribute(key, *v);
    else
      j.attribute(key, nullptr);
  };
  auto evaluation = [&](const Evaluation &e) {
    j.object([&] {
      j.attribute("perplexity", e.perplexity);
      j.attribute("mean_nll", e.meanNLL);
      j.attribute("mean_kl", e.meanKL);
      j.attribute("tokens", e.tokens);
      j.attribute("windows", e.windows);
    });
  };
  j.object([&] {
    j.attribute("model", model);
    j.attribute("recipe", recipe);
    j.attribute("parameters", params);
    j.attribute("float_bytes", floatBytes);
    j.attribute("compiled_bytes", compiledBytes);
    j.attributeArray("matmuls", [&] {
      for (const MatmulError &m : matmuls)
        j.object([&] {
          j.attribute("name", m.name);
          j.attribute("parameters", m.params);
          j.attribute("weight_sqnr_db", m.sqnr);
          j.attribute("rtn_weight_sqnr_db", m.rtnSqnr);
          maybe("relative_output_error", m.relError);
          maybe("rtn_relative_output_error", m.rtnRelError);
        });
    });
    if (floatEval && eval)
      j.attributeObject("global", [&] {
        j.attribute("text", evalText);
        j.attributeBegin("float");
        evaluation(*floatEval);
        j.attributeEnd();
        j.attributeBegin("compiled");
        evaluation(*eval);
        j.attributeEnd();
        j.attribute("nll_difference", eval->meanNLL - eval->referenceMeanNLL);
        j.attribute("nll_difference_stderr", eval->differenceStdErr);
      });
    j.attributeArray("layers", [&] {
      for (const LayerEffect &l : layers)
        j.object([&] {
          j.attribute("name", l.name);
          j.attribute("local_error", l.localError);
          j.attribute("rtn_local_error", l.rtnLocalError);
          maybe("kl", l.kl);
          maybe("rtn_kl", l.rtnKL);
          j.attribute("global_to_local", l.globalToLocal);
          j.attribute("local_rank", l.localRank);
          j.attribute("global_rank", l.globalRank);
          j.attributeArray("flags", [&] {
            for (const std::string &f : l.flags)
              j.value(f);
          });
        });
    });
    if (!suggestedRecipe.empty())
      j.attribute("suggested_recipe", suggestedRecipe);
    if (tuning)
      j.attributeObject("tuning", [&] {
        j.attribute("steps", tuning->steps);
        j.attribute("what", tuning->what);
        j.attribute("seconds", tuning->seconds);
        j.attribute("start_kl", tuning->startKL);
        j.attribute("final_kl", tuning->finalKL);
        j.attribute("kept_step", tuning->keptStep);
        j.attribute("windows", tuning->windows);
        j.attribute("windows_evaluated", tuning->windowsEvaluated);
        j.attributeArray("evaluations", [&] {
          for (const std::pair<int64_t, double> &e : tuning->evaluations)
            j.object([&] {
              j.attribute("step", e.first);
              j.attribute("kl", e.second);
            });
        });
        j.attributeArray("matmuls", [&] {
          for (const TuningSummary::Matmul &m : tuning->matmuls)
            j.object([&] {
              j.attribute("name", m.name);
              j.attribute("relative_output_error_before", m.relBefore);
              j.attribute("relative_output_error_after", m.relAfter);
              j.attribute("weight_sqnr_db_before", m.sqnrBefore);
              j.attribute("weight_sqnr_db_after", m.sqnrAfter);
            });
        });
        if (!tuning->softmaxTablesTuned.empty())
          j.attributeArray("softmax_tables", [&] {
            for (size_t l = 0; l < tuning->softmaxTablesTuned.size(); ++l)
              j.object([&] {
                j.attribute("layer", static_cast<int64_t>(l));
                auto array = [&](const char *name,
                                 const std::vector<float> &table) {
                  j.attributeArray(name, [&] {
                    for (float v : table)
                      j.value(static_cast<double>(v));
                  });
                };
                array("fitted", tuning->softmaxTablesStart[l]);
                array("tuned", tuning->softmaxTablesTuned[l]);
              });
          });
      });
    j.attributeObject("predicted", [&] {
      j.attribute("quantized_parameters", predicted.quantizedParams);
      j.attribute("bits_per_weight", predicted.bitsPerWeight);
      j.attribute("rtn_noise_to_signal", predicted.noiseToSignal);
      j.attribute("kl", predicted.kl);
      j.attribute("perplexity_increase", predicted.perplexityIncrease);
      j.attribute("law", llvm::formatv("kl = {0} * nsr^{1}", kPredictionScale,
                                       kPredictionExponent)
                             .str());
    });
  });
  os << "\n";
}

SoftmaxClipStudy mxc::driver::studySoftmaxClips(
    CompiledModel &calibration, const LlamaConfig &c,
    const LlamaStatistics &stats,
    const std::vector<std::vector<int32_t>> &windows) {
  namespace num = mxc::numerics;
  CalibrationLayout layout = calibrationLayout(c);
  using Rule = SoftmaxClipStudy::Rule;
  std::vector<Rule> rules;
  for (int bits : {2, 3, 4}) {
    Rule analytic{"optimal (Gaussian)", bits, {}},
        sampled{"optimal (samples)", bits, {}},
        minimum{"observed min", bits, {}}, fixed{"fixed -8", bits, {}},
        zeroPooled{"zero floor, optimal (pooled)", bits, {}, true};
    for (const LlamaStatistics::Softmax &s : stats.softmax) {
      analytic.clip.push_back(
          num::optimalClipGaussian(bits, s.mean, s.std).clip);
      sampled.clip.push_back(
          num::optimalClipSamples(bits, s.samples.data(), s.samples.size())
              .clip);
      minimum.clip.push_back(std::min(s.min, -1e-3));
      fixed.clip.push_back(-8.0);
      zeroPooled.clip.push_back(
          num::optimalClipPooledRow(bits, s.samples.data(), s.samples.size(),
                                    /*zeroFloor=*/true)
              .clip);
    }
    // The same clips with each layer's table fitted to its samples.
    Rule fixedFitted{"fixed -8, fitted table", bits, fixed.clip},
        zeroPooledFitted{"zero floor, optimal (pooled), fitted table", bits,
                         zeroPooled.clip, true};
    for (Rule *r : {&fixedFitted, &zeroPooledFitted})
      for (auto [l, s] : llvm::enumerate(stats.softmax))
        r->table.push_back(num::fitExaqTable(
            num::ExaqQuantizer{bits, r->clip[l], r->zeroFloor},
            s.samples.data(), s.samples.size()));
    for (Rule *r : {&analytic, &sampled, &minimum, &fixed, &fixedFitted,
                    &zeroPooled, &zeroPooledFitted})
      rules.push_back(*r);
  }
  int64_t rows = 0;
  std::vector<float> x, y;
  std::vector<double> ref;
  for (const std::vector<int32_t> &tokens : windows) {
    std::vector<float> record = calibration.forward(tokens);
    const int64_t n = tokens.size();
    for (auto [l, layer] : llvm::enumerate(layout.layers))
      for (int64_t h = 0; h < c.heads; ++h)
        for (int64_t i = 0; i < n; ++i) {
          x.assign(i + 1, 0.0f);
          for (int64_t j = 0; j <= i; ++j)
            x[j] = static_cast<float>(
                recordedScore(record, layout, layer, c, h, i, j));
          ref.resize(i + 1);
          y.resize(i + 1);
          num::softmaxRowF64(x.data(), i + 1, ref.data());
          for (Rule &r : rules) {
            num::exaqSoftmaxRow(
                num::ExaqQuantizer{r.bits, r.clip[l], r.zeroFloor,
                                   r.table.empty() ? std::vector<float>()
                                                   : r.table[l]},
                x.data(), i + 1, y.data());
            for (int64_t j = 0; j <= i; ++j) {
              r.meanL1 += std::fabs(y[j] - ref[j]);
              if (ref[j] > 0)
                r.meanKL += ref[j] * std::log(ref[j] / y[j]);
            }
          }
          ++rows;
        }
  }
  for (Rule &r : rules) {
    r.meanL1 /= std::max<int64_t>(rows, 1);
    r.meanKL /= std::max<int64_t>(rows, 1);
  }
  return {std::move(rules), rows};
}

std::string TuningSummary::svg() const {
  // Two panels side by side: the KL per step (linear), the local error per
  // matmul before and after (log10).
  const double w = 420, h = 300, left = 60, top = 30, pw = 320, ph = 210;
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" "
                      "width=\"{0}\" height=\"{1}\" font-family=\"sans-serif\" "
                      "font-size=\"11\">\n",
                      2 * w, h);
  auto frame = [&](double x0, llvm::StringRef title, llvm::StringRef xLabel,
                   llvm::StringRef yLabel) {
    os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" "
                        "height=\"{3}\" fill=\"none\" stroke=\"black\"/>\n",
                        x0 + left, top, pw, ph);
    os << llvm::formatv("<text x=\"{0}\" y=\"18\" text-anchor=\"middle\" "
                        "font-size=\"13\">{1}</text>\n",
                        x0 + left + pw / 2, title);
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">"
                        "{2}</text>\n",
                        x0 + left + pw / 2, top + ph + 32, xLabel);
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\" "
                        "transform=\"rotate(-90 {0} {1})\">{2}</text>\n",
                        x0 + 14, top + ph / 2, yLabel);
  };
  auto tick = [&](double x, double y, llvm::StringRef text, bool vertical) {
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"{2}\">{3}"
                        "</text>\n",
                        x, y, vertical ? "end" : "middle", text);
  };
  // Panel 1: KL over steps.
  frame(0, "KL from the float model (calibration)", "step", "nats/token");
  double maxKL = 0;
  int64_t maxStep = 1;
  for (auto [step, kl] : evaluations) {
    maxKL = std::max(maxKL, kl);
    maxStep = std::max(maxStep, step);
  }
  maxKL = maxKL > 0 ? maxKL * 1.1 : 1;
  auto px = [&](int64_t step) { return left + pw * step / double(maxStep); };
  auto py = [&](double kl) { return top + ph * (1 - kl / maxKL); };
  os << "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" "
        "points=\"";
  for (auto [step, kl] : evaluations)
    os << llvm::formatv("{0:F1},{1:F1} ", px(step), py(kl));
  os << "\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    tick(left - 4, py(maxKL * i / 4) + 4,
         llvm::formatv("{0:F3}", maxKL * i / 4).str(), true);
    tick(px(maxStep * i / 4), top + ph + 14, std::to_string(maxStep * i / 4),
         false);
  }
  // Panel 2: local error per matmul, before (grey) and after (orange).
  const double x0 = w;
  frame(x0, "local error per matmul", "matmul (in order)",
        "log10 rel. output error");
  double lo = 0, hi = -10;
  for (const Matmul &m : matmuls)
    for (double v : {m.relBefore, m.relAfter})
      if (v > 0) {
        lo = std::min(lo, std::floor(std::log10(v)));
        hi = std::max(hi, std::ceil(std::log10(v)));
      }
  if (hi <= lo)
    hi = lo + 1;
  auto ly = [&](double v) {
    double l = v > 0 ? std::log10(v) : lo;
    return top + ph * (1 - (l - lo) / (hi - lo));
  };
  const double slot = matmuls.empty() ? pw : pw / matmuls.size();
  for (auto [i, m] : llvm::enumerate(matmuls)) {
    double x = x0 + left + slot * i;
    for (int k = 0; k < 2; ++k) {
      double v = k ? m.relAfter : m.relBefore;
      double y = ly(v);
      os << llvm::formatv("<rect x=\"{0:F1}\" y=\"{1:F1}\" width=\"{2:F1}\" "
                          "height=\"{3:F1}\" fill=\"{4}\"><title>{5} {6}: "
                          "{7:E2}</title></rect>\n",
                          x + slot * (0.1 + 0.4 * k), y, slot * 0.4,
                          top + ph - y, k ? "#ff7f0e" : "#999999", m.name,
                          k ? "after" : "before", v);
    }
  }
  for (double l = lo; l <= hi; ++l)
    tick(x0 + left - 4, ly(std::pow(10, l)) + 4, llvm::formatv("{0}", l).str(),
         true);
  os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"10\" height=\"10\" "
                      "fill=\"#999999\"/><text x=\"{2}\" y=\"{3}\">before"
                      "</text>\n",
                      x0 + left + 8, top + 6, x0 + left + 22, top + 15);
  os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"10\" height=\"10\" "
                      "fill=\"#ff7f0e\"/><text x=\"{2}\" y=\"{3}\">after"
                      "</text>\n",
                      x0 + left + 70, top + 6, x0 + left + 84, top + 15);
  os << "</svg>\n";
  return out;
}

std::string TuningSummary::windowsText() const {
  if (windowsEvaluated >= windows)
    return "the calibration windows";
  return llvm::formatv("{0} of the {1} calibration windows", windowsEvaluated,
                       windows)
      .str();
}

std::string TuningSummary::summary() const {
  return llvm::formatv("tuned the {0}: KL from the float model {1:F5} -> "
                       "{2:F5} on {6} (step {3} of {4} kept) in {5:F1} s",
                       what, startKL, finalKL, keptStep, steps, seconds,
                       windowsText())
      .str();
}
