//===- mxc-kernels.cpp - Build mxc's GPU kernels as PTX or cubin ----------===//
//
//   mxc-kernels --chip=sm_90 [--format=isa|bin|fatbin] [--gemv-formats=...]
//               [--batches=...] [--softmax-bits=...] [-o FILE] [--embed=NAME]
//
// Runs mxc-gpu-kernels and mxc-gpu-to-binary on an empty module and writes
// the payload of the resulting gpu.binary: PTX text (isa), a cubin (bin,
// assembled by the toolkit's ptxas) or a fatbin. With --embed, writes a C++
// source defining `const unsigned char NAME[]` and `NAME_size` instead, for
// the GPU runner to link. --format=cpu writes the same kernels (built as for
// sm_80) as LLVM IR for this CPU, each thread's body a function that the
// emulator in test/lib/FakeCuda runs (mxc-gpu-emulate).
//
//===----------------------------------------------------------------------===//

#include "mxc/GPU/Passes.h"
#include "mxc/InitAll.h"
#include "mxc/Pipelines/Pipelines.h"
#include "mxc/Support/Output.h"
#include "mxc/Support/Version.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"

namespace cl = llvm::cl;

namespace {
cl::OptionCategory category("mxc-kernels options");
cl::opt<std::string> chip("chip", cl::cat(category),
                          cl::desc("Target chip (sm_80, sm_90, ...)"),
                          cl::init("sm_90"));
cl::opt<std::string> format("format", cl::cat(category),
                            cl::desc("isa (PTX), bin (cubin), fatbin, or cpu "
                                     "(LLVM IR of the kernels for the CPU "
                                     "emulator, built as for sm_80)"),
                            cl::init("isa"));
cl::opt<std::string> toolkit("toolkit", cl::cat(category),
                             cl::desc("CUDA toolkit root"),
                             cl::init("/usr/local/cuda"));
cl::list<std::string>
    gemvFormats("gemv-formats", cl::cat(category), cl::CommaSeparated,
                cl::desc("MX formats of the GEMV kernels (default: all six)"));
cl::list<int64_t> batches("batches", cl::cat(category), cl::CommaSeparated,
                          cl::desc("GEMV batch sizes (default: 1)"));
cl::list<int64_t>
    softmaxBits("softmax-bits", cl::cat(category), cl::CommaSeparated,
                cl::desc("Softmax kernels: 0 exact, 1-8 EXAQ (default: none)"));
cl::opt<bool> softmaxCodes(
    "softmax-codes", cl::cat(category),
    cl::desc("Also the EXAQ softmax kernels of up to 4 bits that write "
             "codes and each row's output per code"));
cl::list<int64_t> attentionHeadDims(
    "attention-head-dims", cl::cat(category), cl::CommaSeparated,
    cl::desc("Decode attention kernels for these head dimensions"));
cl::list<int64_t> attentionGroupHeads(
    "attention-group-heads", cl::cat(category), cl::CommaSeparated,
    cl::desc("Query heads per block of the attention kernels, 1 to 8 "
             "(default: 1)"));
cl::opt<bool> gemvUnstaged(
    "gemv-unstaged", cl::cat(category),
    cl::desc("Also the GEMV kernels of the batches that stage x in shared "
             "memory without the staging (\"_unstaged\"), to compare"));
cl::opt<bool> attentionSplitKeys(
    "attention-split-keys", cl::cat(category),
    cl::desc("Also the attention kernels that split the keys across blocks "
             "(flash-decoding), and the kernel that merges their splits"));
cl::opt<bool>
    gemm("gemm", cl::cat(category),
         cl::desc("Also the prefill GEMM on tensor cores of each GEMV format "
                  "(mx_gemm_<format>, sm_80 and newer)"));
cl::opt<std::string> output("o", cl::cat(category), cl::desc("Output file"),
                            cl::init("-"));
cl::opt<std::string>
    embed("embed", cl::cat(category),
          cl::desc("Write a C++ source defining this byte array instead"),
          cl::init(""));
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerAllPasses();
  mxc::registerAllPasses();
  cl::HideUnrelatedOptions(category);
  mxc::setVersionPrinter("mxc-kernels");
  cl::ParseCommandLineOptions(argc, argv,
                              "mxc-kernels: build mxc's GPU kernels (MX "
                              "GEMV, softmax, decode attention) as PTX, "
                              "cubin or fatbin\n");
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  mxc::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::ModuleOp::create(mlir::UnknownLoc::get(&context));

  auto list = [](auto &values) {
    std::string s;
    llvm::raw_string_ostream os(s);
    llvm::interleave(values, os, ",");
    return s;
  };
  std::string kernels = "chip=" + chip;
  if (!gemvFormats.empty())
    kernels += " gemv-formats=" + list(gemvFormats);
  if (!batches.empty())
    kernels += " batches=" + list(batches);
  if (!softmaxBits.empty())
    kernels += " softmax-bits=" + list(softmaxBits);
  if (softmaxCodes)
    kernels += " softmax-codes=true";
  if (!attentionHeadDims.empty())
    kernels += " attention-head-dims=" + list(attentionHeadDims);
  if (!attentionGroupHeads.empty())
    kernels += " attention-group-heads=" + list(attentionGroupHeads);
  if (attentionSplitKeys)
    kernels += " attention-split-keys=true";
  if (gemvUnstaged)
    kernels += " gemv-unstaged=true";
  if (gemm)
    kernels += " gemm=true";
  const bool cpu = format == "cpu";
  if (cpu) // No native FP8 conversion (an NVVM op) below sm_89.
    kernels.replace(0,
                    kernels.find(' ') == std::string::npos ? kernels.size()
                                                           : kernels.find(' '),
                    "chip=sm_80");
  std::string pipeline = "mxc-gpu-kernels{" + kernels + "}," +
                         (cpu ? std::string("mxc-gpu-emulate")
                              : "mxc-gpu-to-binary{format=" + format +
                                    " toolkit=" + toolkit + "}");
  mlir::PassManager pm(&context);
  if (mlir::failed(mlir::parsePassPipeline(pipeline, pm, llvm::errs())))
    return 1;
  if (cpu) {
    mlir::mxc::CPUPipelineOptions lowering;
    lowering.cInterface = false;
    mlir::mxc::buildLoopsToLLVMPipeline(pm, lowering);
    pm.addPass(mlir::mxc::createMXCGPUEmulateEntriesPass());
  }
  if (mlir::failed(pm.run(*module)))
    return 1;

  std::string payload;
  if (cpu) {
    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::Module> ir = mlir::translateModuleToLLVMIR(
        *module, llvmContext, "mxc_emulated_kernels");
    if (!ir) {
      llvm::errs() << "mxc-kernels: translation to LLVM IR failed\n";
      return 1;
    }
    llvm::raw_string_ostream os(payload);
    ir->print(os, nullptr);
  }
  module->walk([&](mlir::gpu::BinaryOp binary) {
    for (mlir::Attribute object : binary.getObjects())
      payload += llvm::cast<mlir::gpu::ObjectAttr>(object).getObject().str();
  });
  llvm::Error written = mxc::writeFileAtomically(
      output, [&](llvm::raw_fd_ostream &os) -> llvm::Error {
        if (embed.empty()) {
          os << payload;
          return llvm::Error::success();
        }
        os << "// Generated by mxc-kernels " << kernels << " format=" << format
           << "\n#include <cstddef>\nextern const unsigned char " << embed
           << "[] = {";
        for (size_t i = 0; i < payload.size(); ++i)
          os << (i % 16 ? "" : "\n")
             << static_cast<unsigned>(static_cast<unsigned char>(payload[i]))
             << ",";
        os << "0};\nextern const size_t " << embed
           << "_size = " << payload.size() << ";\n";
        return llvm::Error::success();
      });
  if (written) {
    llvm::errs() << "mxc-kernels: " << llvm::toString(std::move(written))
                 << "\n";
    return 1;
  }
  return 0;
}
