//===- Common.cpp - What every mxc-testgen mode shares --------------------===//

#include "Common.h"

#include "mxc/InitAll.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <cstring>

using namespace mlir;
namespace num = mxc::numerics;

namespace mxc::testgen {

void fail(const llvm::Twine &message) {
  llvm::errs() << "mxc-testgen: " << message << "\n";
  std::exit(2);
}

num::ElemFormat formatOrDie(const std::string &name) {
  std::optional<num::ElemFormat> f = num::parseElemFormat(name);
  if (!f)
    fail("unknown format '" + name + "'");
  return *f;
}

int32_t printedBits(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return static_cast<int32_t>(std::isnan(v) ? 0x7FC00000u : u);
}

float floatOfBits(int64_t printed) {
  uint32_t u = static_cast<uint32_t>(printed);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

std::vector<int64_t> readPrinted(const std::string &file,
                                 llvm::StringRef header, int64_t expected,
                                 const llvm::Twine &what) {
  auto buffer = llvm::MemoryBuffer::getFile(file);
  if (!buffer)
    fail("cannot read " + file);
  llvm::SmallVector<llvm::StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n', -1, false);
  std::vector<int64_t> printed;
  bool inSection = false;
  for (llvm::StringRef line : lines) {
    if (line.trim() == header) {
      inSection = true;
      continue;
    }
    int64_t v;
    if (inSection && !line.trim().getAsInteger(10, v))
      printed.push_back(v);
  }
  if (static_cast<int64_t>(printed.size()) != expected)
    fail("expected " + llvm::Twine(expected) + " " + what + ", found " +
         llvm::Twine(printed.size()));
  return printed;
}

void printChecks(llvm::raw_ostream &os, llvm::StringRef header,
                 llvm::ArrayRef<int64_t> values) {
  os << "// CHECK-LABEL: " << header << "\n";
  for (int64_t v : values)
    os << "// CHECK-NEXT: {{^}}" << v << "{{$}}\n";
}

void Tolerance::check(float got, double ref, double bound,
                      const llvm::Twine &where) {
  ++checked;
  double err = std::fabs(got - ref);
  if (bound > 0)
    worst = std::max(worst, err / bound);
  if (!(err <= bound) && failures++ < 10)
    llvm::outs() << "FAIL " << where << " = " << got << ", reference " << ref
                 << ", bound " << bound << "\n";
}

void Tolerance::fail(float got, const llvm::Twine &where,
                     const llvm::Twine &message) {
  ++checked;
  if (failures++ < 10)
    llvm::outs() << "FAIL " << where << " = " << got << ", " << message << "\n";
}

std::string Tolerance::summary() const {
  return (failures ? "FAILED, " : "all ") + std::to_string(checked - failures) +
         " of " + std::to_string(checked) + " values within tolerance";
}

std::string Tolerance::worstText() const {
  return llvm::formatv("{0:F3}", worst);
}

std::vector<float> randomMatrix(int64_t rows, int64_t k, std::mt19937 &rng,
                                bool outliers) {
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> m(rows * k);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < k; ++c)
      m[r * k + c] = normal(rng) * ((outliers && c % 37 == 5) ? 20.0f : 1.0f);
  return m;
}

//===----------------------------------------------------------------------===//
// Program
//===----------------------------------------------------------------------===//

static DialectRegistry programDialects() {
  DialectRegistry registry;
  registry
      .insert<arith::ArithDialect, func::FuncDialect, memref::MemRefDialect,
              scf::SCFDialect, tensor::TensorDialect, vector::VectorDialect>();
  mxc::registerAllDialects(registry);
  return registry;
}

Program::Program() : ctx(programDialects()), b(&ctx) {
  ctx.loadAllAvailableDialects();
  moduleOp = ModuleOp::create(loc());
  b.setInsertionPointToEnd(moduleOp->getBody());
  auto main = func::FuncOp::create(b, loc(), "main", b.getFunctionType({}, {}));
  b.setInsertionPointToStart(main.addEntryBlock());
}

RankedTensorType Program::tensor(llvm::ArrayRef<int64_t> shape, Type element) {
  return RankedTensorType::get(shape, element ? element : b.getF32Type());
}

Value Program::index(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc(), v);
}

Value Program::constant(llvm::ArrayRef<int64_t> shape,
                        llvm::ArrayRef<float> values) {
  auto type = tensor(shape);
  return arith::ConstantOp::create(b, loc(), type,
                                   DenseElementsAttr::get(type, values));
}

Value Program::constantI32(llvm::ArrayRef<int64_t> shape,
                           llvm::ArrayRef<int32_t> values) {
  auto type = tensor(shape, b.getI32Type());
  return arith::ConstantOp::create(b, loc(), type,
                                   DenseElementsAttr::get(type, values));
}

void Program::printLine(llvm::StringRef text) {
  vector::PrintOp::create(b, loc(), (text + "\n").str());
}

void Program::printScalar(Value value) {
  vector::PrintOp::create(b, loc(), value);
}

void Program::printElements(llvm::StringRef header, Value value) {
  printLine(header);
  auto type = cast<ShapedType>(value.getType());
  Value zero = index(0), one = index(1);
  OpBuilder::InsertionGuard guard(b);
  SmallVector<Value> indices;
  for (auto [i, d] : llvm::enumerate(type.getShape())) {
    Value size = index(d);
    if (ShapedType::isDynamic(d))
      size = isa<MemRefType>(type)
                 ? memref::DimOp::create(b, loc(), value, i).getResult()
                 : tensor::DimOp::create(b, loc(), value, i).getResult();
    auto loop = scf::ForOp::create(b, loc(), zero, size, one);
    indices.push_back(loop.getInductionVar());
    b.setInsertionPointToStart(loop.getBody());
  }
  Value e =
      isa<MemRefType>(type)
          ? memref::LoadOp::create(b, loc(), value, indices).getResult()
          : tensor::ExtractOp::create(b, loc(), value, indices).getResult();
  Type i32 = b.getI32Type();
  Value printed;
  if (e.getType().isF32()) {
    Value bits = arith::BitcastOp::create(b, loc(), i32, e);
    Value isNaN =
        arith::CmpFOp::create(b, loc(), arith::CmpFPredicate::UNO, e, e);
    Value quietNaN = arith::ConstantIntOp::create(b, loc(), 0x7FC00000, 32);
    printed = arith::SelectOp::create(b, loc(), isNaN, quietNaN, bits);
  } else {
    if (!e.getType().isInteger(8))
      e = arith::BitcastOp::create(b, loc(), b.getI8Type(), e);
    printed = arith::ExtUIOp::create(b, loc(), i32, e);
  }
  vector::PrintOp::create(b, loc(), printed);
}

void Program::write(llvm::raw_ostream &os, const llvm::Twine &generatedBy) {
  func::ReturnOp::create(b, loc());
  os << "// Generated by mxc-testgen " << generatedBy << "\n";
  moduleOp->print(os);
  os << "\n";
}

} // namespace mxc::testgen
