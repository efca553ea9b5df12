//===- mxc-example-model.cpp - Write the bundled example model ------------===//
//
//   mxc-example-model DIR [--seed N]
//
// Writes DIR/model.bin, a small Llama-shaped llama2.c checkpoint with seeded
// random weights (2 layers, dim 64, 4 heads over 2 KV heads, hidden 172: a
// reduction size that needs a partial MX block), and DIR/tok259.bin, a
// byte-level tokenizer (<unk>, BOS, EOS and the 256 byte fallbacks). The
// project's own example: shared weights are never copied into it.
//
//===----------------------------------------------------------------------===//

#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Support/Output.h"
#include "mxc/Support/Version.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>

namespace cl = llvm::cl;

static cl::OptionCategory category("mxc-example-model options");
static cl::opt<std::string> directory(cl::cat(category), cl::Positional,
                                      cl::Required,
                                      cl::desc("<output directory>"));
static cl::opt<unsigned> seed(cl::cat(category), "seed",
                              cl::desc("Weight seed"), cl::init(1));

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(category);
  mxc::setVersionPrinter("mxc-example-model");
  cl::ParseCommandLineOptions(argc, argv,
                              "mxc-example-model: write the bundled example "
                              "model and its tokenizer\n");
  if (std::error_code ec = llvm::sys::fs::create_directories(directory)) {
    llvm::errs() << "mxc-example-model: cannot create '" << directory
                 << "': " << ec.message() << "\n";
    return 1;
  }
  mxc::frontend::LlamaConfig config;
  config.dim = 64;
  config.hiddenDim = 172;
  config.layers = 2;
  config.heads = 4;
  config.kvHeads = 2;
  config.vocab = 259;
  config.seqLen = 256;
  llvm::SmallString<256> model(directory), tokenizer(directory);
  llvm::sys::path::append(model, "model.bin");
  llvm::sys::path::append(tokenizer, "tok259.bin");
  if (llvm::Error e = mxc::frontend::writeRandomLlama2c(model, config, seed)) {
    llvm::errs() << "mxc-example-model: " << llvm::toString(std::move(e))
                 << "\n";
    return 1;
  }
  llvm::Error written = mxc::writeFileAtomically(
      tokenizer, [](llvm::raw_fd_ostream &os) -> llvm::Error {
        auto writeInt = [&](int32_t v) {
          os.write(reinterpret_cast<const char *>(&v), 4);
        };
        auto writePiece = [&](const std::string &piece) {
          float score = 0;
          os.write(reinterpret_cast<const char *>(&score), 4);
          writeInt(static_cast<int32_t>(piece.size()));
          os << piece;
        };
        writeInt(6);
        writePiece("<unk>");
        writePiece("\n<s>\n");
        writePiece("\n</s>\n");
        for (int byte = 0; byte < 256; ++byte) {
          char piece[8];
          std::snprintf(piece, sizeof(piece), "<0x%02X>", byte);
          writePiece(piece);
        }
        return llvm::Error::success();
      });
  if (written) {
    llvm::errs() << "mxc-example-model: " << llvm::toString(std::move(written))
                 << "\n";
    return 1;
  }
  llvm::outs() << "wrote " << model << " and " << tokenizer << "\n";
  return 0;
}
