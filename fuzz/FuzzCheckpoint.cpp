//===- FuzzCheckpoint.cpp - libFuzzer target: llama2.c checkpoints --------===//
//
// Any bytes as a llama2.c checkpoint: a model or an error, never a crash,
// a hang or a read outside the buffer.
//
//===----------------------------------------------------------------------===//

#include "mxc/Frontend/Checkpoint.h"

#include "llvm/Support/MemoryBuffer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.bin");
  llvm::Expected<mxc::frontend::LlamaModel> model =
      mxc::frontend::readLlama2c(std::move(buffer), "fuzz.bin");
  if (!model)
    llvm::consumeError(model.takeError());
  return 0;
}
