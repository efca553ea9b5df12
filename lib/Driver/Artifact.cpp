//===- Artifact.cpp - A compiled model in one file ------------------------===//

#include "mxc/Driver/Artifact.h"
#include "mxc/Driver/Compiler.h"
#include "mxc/Support/Output.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mxc::driver;
using namespace mxc::frontend;

namespace {
llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

constexpr const char *kIntegers[] = {
    "dim", "hidden_dim", "layers", "heads", "kv_heads", "vocab", "seq_len"};

int64_t *integerField(LlamaConfig &c, llvm::StringRef name) {
  int64_t *fields[] = {&c.dim,     &c.hiddenDim, &c.layers, &c.heads,
                       &c.kvHeads, &c.vocab,     &c.seqLen};
  for (auto [i, key] : llvm::enumerate(kIntegers))
    if (name == key)
      return fields[i];
  return nullptr;
}
} // namespace

void mxc::driver::attachModelInfo(mlir::ModuleOp module,
                                  const LlamaConfig &config,
                                  const Recipe &recipe,
                                  llvm::StringRef tokenizerBytes) {
  mlir::Builder b(module.getContext());
  LlamaConfig c = config;
  llvm::SmallVector<mlir::NamedAttribute> fields;
  for (const char *key : kIntegers)
    fields.push_back(
        b.getNamedAttr(key, b.getI64IntegerAttr(*integerField(c, key))));
  fields.push_back(
      b.getNamedAttr("norm_eps", b.getF64FloatAttr(config.normEps)));
  fields.push_back(
      b.getNamedAttr("rope_theta", b.getF64FloatAttr(config.ropeTheta)));
  if (!config.ropeFreqFactors.empty())
    fields.push_back(b.getNamedAttr(
        "rope_freq_factors", b.getDenseF32ArrayAttr(config.ropeFreqFactors)));
  module->setAttr("mxc.model", b.getDictionaryAttr(fields));
  module->setAttr("mxc.recipe", b.getStringAttr(recipe.str()));
  auto type = mlir::RankedTensorType::get(
      {static_cast<int64_t>(tokenizerBytes.size())}, b.getI8Type());
  module->setAttr("mxc.tokenizer",
                  mlir::DenseResourceElementsAttr::get(
                      type, "mxc_tokenizer",
                      mlir::HeapAsmResourceBlob::allocateAndCopyInferAlign(
                          llvm::ArrayRef<char>(tokenizerBytes.data(),
                                               tokenizerBytes.size()))));
}

llvm::Error mxc::driver::writeBytecode(mlir::ModuleOp module,
                                       llvm::StringRef path) {
  return mxc::writeFileAtomically(
      path, [&](llvm::raw_fd_ostream &os) -> llvm::Error {
        if (mlir::failed(mlir::writeBytecodeToFile(module, os)))
          return error("cannot write the bytecode of the model to '" + path +
                       "'");
        return llvm::Error::success();
      });
}

llvm::Error mxc::driver::writeObject(mlir::ModuleOp module,
                                     const LlamaConfig &config,
                                     llvm::StringRef path) {
  mlir::OwningOpRef<mlir::ModuleOp> copy = module.clone();
  {
    // The description a loader needs to size the KV caches.
    mlir::OpBuilder b = mlir::OpBuilder::atBlockEnd(copy->getBody());
    LlamaConfig c = config;
    llvm::SmallVector<int64_t> values;
    for (const char *key : kIntegers)
      values.push_back(*integerField(c, key));
    auto type = mlir::LLVM::LLVMArrayType::get(b.getI64Type(), values.size());
    mlir::LLVM::GlobalOp::create(b, copy->getLoc(), type, /*isConstant=*/true,
                                 mlir::LLVM::Linkage::External,
                                 "mxc_model_config",
                                 b.getI64TensorAttr(values));
    // How @decode takes its position: 0, an integer; 1, a memref<1xi64> in
    // device memory (mxc-gpu-device-position), whose descriptor's address
    // the C interface takes in its place.
    auto decode =
        copy->lookupSymbol<mlir::LLVM::LLVMFuncOp>("_mlir_ciface_decode");
    const bool onDevice =
        decode && decode.getNumArguments() > 2 &&
        mlir::isa<mlir::LLVM::LLVMPointerType>(decode.getArgumentTypes()[2]);
    mlir::LLVM::GlobalOp::create(
        b, copy->getLoc(), b.getI64Type(), /*isConstant=*/true,
        mlir::LLVM::Linkage::External, "mxc_decode_position_on_device",
        b.getI64IntegerAttr(onDevice));
  }
  // Not optimized further: the CUDA host code only launches kernels.
  llvm::Expected<std::string> object =
      emitHostObject(*copy, /*optimize=*/false);
  if (!object)
    return object.takeError();
  return mxc::writeFileAtomically(path,
                                  [&](llvm::raw_fd_ostream &os) -> llvm::Error {
                                    os << *object;
                                    return llvm::Error::success();
                                  });
}

bool mxc::driver::isBytecodeFile(llvm::StringRef path) {
  if (llvm::sys::fs::is_directory(path))
    return false;
  auto buffer = llvm::MemoryBuffer::getFileSlice(path, 4, 0);
  return buffer && (*buffer)->getBuffer() == llvm::StringRef("ML\xefR", 4);
}

llvm::Expected<Artifact> mxc::driver::readArtifact(mlir::MLIRContext &context,
                                                   llvm::StringRef path) {
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    os << d << "\n";
    return mlir::success();
  });
  mlir::ParserConfig config(&context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(path, config);
  if (!module)
    return error("cannot read the compiled model '" + path +
                 "': " + diagnostics);
  auto invalid = [&](const llvm::Twine &why) {
    return error("'" + path +
                 "' is not a model compiled by mxc-compile: " + why);
  };
  Artifact a;
  auto info = (*module)->getAttrOfType<mlir::DictionaryAttr>("mxc.model");
  if (!info)
    return invalid("no mxc.model attribute");
  for (mlir::NamedAttribute field : info) {
    if (int64_t *v = integerField(a.config, field.getName())) {
      auto i = llvm::dyn_cast<mlir::IntegerAttr>(field.getValue());
      if (!i || i.getInt() <= 0)
        return invalid("mxc.model field '" + field.getName().getValue() +
                       "' is not a positive integer");
      *v = i.getInt();
    } else if (auto f = llvm::dyn_cast<mlir::FloatAttr>(field.getValue())) {
      (field.getName() == "norm_eps" ? a.config.normEps : a.config.ropeTheta) =
          f.getValueAsDouble();
    } else if (auto factors =
                   llvm::dyn_cast<mlir::DenseF32ArrayAttr>(field.getValue())) {
      a.config.ropeFreqFactors.assign(factors.asArrayRef().begin(),
                                      factors.asArrayRef().end());
    }
  }
  for (const char *key : kIntegers)
    if (*integerField(a.config, key) <= 0)
      return invalid("mxc.model lacks '" + llvm::Twine(key) + "'");
  if (llvm::Error e = frontend::validateConfig(a.config, path))
    return std::move(e);
  if (auto recipe = (*module)->getAttrOfType<mlir::StringAttr>("mxc.recipe"))
    a.recipe = recipe.str();
  if (auto tok = (*module)->getAttrOfType<mlir::DenseResourceElementsAttr>(
          "mxc.tokenizer")) {
    mlir::AsmResourceBlob *blob = tok.getRawHandle().getBlob();
    if (!blob)
      return invalid("the tokenizer resource has no data");
    llvm::ArrayRef<char> bytes = blob->getData();
    llvm::Expected<Tokenizer> tokenizer =
        Tokenizer::parse(llvm::StringRef(bytes.data(), bytes.size()),
                         a.config.vocab, path.str() + " (embedded tokenizer)");
    if (!tokenizer)
      return tokenizer.takeError();
    a.tokenizer = std::move(*tokenizer);
  }
  for (llvm::StringRef name : {"mxc.model", "mxc.recipe", "mxc.tokenizer"})
    (*module)->removeAttr(name);
  a.module = std::move(module);
  return std::move(a);
}
