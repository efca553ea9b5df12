//===- FuzzGGUF.cpp - libFuzzer target: GGUF files ------------------------===//
//
// Any bytes as a GGUF file: parsed, every tensor decoded, and loaded as a
// llama model: a result or an error, never a crash or a read outside the
// file.
//
//===----------------------------------------------------------------------===//

#include "mxc/Frontend/GGUF.h"

#include "llvm/Support/MemoryBuffer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::Expected<mxc::frontend::GGUFFile> file = mxc::frontend::parseGGUF(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "fuzz.gguf"), "fuzz.gguf");
  if (file) {
    for (const mxc::frontend::GGUFTensor &t : file->tensors) {
      llvm::Expected<std::vector<float>> values =
          mxc::frontend::decodeGGMLTensor(t, "fuzz.gguf");
      if (!values)
        llvm::consumeError(values.takeError());
    }
  } else {
    llvm::consumeError(file.takeError());
  }
  llvm::Expected<mxc::frontend::LlamaModel> model =
      mxc::frontend::readGGUFModel(
          llvm::MemoryBuffer::getMemBufferCopy(bytes, "fuzz.gguf"),
          "fuzz.gguf");
  if (!model)
    llvm::consumeError(model.takeError());
  return 0;
}
