//===- mxc-opt.cpp - mlir-opt with the mxc dialect and passes -------------===//
//
// Behaves like mlir-opt: every upstream dialect, extension and pass is
// registered, plus mxc's.
//
//===----------------------------------------------------------------------===//

#include "mxc/InitAll.h"
#include "mxc/Support/Version.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/thread.h"

namespace mxc::test {
void registerTestPasses();
void registerTestGPUDecodePass();
} // namespace mxc::test

namespace {

/// The stack of the thread mxc-opt works on: parsing, verifying and printing
/// recurse once per nested region, and IR nested tens of thousands deep
/// must be an answer, not a stack overflow (upstream mlir-opt overflows).
/// Reserved, not committed: only what the recursion touches is used.
constexpr unsigned kStackBytes = 1u << 30;

int run(int argc, char **argv) {
  mlir::registerAllPasses();
  mxc::registerAllPasses();
  mxc::test::registerTestPasses();
  mxc::test::registerTestGPUDecodePass();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary needs the LLVM IR translations of every dialect.
  mlir::registerAllToLLVMIRTranslations(registry);
  mxc::registerAllDialects(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv,
      "mxc optimizer driver: mlir-opt with the mxc dialect (MX tensors, MX "
      "matmul, EXAQ softmax, span-sparse attention) and its passes\n",
      registry));
}

} // namespace

int main(int argc, char **argv) {
  mxc::setVersionPrinter("mxc-opt");
  int status = 1;
  llvm::thread worker(std::optional<unsigned>(kStackBytes),
                      [&] { status = run(argc, argv); });
  worker.join();
  return status;
}
