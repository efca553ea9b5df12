//===- Common.h - What every mxc-testgen mode shares ------------*- C++ -*-===//
//
// The program builder (a module with @main, built with MLIR's C++ builders
// and printed), the reading of what a program printed, and the tolerance
// bookkeeping of the modes that check against float64 references.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_TEST_LIB_MXC_TESTGEN_COMMON_H
#define MXC_TEST_LIB_MXC_TESTGEN_COMMON_H

#include "mxc/Numerics/Formats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace mxc::testgen {

/// One line on stderr, exit status 2 (a usage or input error, not a test
/// failure).
[[noreturn]] void fail(const llvm::Twine &message);

/// The format named `name` (OCP name or MLIR type name), or fail().
numerics::ElemFormat formatOrDie(const std::string &name);

/// The f32 bits the generated programs print for `v`: NaN payloads are
/// canonicalized on both sides, since MX defines NaN but not its bits.
int32_t printedBits(float v);
/// The float whose bits a program printed.
float floatOfBits(int64_t printed);

/// The integers printed after the line `header` in `file`; fails unless
/// there are exactly `expected` of them (`what` names them in the message).
std::vector<int64_t> readPrinted(const std::string &file,
                                 llvm::StringRef header, int64_t expected,
                                 const llvm::Twine &what = "results");

/// Prints "// CHECK-LABEL: header" and one exact CHECK-NEXT line per value.
void printChecks(llvm::raw_ostream &os, llvm::StringRef header,
                 llvm::ArrayRef<int64_t> values);

/// Compares computed values with their references within error bounds:
/// counts the checks and failures, prints the first 10 failures, and keeps
/// the worst |error| / bound.
struct Tolerance {
  int64_t checked = 0, failures = 0;
  double worst = 0;

  void check(float got, double ref, double bound, const llvm::Twine &where);
  /// A check that failed for another reason (`message` follows the value).
  void fail(float got, const llvm::Twine &where, const llvm::Twine &message);
  /// "all N of N values within tolerance" or "FAILED, K of N values ...".
  std::string summary() const;
  std::string worstText() const;
};

/// Random matmul operands: roughly normal, with a few outlier columns (every
/// 37th from the 5th, x20) as real activations have.
std::vector<float> randomMatrix(int64_t rows, int64_t k, std::mt19937 &rng,
                                bool outliers);

/// A module whose @main the modes fill with MLIR's builders, then print.
class Program {
public:
  Program();

  mlir::MLIRContext &context() { return ctx; }
  mlir::OpBuilder &builder() { return b; }
  mlir::Location loc() { return b.getUnknownLoc(); }
  mlir::ModuleOp module() { return *moduleOp; }

  /// A ranked tensor type of f32 (or `element`).
  mlir::RankedTensorType tensor(llvm::ArrayRef<int64_t> shape,
                                mlir::Type element = {});
  /// An index constant.
  mlir::Value index(int64_t v);
  /// A constant f32 tensor of `shape` holding `values` (exact: the printer
  /// writes floats it cannot round-trip in hex).
  mlir::Value constant(llvm::ArrayRef<int64_t> shape,
                       llvm::ArrayRef<float> values);
  /// A constant i32 tensor.
  mlir::Value constantI32(llvm::ArrayRef<int64_t> shape,
                          llvm::ArrayRef<int32_t> values);

  /// Prints the line `text`.
  void printLine(llvm::StringRef text);
  /// Prints `header`, then every element of the tensor or memref `value`,
  /// one i32 per line, row-major: f32 as its bits (NaN as 0x7FC00000), i8
  /// and E8M0 bytes unsigned.
  void printElements(llvm::StringRef header, mlir::Value value);
  /// Prints the i32/i64 scalar `value`.
  void printScalar(mlir::Value value);

  /// Ends @main and prints the module after the comment line `generatedBy`.
  void write(llvm::raw_ostream &os, const llvm::Twine &generatedBy);

private:
  mlir::MLIRContext ctx;
  mlir::OpBuilder b;
  mlir::OwningOpRef<mlir::ModuleOp> moduleOp;
};

/// A mode: a subcommand with options of its own, and what it runs (writes
/// its program and CHECK lines, or, with --check, compares a program's
/// output with the reference); the result is the exit status.
struct Mode {
  llvm::cl::SubCommand &command;
  int (*run)();
};

/// The modes, one file each.
extern Mode roundtripMode, matmulMode, softmaxMode, attentionMode, ptqMode,
    gpuDecodeMode;

} // namespace mxc::testgen

#endif // MXC_TEST_LIB_MXC_TESTGEN_COMMON_H
