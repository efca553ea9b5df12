//===- Artifact.h - A compiled model in one file ----------------*- C++ -*-===//
//
// What mxc-compile writes and mxc-run loads: MLIR bytecode of the model's
// LLVM-dialect module (@forward and @decode, the quantized weights inside as
// resources) whose module attributes describe it:
//
//   mxc.model      {dim, hidden_dim, layers, heads, kv_heads, vocab,
//                   seq_len : i64; norm_eps, rope_theta : f64}
//   mxc.recipe     the recipe, as Recipe::str() writes it
//   mxc.tokenizer  dense_resource<mxc_tokenizer> : tensor<N x i8>, the
//                  llama2.c tokenizer file, so that the artifact runs alone
//
//===----------------------------------------------------------------------===//

#ifndef MXC_DRIVER_ARTIFACT_H
#define MXC_DRIVER_ARTIFACT_H

#include "mxc/Driver/Recipe.h"
#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Frontend/Tokenizer.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <optional>

namespace mxc::driver {

/// Attaches the model's description and tokenizer file to `module`.
void attachModelInfo(mlir::ModuleOp module, const frontend::LlamaConfig &,
                     const Recipe &, llvm::StringRef tokenizerBytes);

/// Writes `module` as MLIR bytecode to `path` ("-": stdout).
llvm::Error writeBytecode(mlir::ModuleOp module, llvm::StringRef path);

/// Writes the LLVM-dialect `module` as a relocatable object file for the
/// host (position-independent, the host's triple) to `path`: a model
/// compiled for CUDA. It defines the C interface of @decode and @forward
/// (`_mlir_ciface_decode`, `_mlir_ciface_forward`, memref descriptors) and
/// `int64_t mxc_model_config[7]` = {dim, hidden_dim, layers, heads,
/// kv_heads, vocab, seq_len} and `int64_t mxc_decode_position_on_device`,
/// 1 when @decode takes its position as a memref<1xi64> in device memory
/// (mxc-gpu-device-position; its C interface then takes a descriptor's
/// address there), 0 when it takes an integer, and needs mxc's CUDA runtime
/// (mgpu* and _mlir_memref_to_llvm_alloc/_free) from whatever it is linked
/// with.
llvm::Error writeObject(mlir::ModuleOp module,
                        const frontend::LlamaConfig &config,
                        llvm::StringRef path);

/// Whether llama.cpp can run what `recipe` makes of a model: weights only
/// (no quantized activations, EXAQ softmax or SmoothQuant, which GGUF cannot
/// express), in MXFP4 or float.
llvm::Error checkGGUFRecipe(const Recipe &recipe);

/// Writes a GGUF file for llama.cpp to `path`: `mxcStage` is the model after
/// the recipe's passes (Stage::MXC), whose MXFP4 matmul weights become GGUF
/// MXFP4 tensors bit for bit (a weight whose rows are not whole blocks of 32,
/// which GGUF cannot hold, is written as F32 of its exact values; `note`
/// says which); everything else is F32 from `model`.
llvm::Error writeGGUF(mlir::ModuleOp mxcStage,
                      const frontend::LlamaModel &model,
                      llvm::StringRef tokenizerBytes, llvm::StringRef path,
                      const std::function<void(const llvm::Twine &)> &note);

/// Whether `path` is an MLIR bytecode file (its magic "ML\xefR").
bool isBytecodeFile(llvm::StringRef path);

struct Artifact {
  /// The LLVM-dialect module, with the mxc.* attributes removed.
  mlir::OwningOpRef<mlir::ModuleOp> module;
  frontend::LlamaConfig config;
  std::string recipe;
  std::optional<frontend::Tokenizer> tokenizer;
};

/// Reads a compiled model; a clear error for anything else.
llvm::Expected<Artifact> readArtifact(mlir::MLIRContext &context,
                                      llvm::StringRef path);

} // namespace mxc::driver

#endif // MXC_DRIVER_ARTIFACT_H
