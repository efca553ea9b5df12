//===- Budget.h - Per-layer formats under a size budget ---------*- C++ -*-===//
//
// --budget=BITS: each transformer layer's matmuls (and the classifier) get
// a format among the MX formats and float so that the model's matmul
// weights take at most BITS bits per weight (element bits plus the E8M0
// scale per block of 32) and the global loss is least. The loss of each
// layer in each format is measured alone (KL from the float model on the
// calibration windows); the choice is greedy on the KL saved per bit spent,
// which assumes the layers' KLs add up. Every state of the greedy path is a
// point of the size/quality front; with `measure`, each is compiled and its
// KL measured as a whole.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_DRIVER_BUDGET_H
#define MXC_DRIVER_BUDGET_H

#include "mxc/Driver/Recipe.h"

#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace mxc::driver {

class CompileSession;

struct BudgetSearch {
  double budget = 0;
  /// A layer ("layers.3.", "classifier") and its KL alone per format.
  struct Unit {
    std::string name;
    int64_t params = 0;
    /// Per candidate format (none: float), the KL of quantizing only this
    /// unit; float's is 0.
    std::vector<std::pair<std::optional<numerics::ElemFormat>, double>> kl;
    size_t chosen = 0; ///< index into kl
  };
  std::vector<Unit> units;
  /// The greedy path: bits per weight, the sum of the units' KLs, the KL of
  /// the whole model when measured, and its recipe.
  struct Point {
    double bits = 0, predictedKL = 0;
    std::optional<double> measuredKL;
    std::string recipe;
  };
  std::vector<Point> path;
  /// The last point within the budget.
  Recipe chosen;

  void print(llvm::raw_ostream &os) const;
  /// The size/KL front of the path.
  std::string svg() const;
};

/// Bits per weight of `format` (none: 32) with its scale per block of 32.
double bitsPerWeight(std::optional<numerics::ElemFormat> format);

/// The search on `session`'s calibration windows, from `base` (its weight
/// format the cheapest candidate; activations, softmax and tuning left to
/// the result's recipe).
llvm::Expected<BudgetSearch> searchBudget(CompileSession &session,
                                          const Recipe &base, double budget,
                                          bool measure);

} // namespace mxc::driver

#endif // MXC_DRIVER_BUDGET_H
