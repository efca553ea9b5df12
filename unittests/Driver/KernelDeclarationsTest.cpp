//===- KernelDeclarationsTest.cpp - Models compiled for other kernels -----===//

#include "mxc/Driver/Compiler.h"
#include "mxc/Runtime/CPUKernels.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <string>

using namespace mxc::driver;

namespace {

/// A module with @forward and @decode that declares the activation
/// quantize kernel with `params` (it is never called: the check comes
/// before any code is compiled).
std::string moduleDeclaring(const std::string &kernel,
                            const std::string &params) {
  return "llvm.func @" + kernel + "(" + params +
         ")\n"
         "llvm.func @forward() { llvm.return }\n"
         "llvm.func @decode() { llvm.return }\n";
}

std::string checkError(const std::string &source) {
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, context.get());
  EXPECT_TRUE(module);
  if (!module)
    return "unparsed";
  std::string check;
  if (llvm::Error e = checkKernelDeclarations(*module))
    check = llvm::toString(std::move(e));
  // CompiledModel::create refuses it with the same message.
  std::string create;
  mxc::frontend::LlamaConfig config;
  auto model = CompiledModel::create(*module, config);
  if (!model)
    create = llvm::toString(model.takeError());
  if (!check.empty())
    EXPECT_EQ(create, check);
  return check;
}

constexpr const char *kQuantize = "_mlir_ciface_mxc_cpu_quantize_dequantize";

TEST(KernelDeclarations, SignaturesFollowTheCDefinitions) {
  // Written from the C declarations in runtime/CPUKernels.cpp.
  const std::pair<const char *, const char *> expected[] = {
      {"_mlir_ciface_mxc_cpu_matmul_mx", "void(ptr, ptr, ptr, ptr, i32, i64)"},
      {"_mlir_ciface_mxc_cpu_matmul_mx_activations",
       "void(ptr, ptr, ptr, ptr, i32, i64, i32)"},
      {"_mlir_ciface_mxc_cpu_matmul_f32", "void(ptr, ptr, ptr)"},
      {"_mlir_ciface_mxc_cpu_attention", "void(ptr, ptr, ptr, ptr, f32)"},
      {"_mlir_ciface_mxc_cpu_attention_exaq",
       "void(ptr, ptr, ptr, ptr, f32, ptr, f32, f32)"},
      {kQuantize, "void(ptr, ptr, i32, i64, i32, i32)"}};
  const mxc::cpu::KernelSymbol *k = mxc::cpu::kernelSymbols();
  for (const auto &[name, signature] : expected) {
    ASSERT_NE(k->name, nullptr);
    EXPECT_STREQ(k->name, name);
    EXPECT_STREQ(k->signature, signature);
    ++k;
  }
  EXPECT_EQ(k->name, nullptr);
}

TEST(KernelDeclarations, TheDefinedTypePasses) {
  EXPECT_EQ(checkError(moduleDeclaring(
                kQuantize, "!llvm.ptr, !llvm.ptr, i32, i64, i32, i32")),
            "");
}

TEST(KernelDeclarations, AModelForTheOldQuantizeKernelIsRefused) {
  // Before activation-scales (2026-12-07) the kernel had no `scales`
  // argument: called now, it would read one from a stale register.
  EXPECT_EQ(
      checkError(moduleDeclaring(kQuantize, "!llvm.ptr, !llvm.ptr, i32, i64, "
                                            "i32")),
      "the model calls the CPU kernel 'mxc_cpu_quantize_dequantize' as "
      "void(ptr, ptr, i32, i64, i32), but this mxc defines it as void(ptr, "
      "ptr, i32, i64, i32, i32): it was compiled by another version of mxc; "
      "compile it again with this one");
}

TEST(KernelDeclarations, AnUnknownKernelIsRefused) {
  EXPECT_EQ(
      checkError(moduleDeclaring("_mlir_ciface_mxc_cpu_gone", "!llvm.ptr")),
      "the model calls a CPU kernel this mxc does not have, "
      "'mxc_cpu_gone': it was compiled by another version of mxc; "
      "compile it again with this one");
}

TEST(KernelDeclarations, OtherDeclarationsAreNotChecked) {
  // The C library and the MLIR runner utilities are not mxc's kernels.
  EXPECT_EQ(checkError(moduleDeclaring("memrefCopy", "i64, !llvm.ptr, "
                                                     "!llvm.ptr")),
            "");
}

} // namespace
