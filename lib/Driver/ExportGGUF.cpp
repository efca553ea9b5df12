//===- ExportGGUF.cpp - A quantized model as a GGUF file ------------------===//

#include "mxc/Driver/Artifact.h"
#include "mxc/Frontend/GGUF.h"
#include "mxc/IR/MXCOps.h"
#include "mxc/Support/Output.h"
#include "mxc/Transforms/Constants.h"

#include "llvm/Support/Path.h"

using namespace mxc::driver;
using namespace mxc::frontend;
namespace num = mxc::numerics;

static llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Error mxc::driver::checkGGUFRecipe(const Recipe &recipe) {
  auto refuse = [](const llvm::Twine &what) {
    return error("--emit=gguf: " + what +
                 "; llama.cpp runs weight-only recipes (MXFP4 or float "
                 "weights, float activations and softmax)");
  };
  if (recipe.activations)
    return refuse("the recipe quantizes activations");
  if (recipe.softmaxBits != 0)
    return refuse("the recipe quantizes the softmax (EXAQ)");
  if (recipe.smooth != 0)
    return refuse("the recipe applies SmoothQuant");
  auto isMXFP4 = [](std::optional<num::ElemFormat> f) {
    return !f || *f == num::ElemFormat::E2M1;
  };
  if (!isMXFP4(recipe.weights))
    return refuse(formatName(recipe.weights) +
                  " weights have no GGUF type (GGUF has MXFP4)");
  for (const Recipe::Kept &k : recipe.keep)
    if (!isMXFP4(k.format))
      return refuse("keep=" + k.prefix + ":" + formatName(k.format) +
                    " has no GGUF type (GGUF has MXFP4)");
  if (recipe.tuneSteps > 0 && recipe.tuneWhat != Recipe::TuneWhat::Weights)
    return refuse(llvm::Twine(recipe.tuneWhat == Recipe::TuneWhat::Norms
                                  ? "tune-what=norms"
                                  : "tune-what=both (the default)") +
                  " tunes factors on the inputs of wo and w2, which a GGUF "
                  "Llama has no tensor for (tune-what=weights exports)");
  return llvm::Error::success();
}

llvm::Error
mxc::driver::writeGGUF(mlir::ModuleOp mxcStage, const LlamaModel &model,
                       llvm::StringRef tokenizerBytes, llvm::StringRef path,
                       const std::function<void(const llvm::Twine &)> &note) {
  llvm::StringMap<GGUFMatmulWeight> weights;
  std::string failure;
  mxcStage.walk([&](mlir::mxc::MatmulOp op) {
    std::string name = mlir::mxc::getMatmulName(op).str();
    mlir::Value w = op.getWeight();
    if (std::optional<num::MXTensor> mx = mlir::mxc::readMXConstant(w)) {
      if (mx->layout.cols % 32 == 0 && mx->layout.blockSize == 32 &&
          mx->layout.format == num::ElemFormat::E2M1) {
        weights[name].mxfp4 = std::move(*mx);
        return;
      }
      // Exact values, in a type GGUF has.
      std::vector<double> values = num::dequantize(*mx);
      weights[name].values.assign(values.begin(), values.end());
      if (note)
        note("--emit=gguf: " + name + " has rows of " +
             llvm::Twine(mx->layout.cols) +
             " weights, not whole MXFP4 blocks of 32: written as F32 of its "
             "quantized values");
      return;
    }
    if (std::optional<std::vector<float>> f = mlir::mxc::readFloatConstant(w)) {
      weights[name].values = std::move(*f);
      return;
    }
    if (failure.empty())
      failure =
          "--emit=gguf: the weight of matmul '" + name + "' is not a constant";
  });
  if (!failure.empty())
    return error(failure);
  llvm::Expected<GGUFWriter> writer = buildLlamaGGUF(
      model, weights, tokenizerBytes, llvm::sys::path::stem(path));
  if (!writer)
    return writer.takeError();
  return mxc::writeFileAtomically(path,
                                  [&](llvm::raw_fd_ostream &os) -> llvm::Error {
                                    writer->write(os);
                                    return llvm::Error::success();
                                  });
}
