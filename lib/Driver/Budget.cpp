//===- Budget.cpp - Per-layer formats under a size budget -----------------===//

#include "mxc/Driver/Budget.h"
#include "mxc/Driver/Session.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mxc::driver;
namespace num = mxc::numerics;

double mxc::driver::bitsPerWeight(std::optional<num::ElemFormat> format) {
  return format ? num::getFormatInfo(*format).bits + 8.0 / 32 : 32.0;
}

namespace {

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The recipe of `base` with each unit in its chosen format.
Recipe recipeOf(const Recipe &base, const BudgetSearch &s) {
  Recipe r = base;
  r.keep.clear();
  for (const BudgetSearch::Unit &u : s.units)
    if (u.chosen != 0)
      r.keep.push_back({u.name, u.kl[u.chosen].first});
  return r;
}

double bitsOf(const BudgetSearch &s) {
  double bits = 0;
  int64_t params = 0;
  for (const BudgetSearch::Unit &u : s.units) {
    bits += u.params * bitsPerWeight(u.kl[u.chosen].first);
    params += u.params;
  }
  return bits / params;
}

double klOf(const BudgetSearch &s) {
  double kl = 0;
  for (const BudgetSearch::Unit &u : s.units)
    kl += u.kl[u.chosen].second;
  return kl;
}

} // namespace

llvm::Expected<BudgetSearch> mxc::driver::searchBudget(CompileSession &session,
                                                       const Recipe &base,
                                                       double budget,
                                                       bool measure) {
  if (!base.weights)
    return error("--budget chooses among MX weight formats: give a recipe "
                 "with quantized weights (the cheapest format)");
  const std::vector<std::vector<int32_t>> &windows = session.calibrationText();
  if (windows.empty())
    return error("--budget measures each layer's KL on the calibration "
                 "text: add --calibrate FILE");
  const frontend::LlamaConfig &c = session.config();
  // The candidates: the recipe's format and those of more bits.
  std::vector<std::optional<num::ElemFormat>> formats = {*base.weights};
  for (num::ElemFormat f : {num::ElemFormat::E2M3, num::ElemFormat::E4M3})
    if (bitsPerWeight(f) > bitsPerWeight(formats.back()))
      formats.push_back(f);
  formats.push_back(std::nullopt);

  BudgetSearch s;
  s.budget = budget;
  const int64_t layerParams =
      2 * c.dim * c.dim + 2 * c.kvDim() * c.dim + 3 * c.dim * c.hiddenDim;
  for (int64_t l = 0; l < c.layers; ++l)
    s.units.push_back({"layers." + std::to_string(l) + ".", layerParams, {}});
  s.units.push_back({"classifier", c.vocab * c.dim, {}});
  llvm::Expected<CompiledModel *> reference = session.floatModel();
  if (!reference)
    return reference.takeError();
  std::vector<std::vector<float>> referenceLogits;
  auto measureKL =
      [&](const Recipe &recipe,
          std::vector<std::string> only) -> llvm::Expected<double> {
    CompileOptions options;
    options.recipe = recipe;
    options.only = std::move(only);
    llvm::Expected<std::unique_ptr<CompiledModel>> m = session.load(options);
    if (!m)
      return m.takeError();
    return evaluate(**m, *reference, windows, {}, &referenceLogits).meanKL;
  };
  for (BudgetSearch::Unit &u : s.units)
    for (std::optional<num::ElemFormat> f : formats) {
      if (!f) {
        u.kl.push_back({f, 0.0});
        continue;
      }
      Recipe alone = base;
      alone.weights = f;
      alone.activations.reset();
      alone.softmaxBits = 0;
      alone.tuneSteps = 0;
      alone.keep.clear();
      session.note("--budget: " + u.name + " alone in " +
                   std::string(num::getFormatInfo(*f).name));
      llvm::Expected<double> kl = measureKL(alone, {u.name});
      if (!kl)
        return kl.takeError();
      u.kl.push_back({f, *kl});
    }
  if (bitsOf(s) > budget + 1e-9)
    return error(llvm::formatv("--budget {0}: the cheapest format, {1}, "
                               "takes {2:F2} bits per weight already",
                               llvm::format("%g", budget),
                               formatName(base.weights), bitsOf(s))
                     .str());
  // Greedy: the upgrade that saves the most KL per bit and fits.
  auto addPoint = [&]() -> llvm::Error {
    BudgetSearch::Point p;
    p.bits = bitsOf(s);
    p.predictedKL = klOf(s);
    Recipe r = recipeOf(base, s);
    p.recipe = r.str();
    if (measure) {
      session.note(
          llvm::formatv("--budget: measuring {0:F2} bits per weight", p.bits));
      llvm::Expected<double> kl = measureKL(r, {});
      if (!kl)
        return kl.takeError();
      p.measuredKL = *kl;
    }
    s.path.push_back(std::move(p));
    return llvm::Error::success();
  };
  if (llvm::Error e = addPoint())
    return std::move(e);
  int64_t total = 0;
  for (const BudgetSearch::Unit &u : s.units)
    total += u.params;
  while (true) {
    double bestRatio = 0;
    std::optional<std::pair<size_t, size_t>> best;
    const double bits = bitsOf(s);
    for (auto [i, u] : llvm::enumerate(s.units))
      for (size_t f = u.chosen + 1; f < u.kl.size(); ++f) {
        double extra = u.params *
                       (bitsPerWeight(u.kl[f].first) -
                        bitsPerWeight(u.kl[u.chosen].first)) /
                       total;
        double saved = u.kl[u.chosen].second - u.kl[f].second;
        if (bits + extra > budget + 1e-9 || saved <= 0)
          continue;
        if (saved / extra > bestRatio) {
          bestRatio = saved / extra;
          best = {i, f};
        }
      }
    if (!best)
      break;
    s.units[best->first].chosen = best->second;
    if (llvm::Error e = addPoint())
      return std::move(e);
  }
  s.chosen = recipeOf(base, s);
  return s;
}

void BudgetSearch::print(llvm::raw_ostream &os) const {
  os << llvm::formatv("## Formats under a budget of {0} bits per weight\n\n"
                      "KL from the float model of each layer alone "
                      "(calibration windows):\n\n| layer | params |",
                      budget);
  for (const auto &f : units.front().kl)
    os << " " << formatName(f.first) << " |";
  os << " chosen |\n|---|---|";
  for (size_t i = 0; i <= units.front().kl.size(); ++i)
    os << "---|";
  os << "\n";
  for (const Unit &u : units) {
    os << "| " << u.name << " | " << u.params << " |";
    for (const auto &f : u.kl)
      os << llvm::formatv(" {0:F5} |", f.second);
    os << " " << formatName(u.kl[u.chosen].first) << " |\n";
  }
  os << "\nThe greedy path (most KL saved per bit first):\n\n"
        "| bits/weight | sum of KLs alone | KL measured | recipe |\n"
        "|---|---|---|---|\n";
  for (const Point &p : path)
    os << llvm::formatv(
        "| {0:F3} | {1:F5} | {2} | {3} |\n", p.bits, p.predictedKL,
        p.measuredKL ? llvm::formatv("{0:F5}", *p.measuredKL).str()
                     : std::string("-"),
        p.recipe);
  os << "\nchosen recipe: " << chosen.str() << "\n";
}

std::string BudgetSearch::svg() const {
  const double w = 480, h = 320, left = 70, top = 30, pw = 380, ph = 240;
  double maxKL = 0, minBits = 1e9, maxBits = 0;
  for (const Point &p : path) {
    maxKL = std::max({maxKL, p.predictedKL, p.measuredKL.value_or(0)});
    minBits = std::min(minBits, p.bits);
    maxBits = std::max(maxBits, p.bits);
  }
  maxKL = maxKL > 0 ? maxKL * 1.1 : 1;
  if (maxBits <= minBits)
    maxBits = minBits + 1;
  auto px = [&](double b) {
    return left + pw * (b - minBits) / (maxBits - minBits);
  };
  auto py = [&](double kl) { return top + ph * (1 - kl / maxKL); };
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" "
                      "height=\"{1}\" font-family=\"sans-serif\" "
                      "font-size=\"11\">\n",
                      w, h + 20);
  os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" "
                      "fill=\"none\" stroke=\"black\"/>\n",
                      left, top, pw, ph);
  os << llvm::formatv("<text x=\"{0}\" y=\"18\" text-anchor=\"middle\" "
                      "font-size=\"13\">KL from the float model vs bits per "
                      "weight</text>\n",
                      left + pw / 2);
  os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">bits "
                      "per weight (budget {2})</text>\n",
                      left + pw / 2, top + ph + 34, budget);
  for (int i = 0; i <= 4; ++i) {
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\">"
                        "{2:F3}</text>\n",
                        left - 4, py(maxKL * i / 4) + 4, maxKL * i / 4);
    double b = minBits + (maxBits - minBits) * i / 4;
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">"
                        "{2:F2}</text>\n",
                        px(b), top + ph + 16, b);
  }
  auto line = [&](bool measured, const char *color) {
    os << "<polyline fill=\"none\" stroke=\"" << color
       << "\" stroke-width=\"2\" points=\"";
    for (const Point &p : path)
      if (!measured || p.measuredKL)
        os << llvm::formatv("{0:F1},{1:F1} ", px(p.bits),
                            py(measured ? *p.measuredKL : p.predictedKL));
    os << "\"/>\n";
  };
  line(false, "#999999");
  if (!path.empty() && path.front().measuredKL)
    line(true, "#1f77b4");
  os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" fill=\"#999999\">sum of "
                      "the layers' KLs alone</text>\n",
                      left + pw - 200, top + 16);
  os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" fill=\"#1f77b4\">measured"
                      "</text>\n",
                      left + pw - 200, top + 30);
  os << "</svg>\n";
  return out;
}
