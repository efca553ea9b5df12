//===- Compiler.cpp - Build, quantize, lower and run a model --------------===//

#include "mxc/Driver/Compiler.h"
#include "mxc/Conversion/Passes.h"
#include "mxc/GPU/Passes.h"
#include "mxc/IR/MXCOps.h"
#include "mxc/InitAll.h"
#include "mxc/Numerics/GPTQ.h"
#include "mxc/Pipelines/Pipelines.h"
#include "mxc/Runtime/CPUKernels.h"
#include "mxc/Support/Reservoir.h"
#include "mxc/Support/Threads.h"
#include "mxc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#include <array>
#include <chrono>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <cmath>
#include <new>
#include <numeric>
#include <optional>
#include <random>

using namespace mxc::driver;
using namespace mxc::frontend;

namespace {
llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}
} // namespace

std::unique_ptr<mlir::MLIRContext> mxc::driver::createContext() {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  mxc::registerAllDialects(registry);
  return std::make_unique<mlir::MLIRContext>(registry);
}

/// The model's IR, as `options` asks for it.
static mlir::OwningOpRef<mlir::ModuleOp>
buildModel(mlir::MLIRContext &context, const LlamaModel &model,
           const CompileOptions &options) {
  LlamaBuildOptions build;
  build.statistics = options.statistics;
  build.calibration = options.calibration;
  build.calibrationLayers = options.calibrationLayers;
  build.attentionTile = options.recipe.tile;
  build.keepCheckpointMX = options.recipe.keepCheckpointMX;
  if (std::optional<double> clip = options.recipe.fixedClip();
      clip && options.recipe.softmaxBits > 0 && !options.calibration) {
    build.softmaxBits = options.recipe.softmaxBits;
    build.softmaxClip = *clip;
    build.softmaxZeroFloor = options.recipe.softmaxZeroFloor;
    build.softmaxTables = options.softmaxTables;
  }
  if (options.progress)
    options.progress("building the model's IR");
  mlir::TimingScope timer = options.timing
                                ? options.timing->nest("build the model's IR")
                                : mlir::TimingScope();
  return buildLlamaForward(context, model, build);
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
mxc::driver::compileModel(mlir::MLIRContext &context, const LlamaModel &model,
                          const CompileOptions &options) {
  return compileModule(context, buildModel(context, model, options), options);
}

static std::string stepsText(size_t done, size_t total, double seconds);

namespace {
/// Runs pass pipelines on a module for the driver: each run announced
/// (options.progress) and timed (options.timing, under the text before a
/// ':'); errors gathered into the run's llvm::Error, remarks passed on to
/// options.remark.
class PassRunner {
public:
  PassRunner(mlir::MLIRContext &context, const CompileOptions &options)
      : options(options), os(diagnostics),
        handler(&context, [this](mlir::Diagnostic &d) {
          if (d.getSeverity() == mlir::DiagnosticSeverity::Error)
            os << d.getLocation() << ": " << d << "\n";
          else if (d.getSeverity() == mlir::DiagnosticSeverity::Remark &&
                   this->options.remark)
            this->options.remark(d);
          return mlir::success();
        }) {}

  /// `timed`: under options.timing, else not timed here (the caller times
  /// the run).
  llvm::Error run(mlir::PassManager &pm, mlir::ModuleOp module,
                  const llvm::Twine &what, bool timed = true) {
    if (options.progress)
      options.progress(what);
    mlir::TimingScope timer;
    if (options.timing && timed) {
      std::string name = what.str();
      timer = options.timing->nest(llvm::StringRef(name).split(':').first);
      pm.enableTiming(timer);
    }
    if (mlir::failed(pm.run(module)))
      return error("compilation failed (" + what + "):\n" + diagnostics);
    return llvm::Error::success();
  }

  const CompileOptions &options;
  std::string diagnostics;
  llvm::raw_string_ostream os;

private:
  mlir::ScopedDiagnosticHandler handler;
};
} // namespace

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
mxc::driver::compileModule(mlir::MLIRContext &context,
                           mlir::OwningOpRef<mlir::ModuleOp> module,
                           const CompileOptions &options) {
  PassRunner runner(context, options);
  auto run = [&](mlir::PassManager &pm,
                 const llvm::Twine &what) -> llvm::Error {
    return runner.run(pm, *module, what);
  };
  llvm::raw_string_ostream &os = runner.os;
  const std::string &diagnostics = runner.diagnostics;

  // The recipe's passes (none for a calibration model), then extraPasses.
  mlir::PassManager quantize(&context);
  if (!options.calibration)
    options.recipe.buildPipeline(quantize, options.report, options.only,
                                 options.recipePasses);
  if (!options.extraPasses.empty() &&
      mlir::failed(mlir::parsePassPipeline(options.extraPasses, quantize, os)))
    return error("invalid pass pipeline '" + options.extraPasses +
                 "': " + diagnostics);
  if (quantize.size()) {
    std::string pipeline;
    llvm::raw_string_ostream text(pipeline);
    quantize.printAsTextualPipeline(text);
    // GPTQ says which matmul it is on (an action per matmul).
    std::optional<std::chrono::steady_clock::time_point> gptqStart;
    if (options.progress)
      context.registerActionHandler([&](llvm::function_ref<void()> transform,
                                        const mlir::tracing::Action &action) {
        if (auto *gptq = llvm::dyn_cast<mlir::mxc::GPTQMatmulAction>(&action)) {
          auto now = std::chrono::steady_clock::now();
          if (!gptqStart)
            gptqStart = now;
          options.progress(
              "GPTQ " + gptq->name + ": " +
              stepsText(
                  gptq->index - 1, gptq->total,
                  std::chrono::duration<double>(now - *gptqStart).count()));
        }
        transform();
      });
    llvm::Error e = run(quantize, "quantizing: " + pipeline);
    if (options.progress)
      context.registerActionHandler(nullptr);
    if (e)
      return std::move(e);
  }
  if (options.onStage)
    options.onStage(Stage::MXC, *module);
  if (options.stop == Stage::MXC)
    return std::move(module);

  if (options.stop == Stage::GPU && options.target == Target::CPU)
    return error("the GPU stage exists only for a GPU target");
  mlir::mxc::CPUPipelineOptions lowering;
  lowering.matmulRowsInnermost =
      options.vectorizeWindows() && options.target == Target::CPU;
  lowering.matmulKernels =
      options.matmulKernels && options.target == Target::CPU;
  lowering.attentionKernels = lowering.matmulKernels;
  {
    mlir::PassManager pm(&context);
    // On the GPU path the MX matmuls become calls of mxc's GEMV kernel, and
    // plain attentions calls of its attention kernel.
    if (options.target != Target::CPU) {
      pm.addPass(mlir::mxc::createConvertMXCMatmulToGPUPass());
      pm.addPass(mlir::mxc::createConvertMXCAttentionToGPUPass());
    }
    mlir::mxc::buildMXCToLinalgPipeline(pm, lowering);
    if (llvm::Error e = run(pm, "lowering mxc to linalg"))
      return std::move(e);
  }
  if (options.onStage)
    options.onStage(Stage::Linalg, *module);
  if (options.stop == Stage::Linalg)
    return std::move(module);
  mlir::PassManager pm(&context);
  if (options.target == Target::CPU) {
    mlir::mxc::buildLinalgToLLVMPipeline(pm, lowering);
    if (llvm::Error e = run(pm, "lowering linalg to the LLVM dialect"))
      return std::move(e);
  } else {
    mlir::mxc::buildLinalgToGPUPipeline(pm, {});
    if (llvm::Error e = run(pm, "mapping the model onto GPU threads"))
      return std::move(e);
    if (options.onStage)
      options.onStage(Stage::GPU, *module);
    if (options.stop == Stage::GPU)
      return std::move(module);
    mlir::PassManager last(&context);
    if (options.target == Target::CUDA) {
      mlir::mxc::CUDAPipelineOptions cuda;
      cuda.chip = options.chip;
      cuda.toolkit = options.cudaToolkit;
      cuda.emulation = options.emulatedKernels;
      cuda.tensorCores = options.tensorCores;
      mlir::mxc::buildGPUToCUDAPipeline(last, cuda);
      if (llvm::Error e = run(last, "compiling the kernels for CUDA " +
                                        options.chip + " (ptxas)"))
        return std::move(e);
    } else {
      mlir::mxc::buildGPUOnCPUPipeline(last, lowering);
      if (llvm::Error e = run(last, "lowering the GPU kernels as CPU loops"))
        return std::move(e);
    }
  }
  if (options.onStage)
    options.onStage(Stage::LLVM, *module);
  return std::move(module);
}

//===----------------------------------------------------------------------===//
// CompiledModel
//===----------------------------------------------------------------------===//

CompiledModel::CompiledModel(const LlamaConfig &config, bool calibration)
    : config(config), calibration(calibration),
      columns(calibration ? calibrationLayout(config).total : config.vocab) {}

CompiledModel::~CompiledModel() = default;

/// Constants of at least this many bytes are linked, not copied, into the
/// JIT-compiled code.
static constexpr size_t kExternalWeightBytes = 4096;

/// Makes the large constants (the weights) of the LLVM-dialect `module`
/// external globals and returns where their data is: in the mapped checkpoint
/// or the context's resource blobs, which outlive the model (the context owns
/// them). The JIT links them as symbols instead of copying them into LLVM IR
/// and then into its object code (two copies of the model).
static llvm::StringMap<const void *> externalizeWeights(mlir::ModuleOp module) {
  llvm::StringMap<const void *> weights;
  for (auto global : module.getOps<mlir::LLVM::GlobalOp>()) {
    auto resource = llvm::dyn_cast_if_present<mlir::DenseResourceElementsAttr>(
        global.getValueOrNull());
    mlir::AsmResourceBlob *blob =
        resource ? resource.getRawHandle().getBlob() : nullptr;
    if (!blob || blob->getData().size() < kExternalWeightBytes)
      continue;
    weights[global.getSymName()] = blob->getData().data();
    global.removeValueAttr();
    global.setLinkage(mlir::LLVM::Linkage::External);
    global.setDsoLocal(false);
    // The data is only as aligned as its elements (a llama2.c checkpoint's
    // tensors are 4-byte aligned).
    global.removeAlignmentAttr();
  }
  return weights;
}

/// The symbols a model links against besides libc and libm: its weights and
/// mxc's CPU kernels.
static llvm::orc::SymbolMap
modelSymbols(const llvm::StringMap<const void *> &weights,
             llvm::orc::MangleAndInterner &interner) {
  llvm::orc::SymbolMap symbols;
  for (const auto &[name, data] : weights)
    symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(data),
                               llvm::JITSymbolFlags::Exported};
  for (const mxc::cpu::KernelSymbol *k = mxc::cpu::kernelSymbols(); k->name;
       ++k)
    symbols[interner(k->name)] = {llvm::orc::ExecutorAddr::fromPtr(k->address),
                                  llvm::JITSymbolFlags::Exported};
  return symbols;
}

/// A kernel declaration's type as mxc::cpu::KernelSymbol::signature writes
/// it: "void(ptr, ptr, i32, i64)".
static std::string kernelSignature(mlir::LLVM::LLVMFunctionType type) {
  auto name = [](mlir::Type t) -> std::string {
    if (mlir::isa<mlir::LLVM::LLVMPointerType>(t))
      return "ptr";
    if (mlir::isa<mlir::LLVM::LLVMVoidType>(t))
      return "void";
    std::string s;
    llvm::raw_string_ostream os(s);
    t.print(os);
    return s;
  };
  std::string s = name(type.getReturnType()) + "(";
  for (auto [i, param] : llvm::enumerate(type.getParams()))
    s += (i ? ", " : "") + name(param);
  if (type.isVarArg())
    s += type.getNumParams() ? ", ..." : "...";
  return s + ")";
}

llvm::Error mxc::driver::checkKernelDeclarations(mlir::ModuleOp llvmModule) {
  for (auto func : llvmModule.getOps<mlir::LLVM::LLVMFuncOp>()) {
    llvm::StringRef name = func.getName();
    if (!func.isExternal() || !name.starts_with("_mlir_ciface_mxc_cpu_"))
      continue;
    const mxc::cpu::KernelSymbol *k = mxc::cpu::kernelSymbols();
    while (k->name && name != k->name)
      ++k;
    llvm::StringRef kernel = name;
    kernel.consume_front("_mlir_ciface_");
    const char *again = ": it was compiled by another version of mxc; compile "
                        "it again with this one";
    if (!k->name)
      return error("the model calls a CPU kernel this mxc does not have, '" +
                   kernel + "'" + again);
    const std::string declared = kernelSignature(func.getFunctionType());
    if (declared != k->signature)
      return error("the model calls the CPU kernel '" + kernel + "' as " +
                   declared + ", but this mxc defines it as " + k->signature +
                   again);
  }
  return llvm::Error::success();
}

static void initializeNativeTarget() {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
}

/// The module attributes that carry a model's native code.
static constexpr llvm::StringLiteral kNativeObject = "mxc.native_object",
                                     kNativeTriple = "mxc.native_triple",
                                     kNativeCPU = "mxc.native_cpu",
                                     kNativeFeatures = "mxc.native_features";

/// A target machine for this host's triple and `cpu` (as given: no
/// "native"), position-independent.
static llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createMachine(const NativeCPU &cpu) {
  initializeNativeTarget();
  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string why;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, why);
  if (!target)
    return error("no LLVM target for " + triple.str() + ": " + why);
  llvm::TargetOptions targetOptions;
  // Global constructors (the loader of a CUDA model's kernels) go in
  // .init_array, which the dynamic loader runs (.ctors needs crtbegin).
  targetOptions.UseInitArray = true;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, cpu.cpu, cpu.features, targetOptions, llvm::Reloc::PIC_));
}

llvm::Expected<NativeCPU> mxc::driver::resolveNativeCPU(const NativeCPU &cpu) {
  NativeCPU resolved = cpu;
  if (resolved.cpu.empty())
    resolved.cpu = "generic";
  if (resolved.cpu == "native")
    resolved.cpu = llvm::sys::getHostCPUName().str();
  if (resolved.features == "native") {
    llvm::SubtargetFeatures features;
    for (const auto &[name, enabled] : llvm::sys::getHostCPUFeatures())
      features.AddFeature(name, enabled);
    resolved.features = features.getString();
  }
  auto machine = createMachine({"generic", ""});
  if (!machine)
    return machine.takeError();
  const llvm::MCSubtargetInfo *info = (*machine)->getMCSubtargetInfo();
  if (!info->isCPUStringValid(resolved.cpu))
    return error("unknown CPU '" + resolved.cpu + "' for " +
                 llvm::sys::getProcessTriple() +
                 " (an LLVM CPU name: generic, x86-64-v3, znver3, "
                 "sapphirerapids, ..., or native)");
  llvm::SmallVector<llvm::StringRef> names;
  llvm::StringRef(resolved.features).split(names, ',', -1, false);
  for (llvm::StringRef name : names) {
    llvm::StringRef bare = name.drop_front();
    if ((!name.starts_with("+") && !name.starts_with("-")) ||
        !llvm::any_of(
            info->getAllProcessorFeatures(),
            [&](const llvm::SubtargetFeatureKV &kv) { return bare == kv.Key; }))
      return error("unknown CPU feature '" + name.str() +
                   "' (LLVM features with + or -: +avx2,+fma,-avx512f)");
  }
  return resolved;
}

llvm::Expected<std::string>
mxc::driver::emitHostObject(mlir::ModuleOp llvmModule, bool optimize,
                            const NativeCPU &cpu) {
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> ir =
      mlir::translateModuleToLLVMIR(llvmModule, context, "mxc_model");
  if (!ir)
    return error("translation to LLVM IR failed");
  llvm::Triple triple(llvm::sys::getProcessTriple());
  auto created = createMachine(cpu);
  if (!created)
    return created.takeError();
  std::unique_ptr<llvm::TargetMachine> machine = std::move(*created);
  ir->setTargetTriple(triple);
  ir->setDataLayout(machine->createDataLayout());
  // What the JIT does to a module before it generates code.
  if (optimize)
    if (llvm::Error e =
            mlir::makeOptimizingTransformer(2, 0, machine.get())(ir.get()))
      return std::move(e);
  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager passes;
  if (machine->addPassesToEmitFile(passes, os, nullptr,
                                   llvm::CodeGenFileType::ObjectFile))
    return error("LLVM cannot emit an object file for " + triple.str());
  passes.run(*ir);
  return std::string(object.begin(), object.end());
}

llvm::Expected<std::string>
mxc::driver::compileNativeObject(mlir::ModuleOp llvmModule,
                                 const NativeCPU &cpu) {
  mlir::OwningOpRef<mlir::ModuleOp> copy = llvmModule.clone();
  for (llvm::StringRef name :
       {kNativeObject, kNativeTriple, kNativeCPU, kNativeFeatures})
    (*copy)->removeAttr(name);
  externalizeWeights(*copy);
  return emitHostObject(*copy, /*optimize=*/true, cpu);
}

void mxc::driver::attachNativeObject(mlir::ModuleOp llvmModule,
                                     llvm::StringRef object,
                                     const NativeCPU &cpu) {
  mlir::Builder b(llvmModule.getContext());
  auto type = mlir::RankedTensorType::get({static_cast<int64_t>(object.size())},
                                          b.getI8Type());
  llvmModule->setAttr(
      kNativeObject,
      mlir::DenseResourceElementsAttr::get(
          type, "mxc_native_object",
          mlir::HeapAsmResourceBlob::allocateAndCopyInferAlign(
              llvm::ArrayRef<char>(object.data(), object.size()))));
  llvmModule->setAttr(kNativeTriple,
                      b.getStringAttr(llvm::sys::getProcessTriple()));
  // Resolved, so that a loader can check the features.
  llvmModule->setAttr(kNativeCPU, b.getStringAttr(cpu.cpu));
  llvmModule->setAttr(kNativeFeatures, b.getStringAttr(cpu.features));
}

/// The instruction-set features that code compiled for `cpu` may use and
/// this CPU lacks (empty when it runs here). Only features the host
/// reports on (instruction sets), not LLVM's tuning flags.
static std::string missingFeatures(const NativeCPU &cpu) {
  auto code = createMachine(cpu);
  if (!code)
    return "(unknown: " + llvm::toString(code.takeError()) + ")";
  const llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  const llvm::MCSubtargetInfo *needed = (*code)->getMCSubtargetInfo();
  std::string names;
  for (const llvm::SubtargetFeatureKV &kv : needed->getAllProcessorFeatures()) {
    auto it = host.find(kv.Key);
    if (needed->getFeatureBits().test(kv.Value) && it != host.end() &&
        !it->second)
      names += (names.empty() ? "" : ", ") + std::string(kv.Key);
  }
  return names;
}

/// The native object of `llvmModule` when it has one that this CPU runs
/// (its architecture and features); `why` says why not when it has one.
static mlir::AsmResourceBlob *nativeObject(mlir::ModuleOp llvmModule,
                                           std::string *why = nullptr) {
  auto object =
      llvmModule->getAttrOfType<mlir::DenseResourceElementsAttr>(kNativeObject);
  auto triple = llvmModule->getAttrOfType<mlir::StringAttr>(kNativeTriple);
  if (!object || !triple ||
      llvm::Triple(triple.getValue()).getArch() !=
          llvm::Triple(llvm::sys::getProcessTriple()).getArch())
    return nullptr;
  NativeCPU cpu;
  if (auto name = llvmModule->getAttrOfType<mlir::StringAttr>(kNativeCPU))
    cpu.cpu = name.str();
  if (auto f = llvmModule->getAttrOfType<mlir::StringAttr>(kNativeFeatures))
    cpu.features = f.str();
  if (cpu.cpu != "generic" || !cpu.features.empty()) {
    std::string missing = missingFeatures(cpu);
    if (!missing.empty()) {
      if (why)
        *why = "the model's native code was compiled for CPU '" + cpu.cpu +
               "'" + (cpu.features.empty() ? "" : " with " + cpu.features) +
               ", which needs " + missing + " that this CPU lacks";
      return nullptr;
    }
  }
  return object.getRawHandle().getBlob();
}

bool mxc::driver::hasNativeObject(mlir::ModuleOp llvmModule) {
  return nativeObject(llvmModule) != nullptr;
}

/// A model allocates and frees its intermediate buffers in every call. By
/// default glibc gives the top of its heap back to the kernel when they are
/// freed (and maps large ones anew each time), and the next call faults the
/// same pages in again, zeroed: measured, 491 brk calls and 12% of the time
/// of 20 tokens of the 85M model in the kernel. Freed memory stays in the
/// heap instead (at most what one call uses).
static void keepFreedMemory() {
#ifdef __GLIBC__
  static bool done = [] {
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    return true;
  }();
  (void)done;
#endif
}

llvm::Expected<std::unique_ptr<CompiledModel>>
CompiledModel::create(mlir::ModuleOp llvmModule, const LlamaConfig &config,
                      bool hostVectors) {
  initializeNativeTarget();
  if (llvmModule->hasAttr("gpu.container_module"))
    return error("the model is compiled for CUDA: it runs on a GPU "
                 "(mxc-gpu-runner model), not in the CPU JIT");
  const bool layers = llvmModule.lookupSymbol(layerCalibrationName(0));
  const bool calibration =
      layers || llvmModule.lookupSymbol("calibrate") != nullptr;
  if (!calibration && (!llvmModule.lookupSymbol("forward") ||
                       !llvmModule.lookupSymbol("decode")))
    return error("the module has neither @calibrate nor @forward and "
                 "@decode: not a model compiled by mxc");
  if (llvm::Error e = checkKernelDeclarations(llvmModule))
    return std::move(e);
  std::unique_ptr<CompiledModel> model(new CompiledModel(config, calibration));
  // Not for calibration: its calls are large (trimming costs little next to
  // them) and run on every core at once (the heap would keep them all).
  if (!calibration)
    keepFreedMemory();
  std::vector<std::string> entries;
  if (layers)
    for (int64_t l = 0; l < config.layers; ++l)
      entries.push_back(layerCalibrationName(l));
  else if (calibration)
    entries = {"calibrate"};
  else
    entries = {"forward", "decode"};
  // memref.copy of strided buffers calls memrefCopy from the runner utils.
  llvm::StringRef runnerUtils = MXC_MLIR_C_RUNNER_UTILS;
  llvm::StringMap<void *> found;

  std::string notRunnable;
  mlir::AsmResourceBlob *objectBlob = nativeObject(llvmModule, &notRunnable);
  if (!notRunnable.empty())
    llvm::errs() << "mxc: warning: " << notRunnable
                 << "; compiling the model for this CPU instead (recompile "
                    "it with --cpu=generic or a CPU this one can stand in "
                    "for to start faster)\n";
  if (objectBlob) {
    // Native code compiled by mxc-compile: linked, not compiled, here.
    llvm::StringMap<const void *> weights = externalizeWeights(llvmModule);
    std::string why;
    if (llvm::sys::DynamicLibrary::LoadLibraryPermanently(runnerUtils.data(),
                                                          &why))
      return error("cannot load " + runnerUtils + ": " + why);
    llvm::Expected<std::unique_ptr<llvm::orc::LLJIT>> jit =
        llvm::orc::LLJITBuilder().create();
    if (!jit)
      return error("cannot create the linker: " +
                   llvm::toString(jit.takeError()));
    llvm::orc::JITDylib &dylib = (*jit)->getMainJITDylib();
    auto process =
        llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
            (*jit)->getDataLayout().getGlobalPrefix());
    if (!process)
      return process.takeError();
    dylib.addGenerator(std::move(*process));
    llvm::orc::MangleAndInterner interner((*jit)->getExecutionSession(),
                                          (*jit)->getDataLayout());
    if (llvm::Error e = dylib.define(
            llvm::orc::absoluteSymbols(modelSymbols(weights, interner))))
      return std::move(e);
    llvm::ArrayRef<char> bytes = objectBlob->getData();
    if (llvm::Error e = (*jit)->addObjectFile(llvm::MemoryBuffer::getMemBuffer(
            llvm::StringRef(bytes.data(), bytes.size()), "mxc_model",
            /*RequiresNullTerminator=*/false)))
      return error("cannot link the model's native code: " +
                   llvm::toString(std::move(e)));
    for (const std::string &name : entries) {
      auto address = (*jit)->lookup("_mlir_ciface_" + name);
      if (!address)
        return error("the model's native code lacks the C interface of @" +
                     name + ": " + llvm::toString(address.takeError()));
      found[name] = address->toPtr<void *>();
    }
    model->native = std::move(*jit);
  } else {
    // Large constants (the weights) stay where they are: see
    // externalizeWeights.
    mlir::OwningOpRef<mlir::ModuleOp> jitModule = llvmModule.clone();
    for (llvm::StringRef name : {kNativeObject, kNativeTriple})
      (*jitModule)->removeAttr(name);
    llvm::StringMap<const void *> weights = externalizeWeights(*jitModule);
    mlir::ExecutionEngineOptions options;
    // Optimized for this CPU, LLVM's loop vectorizer sees its vector
    // registers; that makes the JIT compile about 3x slower.
    std::unique_ptr<llvm::TargetMachine> host;
    if (hostVectors) {
      if (auto builder = llvm::orc::JITTargetMachineBuilder::detectHost()) {
        if (auto machine = builder->createTargetMachine())
          host = std::move(*machine);
        else
          llvm::consumeError(machine.takeError());
      } else {
        llvm::consumeError(builder.takeError());
      }
    }
    auto transformer = mlir::makeOptimizingTransformer(2, 0, host.get());
    options.transformer = transformer;
    options.enablePerfNotificationListener = false;
    options.sharedLibPaths = llvm::ArrayRef<llvm::StringRef>(runnerUtils);
    auto engine = mlir::ExecutionEngine::create(*jitModule, options);
    if (!engine)
      return error("JIT compilation failed: " +
                   llvm::toString(engine.takeError()));
    model->jit = std::move(*engine);
    model->jit->registerSymbols([&](llvm::orc::MangleAndInterner interner) {
      return modelSymbols(weights, interner);
    });
    for (const std::string &name : entries) {
      auto address = model->jit->lookup("_mlir_ciface_" + name);
      if (!address)
        return error("the compiled model lacks the C interface of @" + name +
                     ": " + llvm::toString(address.takeError()));
      found[name] = *address;
    }
  }
  if (layers) {
    for (const std::string &name : entries)
      model->layerFns.push_back(reinterpret_cast<RowsFn>(found[name]));
  } else if (calibration) {
    model->forwardFn = reinterpret_cast<ForwardFn>(found["calibrate"]);
  } else {
    model->forwardFn = reinterpret_cast<ForwardFn>(found["forward"]);
    model->decodeFn = reinterpret_cast<DecodeFn>(found["decode"]);
    size_t size = 1;
    for (int64_t d : kvCacheShape(config))
      size *= d;
    // Left uninitialized: @decode reads only positions it has written, so
    // the pages of unused positions are never touched.
    model->kCache.reset(new (std::nothrow) float[size]);
    model->vCache.reset(new (std::nothrow) float[size]);
    if (!model->kCache || !model->vCache)
      return error("cannot allocate the KV cache (2 x " +
                   llvm::Twine(size * sizeof(float) >> 20) +
                   " MiB for seq_len " + llvm::Twine(config.seqLen) + ")");
  }
  return std::move(model);
}

namespace {
StridedMemRefType<int32_t, 1> tokensMemRef(llvm::ArrayRef<int32_t> tokens) {
  StridedMemRefType<int32_t, 1> input;
  input.basePtr = input.data = const_cast<int32_t *>(tokens.data());
  input.offset = 0;
  input.sizes[0] = static_cast<int64_t>(tokens.size());
  input.strides[0] = 1;
  return input;
}

std::vector<float> takeRows(StridedMemRefType<float, 2> &result, size_t rows,
                            int64_t width) {
  std::vector<float> values(result.data + result.offset,
                            result.data + result.offset + rows * width);
  free(result.basePtr);
  return values;
}

StridedMemRefType<float, 4> cacheMemRef(float *cache,
                                        const LlamaConfig &config) {
  StridedMemRefType<float, 4> m;
  m.basePtr = m.data = cache;
  m.offset = 0;
  llvm::SmallVector<int64_t, 4> shape = kvCacheShape(config);
  int64_t stride = 1;
  for (int d = 3; d >= 0; --d) {
    m.sizes[d] = shape[d];
    m.strides[d] = stride;
    stride *= shape[d];
  }
  return m;
}
} // namespace

std::vector<float> CompiledModel::forwardLayer(int64_t layer,
                                               llvm::ArrayRef<float> x) {
  assert(layer < static_cast<int64_t>(layerFns.size()) &&
         "not a calibration model of layers");
  const int64_t n = x.size() / config.dim;
  StridedMemRefType<float, 2> input;
  input.basePtr = input.data = const_cast<float *>(x.data());
  input.offset = 0;
  input.sizes[0] = n;
  input.sizes[1] = config.dim;
  input.strides[0] = config.dim;
  input.strides[1] = 1;
  StridedMemRefType<float, 2> result;
  layerFns[layer](&result, &input);
  return takeRows(result, n, layerCalibrationLayout(config, layer).total);
}

std::vector<float> CompiledModel::forward(llvm::ArrayRef<int32_t> tokens) {
  assert(forwardFn && "a calibration model of layers runs forwardLayer");
  StridedMemRefType<int32_t, 1> input = tokensMemRef(tokens);
  StridedMemRefType<float, 2> result;
  forwardFn(&result, &input);
  return takeRows(result, tokens.size(), columns);
}

llvm::Expected<std::vector<float>>
CompiledModel::decode(llvm::ArrayRef<int32_t> tokens) {
  if (calibration)
    return error("a calibration model has no @decode");
  if (position + static_cast<int64_t>(tokens.size()) > config.seqLen)
    return error("decoding past the model's sequence length " +
                 llvm::Twine(config.seqLen) + " (position " +
                 llvm::Twine(position) + ", " + llvm::Twine(tokens.size()) +
                 " more tokens)");
  StridedMemRefType<int32_t, 1> input = tokensMemRef(tokens);
  StridedMemRefType<float, 4> k = cacheMemRef(kCache.get(), config),
                              v = cacheMemRef(vCache.get(), config);
  StridedMemRefType<float, 2> result;
  decodeFn(&result, &input, position, &k, &v);
  position += tokens.size();
  return takeRows(result, tokens.size(), columns);
}

bool mxc::driver::worthVectorizingWindows(const LlamaConfig &c, int64_t windows,
                                          int64_t tokens) {
  const double kv = c.kvDim(), d = c.dim;
  const double params =
      c.layers * (2 * d * d + 2 * kv * d + 3 * d * c.hiddenDim) + c.vocab * d;
  return params * static_cast<double>(tokens) * windows >= 1e10;
}

void mxc::driver::setThreads(unsigned threads) {
  setThreadCount(threads);
  mxc::numerics::setLinalgThreads(threads);
}

llvm::Expected<std::unique_ptr<CompiledModel>>
mxc::driver::compileAndLoad(mlir::MLIRContext &context, const LlamaModel &model,
                            const CompileOptions &options) {
  CompileOptions lowered = options;
  lowered.stop = Stage::LLVM;
  auto module = compileModel(context, model, lowered);
  if (!module)
    return module.takeError();
  if (options.progress)
    options.progress("JIT-compiling");
  return CompiledModel::create(**module, model.config,
                               options.vectorizeWindows());
}

//===----------------------------------------------------------------------===//
// Calibration and evaluation
//===----------------------------------------------------------------------===//

/// `v` as printf's %g writes it.
static std::string shortest(double v) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", v);
  return text;
}

llvm::Error mxc::driver::SamplingOptions::check() const {
  if (!std::isfinite(temperature) || temperature < 0)
    return error("temperature must be >= 0 (0: greedy), not " +
                 shortest(temperature));
  if (topK < 0)
    return error("top-k must be >= 0 (0: off), not " + llvm::Twine(topK));
  if (!(topP > 0 && topP <= 1))
    return error("top-p must be in (0, 1] (1: off), not " + shortest(topP));
  if (!(minP >= 0 && minP < 1))
    return error("min-p must be in [0, 1) (0: off), not " + shortest(minP));
  if (!(repeatPenalty > 0) || !std::isfinite(repeatPenalty))
    return error("repeat-penalty must be > 0 (1: off), not " +
                 shortest(repeatPenalty));
  if (repeatLastN < 0)
    return error("repeat-last-n must be >= 0, not " + llvm::Twine(repeatLastN));
  return llvm::Error::success();
}

int32_t mxc::driver::sampleToken(llvm::ArrayRef<float> logits,
                                 llvm::ArrayRef<int32_t> history,
                                 const SamplingOptions &o,
                                 std::mt19937_64 &rng) {
  const int64_t vocab = logits.size();
  std::vector<double> l(logits.begin(), logits.end());
  // The repeat penalty, once per distinct token of the last repeatLastN.
  if (o.repeatPenalty != 1 && o.repeatLastN > 0) {
    std::vector<bool> seen(vocab, false);
    for (int32_t t : history.take_back(std::min<size_t>(
             history.size(), static_cast<size_t>(o.repeatLastN))))
      if (t >= 0 && t < vocab && !seen[t]) {
        seen[t] = true;
        l[t] = l[t] > 0 ? l[t] / o.repeatPenalty : l[t] * o.repeatPenalty;
      }
  }
  auto argmax = [&] {
    return static_cast<int32_t>(std::max_element(l.begin(), l.end()) -
                                l.begin());
  };
  if (o.temperature <= 0)
    return argmax();
  // The top-k candidates by logit, highest first (ties: lower id first);
  // only those are sorted, once per token.
  std::vector<int32_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  size_t keep = order.size();
  if (o.topK > 0)
    keep = std::min<size_t>(keep, o.topK);
  std::partial_sort(
      order.begin(), order.begin() + keep, order.end(),
      [&](int32_t a, int32_t b) { return l[a] != l[b] ? l[a] > l[b] : a < b; });
  // Probabilities of the top-k candidates (before the temperature).
  const double top = l[order[0]];
  std::vector<double> p(keep);
  double sum = 0;
  for (size_t i = 0; i < keep; ++i)
    sum += p[i] = std::exp(l[order[i]] - top);
  for (double &v : p)
    v /= sum;
  if (o.topP < 1) {
    double cumulative = 0;
    for (size_t i = 0; i < keep; ++i) {
      cumulative += p[i];
      if (cumulative >= o.topP) {
        keep = i + 1;
        break;
      }
    }
  }
  if (o.minP > 0) {
    size_t i = 1;
    while (i < keep && p[i] >= o.minP * p[0])
      ++i;
    keep = i;
  }
  std::vector<double> weights(keep);
  for (size_t i = 0; i < keep; ++i)
    weights[i] = std::exp((l[order[i]] - top) / o.temperature);
  return order[std::discrete_distribution<size_t>(weights.begin(),
                                                  weights.end())(rng)];
}

llvm::Expected<std::vector<int32_t>> mxc::driver::continueGeneration(
    CompiledModel &model, std::vector<int32_t> &history,
    llvm::ArrayRef<int32_t> input, int steps, const SamplingOptions &sampling,
    std::mt19937_64 &rng, const std::function<void(int32_t, int32_t)> &onToken,
    GenerationStats *stats) {
  const int64_t vocab = model.width(), seqLen = model.sequenceLength();
  if (model.getPosition() != static_cast<int64_t>(history.size()))
    return error("the KV cache holds " + llvm::Twine(model.getPosition()) +
                 " tokens, the history " + llvm::Twine(history.size()));
  if (input.empty() ||
      static_cast<int64_t>(history.size() + input.size()) > seqLen)
    return error("the text has " + llvm::Twine(history.size() + input.size()) +
                 " tokens; the model's sequence length is " +
                 llvm::Twine(seqLen));
  if (llvm::Error e = sampling.check())
    return std::move(e);
  GenerationStats local;
  if (!stats)
    stats = &local;
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  auto start = Clock::now();
  llvm::Expected<std::vector<float>> logits = model.decode(input);
  if (!logits)
    return logits.takeError();
  history.insert(history.end(), input.begin(), input.end());
  stats->promptTokens = input.size();
  stats->promptSeconds = since(start);
  auto decodeStart = Clock::now();
  llvm::ArrayRef<float> last(logits->data() + (input.size() - 1) * vocab,
                             vocab);
  std::vector<int32_t> generated;
  while (static_cast<int>(generated.size()) < steps &&
         static_cast<int64_t>(history.size()) < seqLen) {
    int32_t next = sampleToken(last, history, sampling, rng);
    if (generated.empty())
      stats->firstTokenSeconds = since(start);
    if (llvm::is_contained(sampling.stopTokens, next))
      break;
    if (onToken)
      onToken(history.back(), next);
    history.push_back(next);
    generated.push_back(next);
    logits = model.decode(next);
    if (!logits)
      return logits.takeError();
    last = llvm::ArrayRef<float>(logits->data(), vocab);
  }
  stats->generatedTokens = generated.size();
  stats->generationSeconds = since(decodeStart);
  return generated;
}

llvm::Expected<std::vector<int32_t>>
mxc::driver::generate(CompiledModel &model, std::vector<int32_t> tokens,
                      int steps, const SamplingOptions &sampling,
                      const std::function<void(int32_t, int32_t)> &onToken,
                      GenerationStats *stats) {
  if (tokens.empty() ||
      static_cast<int64_t>(tokens.size()) > model.sequenceLength())
    return error("a prompt has 1 to seq_len (" +
                 llvm::Twine(model.sequenceLength()) + ") tokens, not " +
                 llvm::Twine(tokens.size()));
  model.reset();
  std::vector<int32_t> history;
  std::mt19937_64 rng(sampling.seed);
  return continueGeneration(model, history, tokens, steps, sampling, rng,
                            onToken, stats);
}

llvm::Expected<std::string> mxc::driver::findTokenizer(llvm::StringRef model,
                                                       int64_t vocab) {
  llvm::SmallString<256> dir(model);
  if (!llvm::sys::fs::is_directory(model))
    llvm::sys::path::remove_filename(dir);
  for (std::string name :
       {"tok" + std::to_string(vocab) + ".bin", std::string("tokenizer.bin"),
        std::string("tokenizer.json")}) {
    llvm::SmallString<256> candidate(dir);
    llvm::sys::path::append(candidate, name);
    if (llvm::sys::fs::exists(candidate))
      return std::string(candidate);
  }
  return error("no tokenizer next to '" + model +
               "' (tok<vocab>.bin, tokenizer.bin or tokenizer.json); give "
               "--tokenizer");
}

std::vector<std::vector<int32_t>>
mxc::driver::windowsOf(const Tokenizer &tokenizer, llvm::StringRef text,
                       int64_t seqLen, int64_t limit) {
  std::vector<int32_t> all = tokenizer.encode(text, /*bos=*/false);
  std::vector<std::vector<int32_t>> windows;
  // A window holds BOS and at least one token (validateConfig refuses
  // seq_len < 2 where models enter).
  if (seqLen < 2)
    return windows;
  const size_t window = seqLen - 1;
  for (size_t begin = 0; begin < all.size(); begin += window) {
    if (limit > 0 && static_cast<int64_t>(windows.size()) == limit)
      break;
    std::vector<int32_t> tokens = {tokenizer.documentStart()};
    size_t end = std::min(all.size(), begin + window);
    tokens.insert(tokens.end(), all.begin() + begin, all.begin() + end);
    windows.push_back(std::move(tokens));
  }
  return windows;
}

/// Runs the calibration function over `windows` and accumulates the
/// statistics of every matmul input and every attention's softmax input.
double mxc::driver::recordedScore(llvm::ArrayRef<float> record,
                                  const CalibrationLayout &layout,
                                  const CalibrationLayout::Layer &layer,
                                  const LlamaConfig &c, int64_t h, int64_t i,
                                  int64_t j) {
  const int64_t hd = c.headDim(), group = c.heads / c.kvHeads;
  double dot = 0;
  for (int64_t d = 0; d < hd; ++d)
    dot += record[i * layout.total + layer.query + h * hd + d] *
           record[j * layout.total + layer.key + (h / group) * hd + d];
  return dot / std::sqrt(static_cast<double>(hd));
}

/// "3 of 192, 2.1 s, ETA 130 s": how far a loop of `total` steps is after
/// `done` of them, `seconds` in.
static std::string stepsText(size_t done, size_t total, double seconds) {
  double eta = done ? seconds / done * (total - done) : 0;
  return llvm::formatv("{0} of {1}, {2:F1} s, ETA {3:F0} s", done, total,
                       seconds, eta)
      .str();
}

CalibrationAccumulator::CalibrationAccumulator(const LlamaConfig &config,
                                               CalibrationLayout layout)
    : c(config), layout(std::move(layout)) {
  // The distinct matmul inputs: per layer the attention input, attention
  // output, FFN input and FFN hidden; then the classifier input.
  auto addInput = [&](int64_t offset, int64_t width) {
    inputs.push_back({offset, width, std::vector<float>(width, 0.0f),
                      std::vector<double>(width * (width + 1) / 2, 0.0)});
  };
  for (const CalibrationLayout::Layer &l : this->layout.layers) {
    addInput(l.attentionInput, c.dim);
    addInput(l.attentionOutput, c.dim);
    addInput(l.ffnInput, c.dim);
    addInput(l.ffnHidden, c.hiddenDim);
    softmax.emplace_back();
  }
  if (this->layout.classifierInput >= 0)
    addInput(this->layout.classifierInput, c.dim);
}

CalibrationAccumulator::~CalibrationAccumulator() = default;

void CalibrationAccumulator::accumulateInput(Input &in,
                                             llvm::ArrayRef<float> record,
                                             int64_t n) {
  std::vector<float> x(n * in.width);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < in.width; ++j) {
      float v = record[r * layout.total + in.offset + j];
      x[r * in.width + j] = v;
      in.absMax[j] = std::max(in.absMax[j], std::fabs(v));
    }
  // accumulateHessian's factor is 2/total: total 2 gives the plain sum.
  mxc::numerics::accumulateHessianPacked(x.data(), n, in.width, 2, in.hessian);
}

namespace {
/// One head's rows of a window for summarizeSoftmax: the scores of query
/// rows `q` (n x headDim) with the keys `kt` (headDim x stride, transposed)
/// over the causal keys, each row's maximum into `rowMax`, and the sums of
/// d = score - row max into `out`. The keys in blocks of 8, their sums in
/// registers; each product rounded to float and summed in double, in d order,
/// as recordedScore does (no fused multiply-add: the same sums on every
/// CPU).
struct HeadRows {
  const float *q, *kt;
  int64_t n, headDim, stride;
  double norm;
  double *scores, *rowMax;
};
static constexpr int64_t kSoftmaxKeys = 8;

[[gnu::always_inline]] inline void
summarizeHeadRowsBody(const HeadRows &a,
                      CalibrationAccumulator::Summary::Layer &out) {
#pragma clang fp contract(off)
  for (int64_t i = 0; i < a.n; ++i) {
    const float *qi = a.q + i * a.headDim;
    for (int64_t j0 = 0; j0 <= i; j0 += kSoftmaxKeys) {
      double dot[kSoftmaxKeys] = {};
      for (int64_t d = 0; d < a.headDim; ++d) {
        const float qd = qi[d], *kd = a.kt + d * a.stride + j0;
        for (int64_t u = 0; u < kSoftmaxKeys; ++u)
          dot[u] += static_cast<double>(qd * kd[u]);
      }
      for (int64_t u = 0; u < kSoftmaxKeys; ++u)
        a.scores[j0 + u] = dot[u];
    }
    // Divided in a loop of its own, which vectorizes.
    double m = -INFINITY;
    for (int64_t j = 0; j <= i; ++j)
      a.scores[j] /= a.norm;
    for (int64_t j = 0; j <= i; ++j)
      m = std::max(m, a.scores[j]);
    a.rowMax[i] = m;
    // The row's sums in four independent parts (no chain of dependent
    // additions).
    double sum[4] = {}, sumSq[4] = {},
           min[4] = {out.min, out.min, out.min, out.min};
    int64_t j = 0;
    for (; j + 4 <= i + 1; j += 4)
      for (int64_t u = 0; u < 4; ++u) {
        double d = a.scores[j + u] - m;
        sum[u] += d;
        sumSq[u] += d * d;
        min[u] = std::min(min[u], d);
      }
    for (; j <= i; ++j) {
      double d = a.scores[j] - m;
      sum[0] += d;
      sumSq[0] += d * d;
      min[0] = std::min(min[0], d);
    }
    out.sum += (sum[0] + sum[1]) + (sum[2] + sum[3]);
    out.sumSq += (sumSq[0] + sumSq[1]) + (sumSq[2] + sumSq[3]);
    out.min = std::min(std::min(min[0], min[1]), std::min(min[2], min[3]));
  }
}

#if defined(__x86_64__) && defined(__clang__)
[[gnu::target("avx2")]] void
summarizeHeadRowsAVX2(const HeadRows &a,
                      CalibrationAccumulator::Summary::Layer &out) {
  summarizeHeadRowsBody(a, out);
}
#endif

void summarizeHeadRows(const HeadRows &a,
                       CalibrationAccumulator::Summary::Layer &out) {
#if defined(__x86_64__) && defined(__clang__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2)
    return summarizeHeadRowsAVX2(a, out);
#endif
  summarizeHeadRowsBody(a, out);
}
} // namespace

// Layer l's softmax inputs: d = score - row max over the causal keys, every
// head: the window's sums of d and d^2 and its minimum, and each row's
// maximum (from which add() recomputes the few d it keeps). The scores are
// recordedScore's, from copies of the head's query rows and of its key rows
// transposed (the record's rows are far apart).
CalibrationAccumulator::Summary::Layer
CalibrationAccumulator::summarizeSoftmax(size_t l, llvm::ArrayRef<float> record,
                                         int64_t n) const {
  const int64_t headDim = c.headDim(), group = c.heads / c.kvHeads;
  const CalibrationLayout::Layer &layer = layout.layers[l];
  Summary::Layer out;
  out.rowMax.resize(c.heads * n);
  // The transposed rows padded to a multiple of the key block.
  const int64_t stride = (n + kSoftmaxKeys - 1) / kSoftmaxKeys * kSoftmaxKeys;
  std::vector<float> q(n * headDim), kt(headDim * stride, 0.0f);
  std::vector<double> scores(stride);
  for (int64_t h = 0; h < c.heads; ++h) {
    if (h % group == 0)
      for (int64_t j = 0; j < n; ++j)
        for (int64_t d = 0; d < headDim; ++d)
          kt[d * stride + j] =
              record[j * layout.total + layer.key + h / group * headDim + d];
    for (int64_t i = 0; i < n; ++i)
      std::copy_n(record.data() + i * layout.total + layer.query + h * headDim,
                  headDim, q.data() + i * headDim);
    summarizeHeadRows({q.data(), kt.data(), n, headDim, stride,
                       std::sqrt(static_cast<double>(headDim)), scores.data(),
                       out.rowMax.data() + h * n},
                      out);
  }
  return out;
}

// The window's d in the stream's order (head, query row, key): the sample
// keeps a few of them, recomputed from the record.
void CalibrationAccumulator::accumulateSoftmax(size_t l,
                                               llvm::ArrayRef<float> record,
                                               int64_t n,
                                               const Summary::Layer &summary) {
  Softmax &s = softmax[l];
  s.sum += summary.sum;
  s.sumSq += summary.sumSq;
  s.min = std::min(s.min, summary.min);
  const int64_t perHead = n * (n + 1) / 2;
  s.samples.addMany(c.heads * perHead, [&](int64_t index) {
    const int64_t h = index / perHead, k = index % perHead;
    // Row i holds keys 0..i: it starts at i (i + 1) / 2.
    int64_t i = static_cast<int64_t>((std::sqrt(8.0 * k + 1) - 1) / 2);
    while (i * (i + 1) / 2 > k)
      --i;
    while ((i + 1) * (i + 2) / 2 <= k)
      ++i;
    const int64_t j = k - i * (i + 1) / 2;
    return static_cast<float>(
        recordedScore(record, layout, layout.layers[l], c, h, i, j) -
        summary.rowMax[h * n + i]);
  });
}

CalibrationAccumulator::Summary
CalibrationAccumulator::summarize(llvm::ArrayRef<float> record,
                                  int64_t n) const {
  Summary summary;
  for (size_t l = 0; l < softmax.size(); ++l)
    summary.layers.push_back(summarizeSoftmax(l, record, n));
  return summary;
}

void CalibrationAccumulator::add(llvm::ArrayRef<float> record, int64_t n,
                                 Summary summary) {
  rows += n;
  // Each input's statistics on their own (the BLAS single-threaded under
  // them); then the layers' attention statistics, in layer order.
  {
    mxc::numerics::SingleThreadedLinalg blas;
    llvm::parallelFor(0, inputs.size(), [&](size_t input) {
      accumulateInput(inputs[input], record, n);
    });
  }
  for (size_t l = 0; l < softmax.size(); ++l)
    accumulateSoftmax(l, record, n, summary.layers[l]);
}

LlamaStatistics CalibrationAccumulator::finish() {
  LlamaStatistics stats;
  // Each input's Hessian once, shared by the matmuls that read it.
  std::vector<std::shared_ptr<const std::vector<float>>> hessians;
  for (Input &in : inputs) {
    hessians.push_back(std::make_shared<std::vector<float>>(
        mxc::numerics::unpackHessian(in.hessian, in.width, rows)));
    in.hessian = {};
  }
  auto finishInput = [&](size_t input) {
    stats.actAbsMax.push_back(inputs[input].absMax);
    stats.hessian.push_back(hessians[input]);
  };
  // The builder's matmul order: wq, wk, wv, wo, w1, w3, w2 per layer.
  for (size_t l = 0; l < layout.layers.size(); ++l)
    for (int which : {0, 0, 0, 1, 2, 2, 3})
      finishInput(l * 4 + which);
  if (layout.classifierInput >= 0)
    finishInput(inputs.size() - 1);
  for (Softmax &s : softmax) {
    const int64_t count = s.samples.count();
    double mean = count ? s.sum / count : 0;
    double var = count ? std::max(0.0, s.sumSq / count - mean * mean) : 0;
    stats.softmax.push_back({std::min(mean, 0.0), std::sqrt(var), s.min, count,
                             s.samples.sample()});
  }
  return stats;
}

namespace {
/// A window's calibration record and its summary, both computed in
/// parallel with other windows'.
struct Recorded {
  std::vector<float> record;
  CalibrationAccumulator::Summary summary;
  static Recorded of(const CalibrationAccumulator &statistics,
                     std::vector<float> record, int64_t rows) {
    CalibrationAccumulator::Summary summary =
        statistics.summarize(record, rows);
    return {std::move(record), std::move(summary)};
  }
};
} // namespace

LlamaStatistics
mxc::driver::calibrate(CompiledModel &calibration, const LlamaConfig &c,
                       const std::vector<std::vector<int32_t>> &windows,
                       const Progress &progress) {
  auto start = std::chrono::steady_clock::now();
  CalibrationAccumulator statistics(c, calibrationLayout(c));
  // The forward passes of up to getThreadCount() windows run in parallel;
  // then their statistics, in window order, so that the result does not
  // depend on the thread count.
  parallelForInOrder<Recorded>(
      windows.size(),
      [&](size_t w) {
        return Recorded::of(statistics, calibration.forward(windows[w]),
                            windows[w].size());
      },
      [&](size_t w, Recorded &&r) {
        statistics.add(r.record, windows[w].size(), std::move(r.summary));
        if (progress)
          progress("calibration window " +
                   stepsText(w + 1, windows.size(),
                             std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start)
                                 .count()));
      });
  return statistics.finish();
}

/// The dialect resources that `module`'s attributes refer to.
static llvm::DenseSet<mlir::DialectResourceBlobManager::BlobEntry *>
referencedResources(mlir::ModuleOp module) {
  llvm::DenseSet<mlir::DialectResourceBlobManager::BlobEntry *> found;
  module->walk([&](mlir::Operation *op) {
    op->getAttrDictionary().walk([&](mlir::DenseResourceElementsAttr a) {
      found.insert(a.getRawHandle().getResource());
    });
  });
  return found;
}

/// Erases the constants that nothing uses (weights a pass replaced), then
/// frees the data of the resources in `before` that `module` no longer
/// refers to, and returns those it refers to now. Only for resources that
/// nothing but `module` refers to (what the driver built for it and what
/// its passes created).
static llvm::DenseSet<mlir::DialectResourceBlobManager::BlobEntry *>
releaseDropped(
    mlir::ModuleOp module,
    const llvm::DenseSet<mlir::DialectResourceBlobManager::BlobEntry *>
        &before) {
  module->walk([](mlir::arith::ConstantOp constant) {
    if (constant->use_empty())
      constant->erase();
  });
  llvm::DenseSet<mlir::DialectResourceBlobManager::BlobEntry *> now =
      referencedResources(module);
  for (mlir::DialectResourceBlobManager::BlobEntry *entry : before)
    if (!now.contains(entry))
      entry->setBlob(mlir::AsmResourceBlob());
  return now;
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
mxc::driver::compileModelLayerwise(
    mlir::MLIRContext &context, const LlamaModel &model,
    const std::vector<std::vector<int32_t>> &windows,
    const CompileOptions &options) {
  const LlamaConfig &c = model.config;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      buildModel(context, model, options);
  const char *calibrateStage =
      "calibrate, one layer at a time (with the JIT compile)";
  auto timed = [&](const char *stage) {
    return options.timing ? options.timing->nest(stage) : mlir::TimingScope();
  };
  // Every layer's calibration function, in one module compiled once
  // (none without calibration windows).
  const bool calibrated = !windows.empty();
  std::unique_ptr<CompiledModel> calibration;
  if (calibrated) {
    mlir::TimingScope timer = timed(calibrateStage);
    CompileOptions layers;
    layers.calibration = true;
    layers.calibrationLayers = true;
    layers.rowsInnermost = worthVectorizingWindows(c, windows.size(), c.seqLen);
    layers.progress = options.progress;
    llvm::Expected<std::unique_ptr<CompiledModel>> compiled =
        compileAndLoad(context, model, layers);
    if (!compiled)
      return compiled.takeError();
    calibration = std::move(*compiled);
  }
  // A layer's float weights are read by its calibration and quantization
  // only (unless they stay float): the pages of a mapped checkpoint (the
  // loader's checks touched them all) are dropped until then, and again
  // after; deferred ones (LoadOptions::deferConversion) are converted then.
  auto weightsOf = [](const LlamaLayer &layer) {
    return std::array<llvm::ArrayRef<float>, 7>{
        layer.wq, layer.wk, layer.wv, layer.wo, layer.w1, layer.w3, layer.w2};
  };
  for (const LlamaLayer &layer : model.layers)
    for (llvm::ArrayRef<float> w : weightsOf(layer))
      model.releasePages(w);
  // Each window's residual stream: the embedding rows, then each layer's
  // float output.
  std::vector<std::vector<float>> rows(windows.size());
  for (auto [window, tokens] : llvm::zip_equal(rows, windows)) {
    window.resize(tokens.size() * c.dim);
    for (auto [r, token] : llvm::enumerate(tokens))
      std::copy_n(model.tokenEmbedding.data() + token * c.dim, c.dim,
                  window.data() + r * c.dim);
  }

  PassRunner runner(context, options);
  // The smoothing and weight passes on the matmuls of one scope (a layer,
  // or the classifier), the rest excluded; then their statistics are
  // detached, and the data that nothing refers to any more (statistics,
  // smoothed float weights) is freed.
  auto quantize = [&](const std::vector<std::string> &names,
                      const std::vector<std::string> &exclude,
                      const llvm::Twine &what) -> llvm::Error {
    auto live = referencedResources(*module);
    for (Recipe::Passes group :
         {Recipe::Passes::Smooth, Recipe::Passes::Weights}) {
      mlir::PassManager pm(&context);
      options.recipe.buildPipeline(pm, options.report, options.only, group,
                                   exclude);
      if (!pm.size())
        continue;
      // One timer per group for all layers (each layer's passes are new
      // instances, which the pass timing would list apart).
      mlir::TimingScope quantizing = timed("quantizing");
      mlir::TimingScope timer = quantizing.nest(
          group == Recipe::Passes::Smooth ? "SmoothQuant" : "weight passes");
      if (llvm::Error e = runner.run(pm, *module, "quantizing: " + what,
                                     /*timed=*/false))
        return e;
      live = releaseDropped(*module, live);
    }
    detachInputStatistics(*module, names);
    releaseDropped(*module, live);
    return llvm::Error::success();
  };

  auto start = std::chrono::steady_clock::now();
  for (int64_t l = 0; l < c.layers; ++l) {
    const CalibrationLayout layout = layerCalibrationLayout(c, l);
    for (llvm::ArrayRef<float> w : weightsOf(model.layers[l]))
      model.materialize(w);
    LlamaStatistics stats;
    if (calibrated) {
      mlir::TimingScope timer = timed(calibrateStage);
      CalibrationAccumulator statistics(c, layout);
      // As calibrate(): windows in parallel, statistics in window order.
      parallelForInOrder<Recorded>(
          windows.size(),
          [&](size_t w) {
            return Recorded::of(statistics,
                                calibration->forwardLayer(l, rows[w]),
                                windows[w].size());
          },
          [&](size_t w, Recorded &&recorded) {
            const int64_t n = windows[w].size();
            const std::vector<float> &record = recorded.record;
            statistics.add(record, n, std::move(recorded.summary));
            for (int64_t r = 0; r < n; ++r)
              std::copy_n(record.data() + r * layout.total + layout.output,
                          c.dim, rows[w].data() + r * c.dim);
          });
      stats = statistics.finish();
    }
    const std::string p = "layers." + std::to_string(l) + ".";
    // The statistics' order: wq, wk, wv, wo, w1, w3, w2, then the
    // classifier after the last layer.
    const std::vector<std::string> names = {
        p + "wq", p + "wk", p + "wv", p + "wo", p + "w1", p + "w3", p + "w2"};
    if (calibrated) {
      for (auto [first, count] :
           {std::pair{0, 3}, std::pair{3, 1}, std::pair{4, 2}, std::pair{6, 1}})
        attachInputStatistics(*module,
                              llvm::ArrayRef(names).slice(first, count),
                              stats.actAbsMax[first], stats.hessian[first]);
      attachSoftmaxStatistics(*module, l, stats.softmax.front());
    }
    std::vector<std::string> others = {"classifier"};
    for (int64_t o = 0; o < c.layers; ++o)
      if (o != l)
        others.push_back("layers." + std::to_string(o) + ".");
    if (llvm::Error e =
            quantize(names, others,
                     "layer " + llvm::Twine(l + 1) + " of " +
                         llvm::Twine(c.layers) + " (" +
                         stepsText(l, c.layers,
                                   std::chrono::duration<double>(
                                       std::chrono::steady_clock::now() - start)
                                       .count()) +
                         ")"))
      return std::move(e);
    // The weights quantized (no float weight left in the module) go.
    llvm::StringSet<> stillFloat;
    module->walk([&](mlir::mxc::MatmulOp op) {
      if (llvm::isa<mlir::RankedTensorType>(op.getWeight().getType()))
        if (auto name = llvm::dyn_cast<mlir::NameLoc>(op.getLoc()))
          stillFloat.insert(name.getName().getValue());
    });
    for (auto [name, w] : llvm::zip_equal(names, weightsOf(model.layers[l])))
      if (!stillFloat.contains(name))
        model.releasePages(w);
#ifdef __GLIBC__
    // What the layer freed goes back to the system, not only to the heap
    // (the threads' arenas keep it otherwise).
    malloc_trim(0);
#endif
    if (l == c.layers - 1) {
      if (calibrated)
        attachInputStatistics(*module, {"classifier"}, stats.actAbsMax.back(),
                              stats.hessian.back());
      if (llvm::Error e = quantize({"classifier"}, {"layers."}, "classifier"))
        return std::move(e);
    }
  }
  calibration.reset();
  rows = {};

  CompileOptions rest = options;
  rest.recipePasses = Recipe::Passes::AfterWeights;
  return compileModule(context, std::move(module), rest);
}

namespace {
/// log of the softmax normalizer of `row`.
double logPartition(const float *row, int64_t vocab) {
  double m = *std::max_element(row, row + vocab), sum = 0;
  for (int64_t v = 0; v < vocab; ++v)
    sum += std::exp(row[v] - m);
  return m + std::log(sum);
}
} // namespace

Evaluation
mxc::driver::evaluate(CompiledModel &model, CompiledModel *reference,
                      const std::vector<std::vector<int32_t>> &windows,
                      const Progress &progress,
                      std::vector<std::vector<float>> *referenceLogits) {
  const int64_t vocab = model.width();
  std::vector<std::vector<float>> uncached;
  if (!referenceLogits)
    referenceLogits = &uncached;
  referenceLogits->resize(windows.size());
  Evaluation e;
  if (reference) {
    e.tokenCount.assign(vocab, 0);
    e.tokenDifference.assign(vocab, 0.0);
  }
  double nll = 0, nllSquares = 0, kl = 0, referenceNLL = 0;
  // Per window: tokens and the summed NLL difference to the reference.
  std::vector<std::pair<int64_t, double>> differences;
  auto start = std::chrono::steady_clock::now();
  // Up to getThreadCount() windows run in parallel; the sums are taken in
  // window order, so that the result does not depend on the thread count.
  parallelForInOrder<std::vector<float>>(
      windows.size(),
      [&](size_t w) {
        std::vector<float> &floatLogits = (*referenceLogits)[w];
        if (reference && floatLogits.empty())
          floatLogits = reference->forward(windows[w]);
        return model.forward(windows[w]);
      },
      [&](size_t w, std::vector<float> &&logits) {
        const std::vector<int32_t> &tokens = windows[w];
        std::vector<float> &floatLogits = (*referenceLogits)[w];
        int64_t windowTokens = 0;
        double windowDifference = 0;
        for (size_t i = 0; i + 1 < tokens.size(); ++i) {
          const float *row = logits.data() + i * vocab;
          double logZ = logPartition(row, vocab);
          double tokenNLL = logZ - row[tokens[i + 1]];
          nll += tokenNLL;
          nllSquares += tokenNLL * tokenNLL;
          if (reference) {
            const float *f = floatLogits.data() + i * vocab;
            double logFZ = logPartition(f, vocab);
            for (int64_t v = 0; v < vocab; ++v) {
              double lp = f[v] - logFZ;
              kl += std::exp(lp) * (lp - (row[v] - logZ));
            }
            double floatNLL = logFZ - f[tokens[i + 1]];
            referenceNLL += floatNLL;
            windowDifference += tokenNLL - floatNLL;
            ++e.tokenCount[tokens[i + 1]];
            e.tokenDifference[tokens[i + 1]] += tokenNLL - floatNLL;
          }
          ++windowTokens;
          ++e.tokens;
        }
        if (reference && windowTokens)
          differences.push_back({windowTokens, windowDifference});
        if (referenceLogits == &uncached)
          floatLogits.clear();
        if (progress && e.tokens)
          progress(llvm::formatv(
              "window {0}: perplexity {1:F4}",
              stepsText(w + 1, windows.size(),
                        std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - start)
                            .count()),
              std::exp(nll / e.tokens)));
      });
  e.windows = windows.size();
  e.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (e.tokens) {
    e.meanNLL = nll / e.tokens;
    e.perplexity = std::exp(e.meanNLL);
    e.meanKL = kl / e.tokens;
    if (e.tokens > 1) {
      double variance = (nllSquares / e.tokens - e.meanNLL * e.meanNLL) *
                        e.tokens / (e.tokens - 1);
      e.nllStdErr = std::sqrt(std::max(variance, 0.0) / e.tokens);
      e.perplexityStdErr = e.perplexity * e.nllStdErr;
    }
    if (reference) {
      e.referenceMeanNLL = referenceNLL / e.tokens;
      const double mean = e.meanNLL - e.referenceMeanNLL;
      const double count = differences.size();
      if (count > 1) {
        double squares = 0;
        for (auto [n, d] : differences)
          squares += (d - mean * n) * (d - mean * n);
        e.differenceStdErr =
            std::sqrt(squares * count / (count - 1)) / e.tokens;
      }
    }
  }
  return e;
}
