//===- FuzzSafetensors.cpp - libFuzzer target: safetensors files ----------===//
//
// Any bytes as the model.safetensors of a small Llama (dim 16, 1 layer,
// vocab 8): a model or an error, never a crash or a read outside the file.
//
//===----------------------------------------------------------------------===//

#include "mxc/Frontend/Checkpoint.h"

#include "llvm/Support/MemoryBuffer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mxc::frontend::HuggingFaceConfig hf;
  mxc::frontend::LlamaConfig &c = hf.config;
  c.dim = 16;
  c.hiddenDim = 24;
  c.layers = 1;
  c.heads = 4;
  c.kvHeads = 2;
  c.vocab = 8;
  c.seqLen = 8;
  hf.tiedEmbeddings = size % 2;
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
      llvm::StringRef(reinterpret_cast<const char *>(data), size),
      "fuzz.safetensors");
  llvm::Expected<mxc::frontend::LlamaModel> model =
      mxc::frontend::readSafetensors(std::move(buffer), hf, "fuzz.safetensors");
  if (!model)
    llvm::consumeError(model.takeError());
  return 0;
}
