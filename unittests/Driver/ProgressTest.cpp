//===- ProgressTest.cpp - What compileModule reports while it works -------===//

#include "mxc/Driver/Compiler.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace mxc::driver;

namespace {

// Two matmuls with Hessians (GPTQ quantizes them) and one without (it stays
// float): the progress names the two as each starts, with how many of the
// two are done, in order.
constexpr const char *kModule = R"mlir(
func.func @three(%x: tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %w = arith.constant dense<[[0.5, 1.0, 1.5, 2.0], [-6.0, 3.0, 0.0, 0.25]]> : tensor<2x4xf32>
  %a = mxc.matmul %x, %w {hessian = dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>} : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32> loc("layers.0.wq")
  %b = mxc.matmul %x, %w {hessian = dense<[[2.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>} : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32> loc("layers.0.wk")
  %c = mxc.matmul %x, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32> loc("layers.0.wv")
  return %a, %b, %c : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>
}
)mlir";

TEST(Progress, GPTQNamesEachMatmul) {
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kModule, context.get());
  ASSERT_TRUE(module);
  llvm::Expected<Recipe> recipe = Recipe::parse("w4-gptq");
  ASSERT_TRUE(static_cast<bool>(recipe)) << llvm::toString(recipe.takeError());
  std::vector<std::string> lines;
  CompileOptions options;
  options.recipe = *recipe;
  options.stop = Stage::MXC;
  options.progress = [&](const llvm::Twine &line) {
    lines.push_back(line.str());
  };
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> compiled =
      compileModule(*context, std::move(module), options);
  ASSERT_TRUE(static_cast<bool>(compiled))
      << llvm::toString(compiled.takeError());
  // "GPTQ NAME: DONE of TOTAL, ELAPSED s, ETA ... s" as each one starts.
  std::vector<std::string> gptq;
  for (const std::string &line : lines)
    if (llvm::StringRef(line).starts_with("GPTQ"))
      gptq.push_back(llvm::StringRef(line).split(',').first.str());
  EXPECT_EQ(gptq, (std::vector<std::string>{"GPTQ layers.0.wq: 0 of 2",
                                            "GPTQ layers.0.wk: 1 of 2"}));
}

} // namespace
