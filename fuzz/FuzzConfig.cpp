//===- FuzzConfig.cpp - libFuzzer target: HuggingFace config.json ---------===//

#include "mxc/Frontend/Checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::Expected<mxc::frontend::HuggingFaceConfig> config =
      mxc::frontend::parseHuggingFaceConfig(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "config.json");
  if (!config)
    llvm::consumeError(config.takeError());
  return 0;
}
