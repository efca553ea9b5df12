//===- MXTensorTypeTest.cpp - !mxc.mx through the C++ API -----------------===//
//
// What the textual tests cannot reach: the C++ builders (a negative
// dimension never gets past the parser) and the type's helpers.
//
//===----------------------------------------------------------------------===//

#include "mxc/IR/MXCDialect.h"
#include "mxc/IR/MXCTypes.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

namespace {

class MXTensorTypeTest : public ::testing::Test {
protected:
  MXTensorTypeTest() { context.loadDialect<MXCDialect>(); }

  /// Builds through getChecked and returns the diagnostic, or "" on success.
  std::string check(ArrayRef<int64_t> shape, Type element, int64_t block) {
    std::string message;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      message = diag.str();
      return success();
    });
    MXTensorType type = MXTensorType::getChecked(
        [&] { return emitError(UnknownLoc::get(&context)); }, &context, shape,
        element, block);
    EXPECT_EQ(static_cast<bool>(type), message.empty());
    return message;
  }

  MLIRContext context;
};

TEST_F(MXTensorTypeTest, RejectsNegativeDimension) {
  Builder b(&context);
  EXPECT_EQ(check({-4, 32}, b.getType<Float4E2M1FNType>(), 32),
            "dimension 0 has negative size -4");
}

TEST_F(MXTensorTypeTest, AcceptsEveryFormat) {
  Builder b(&context);
  EXPECT_EQ(check({4, 32}, b.getType<Float8E4M3FNType>(), 32), "");
  EXPECT_EQ(check({4, 32}, b.getType<Float8E5M2Type>(), 32), "");
  EXPECT_EQ(check({4, 32}, b.getType<Float6E2M3FNType>(), 32), "");
  EXPECT_EQ(check({4, 32}, b.getType<Float6E3M2FNType>(), 32), "");
  EXPECT_EQ(check({4, 32}, b.getType<Float4E2M1FNType>(), 32), "");
  EXPECT_EQ(check({4, 32}, b.getI8Type(), 32), "");
  EXPECT_NE(check({4, 32}, b.getType<Float8E8M0FNUType>(), 32), "");
  EXPECT_NE(check({4, 32}, b.getIntegerType(8, /*isSigned=*/true), 32), "");
}

TEST_F(MXTensorTypeTest, Helpers) {
  Builder b(&context);
  auto type = MXTensorType::get({3, 172}, b.getType<Float4E2M1FNType>());
  EXPECT_EQ(type.getBlockSize(), 32);
  EXPECT_EQ(type.getFormat(), num::ElemFormat::E2M1);
  EXPECT_EQ(type.getBlockAxisSize(), 172);
  EXPECT_EQ(type.getNumBlocksPerRow(), 6); // ceil(172 / 32)
  auto shaped = cast<ShapedType>(type);
  EXPECT_EQ(shaped.getRank(), 2);
  EXPECT_EQ(shaped.getNumElements(), 516);
  auto clone = type.cloneWith(ArrayRef<int64_t>{5, 64}, b.getI8Type());
  EXPECT_EQ(clone.getShape(), ArrayRef<int64_t>({5, 64}));
  EXPECT_EQ(clone.getFormat(), num::ElemFormat::Int8);
  EXPECT_EQ(clone.getBlockSize(), 32);
  EXPECT_EQ(getMXFormat(b.getF32Type()), std::nullopt);
  for (num::ElemFormat f : num::kAllElemFormats)
    EXPECT_EQ(getMXFormat(getMXElementType(&context, f)), f);
}

} // namespace
