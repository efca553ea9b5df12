//===- FuzzTokenizer.cpp - libFuzzer target: tokenizer files and texts ----===//
//
// The first half of the input as a llama2.c tokenizer file of 260 pieces,
// the second half as text to encode and decode with it. An input that
// starts with '{' is a HuggingFace tokenizer.json instead, converted.
//
//===----------------------------------------------------------------------===//

#include "mxc/Frontend/Tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  if (bytes.starts_with("{")) {
    llvm::Expected<std::string> converted =
        mxc::frontend::convertTokenizerJSON(bytes, "tokenizer.json");
    if (!converted)
      llvm::consumeError(converted.takeError());
    return 0;
  }
  llvm::Expected<mxc::frontend::Tokenizer> tokenizer =
      mxc::frontend::Tokenizer::parse(bytes.take_front(size / 2), 260,
                                      "tok.bin");
  if (!tokenizer) {
    llvm::consumeError(tokenizer.takeError());
    return 0;
  }
  std::vector<int32_t> ids = tokenizer->encode(bytes.drop_front(size / 2));
  for (size_t i = 1; i < ids.size(); ++i)
    (void)tokenizer->decode(ids[i - 1], ids[i]);
  return 0;
}
