//===- FuzzRecipe.cpp - libFuzzer target: recipes -------------------------===//
//
// Any text as a recipe: a recipe whose printed form parses back to itself,
// or an error.
//
//===----------------------------------------------------------------------===//

#include "mxc/Driver/Recipe.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::Expected<mxc::driver::Recipe> recipe = mxc::driver::Recipe::parse(
      llvm::StringRef(reinterpret_cast<const char *>(data), size));
  if (!recipe) {
    llvm::consumeError(recipe.takeError());
    return 0;
  }
  std::string text = recipe->str();
  llvm::Expected<mxc::driver::Recipe> again = mxc::driver::Recipe::parse(text);
  if (!again || again->str() != text)
    std::abort(); // The printed form must read back as the same recipe.
  return 0;
}
