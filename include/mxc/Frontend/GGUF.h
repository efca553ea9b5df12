//===- GGUF.h - GGUF files: llama.cpp's model format ------------*- C++ -*-===//
//
// Reads and writes GGUF (versions 2 and 3): a header, typed key/value
// metadata, a tensor directory and an aligned data section. A model whose
// `general.architecture` is "llama" loads as a LlamaModel with the
// SentencePiece tokenizer it embeds; F32 tensors point into the mapped file,
// F16, BF16, Q8_0, Q4_0 and MXFP4 tensors are decoded to float exactly (each
// of their values is a float). llama.cpp's `llama` tensors already use the
// llama2.c RoPE convention (convert_hf_to_gguf undoes HuggingFace's q/k row
// permutation), so no rows move.
//
// ggml's MXFP4 block is the OCP MXFP4 block in another order: one E8M0 byte
// e, then 16 bytes whose low nibbles are elements 0..15 and high nibbles
// elements 16..31. A nibble is the E2M1 code; ggml decodes it as twice the
// E2M1 value times 2^(e - 128), which is the OCP value E2M1 * 2^(e - 127).
// So the conversion only moves nibbles and is exact both ways.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_FRONTEND_GGUF_H
#define MXC_FRONTEND_GGUF_H

#include "mxc/Frontend/Checkpoint.h"
#include "mxc/Numerics/MX.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>
#include <vector>

namespace mxc::frontend {

/// The ggml tensor types mxc reads (and, F32 and MXFP4, writes).
enum class GGMLType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q8_0 = 8,
  BF16 = 30,
  MXFP4 = 39,
};

/// The name llama.cpp gives ggml type `type` ("Q4_K", "type 77").
std::string ggmlTypeName(uint32_t type);

/// One metadata value. Scalars of every integer type are in `integer`,
/// float32/float64 in `real`, bool in `integer` (0/1); arrays hold their
/// elements in `integers`, `reals` or `strings` by element kind.
struct GGUFValue {
  enum Kind : uint32_t {
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
  };
  Kind kind = UInt8;
  Kind elementKind = UInt8; ///< for arrays
  int64_t integer = 0;
  double real = 0;
  std::string string;
  std::vector<int64_t> integers;
  std::vector<double> reals;
  std::vector<std::string> strings;

  bool isInteger() const;
  bool isReal() const { return kind == Float32 || kind == Float64; }
};

/// One entry of the tensor directory. `shape` is ggml's `ne`, innermost
/// first: a matrix of `rows` rows of `ne[0]` elements has ne = [cols, rows].
struct GGUFTensor {
  std::string name;
  llvm::SmallVector<int64_t, 4> shape;
  uint32_t type = 0;
  uint64_t offset = 0; ///< from the start of the data section
  llvm::ArrayRef<uint8_t> bytes;

  int64_t numElements() const;
};

/// A parsed GGUF file. The tensors' bytes point into `buffer`.
struct GGUFFile {
  uint32_t version = 0;
  uint64_t alignment = 32;
  llvm::StringMap<GGUFValue> metadata;
  std::vector<GGUFTensor> tensors;
  std::unique_ptr<llvm::MemoryBuffer> buffer;

  const GGUFValue *find(llvm::StringRef key) const;
  const GGUFTensor *findTensor(llvm::StringRef name) const;
};

/// Whether `bytes` begin with GGUF's magic.
bool isGGUF(llvm::StringRef bytes);

/// Parses the GGUF file in `buffer` (`path` names it in errors): every
/// count, length, shape, type, offset and size is checked against the file
/// before it is used.
llvm::Expected<GGUFFile> parseGGUF(std::unique_ptr<llvm::MemoryBuffer> buffer,
                                   llvm::StringRef path);

/// The bytes one tensor of `type` with `shape` occupies, or nothing for a
/// type mxc does not read or a row that is not whole blocks.
std::optional<uint64_t> ggmlTensorBytes(uint32_t type,
                                        llvm::ArrayRef<int64_t> shape);

/// Decodes a tensor of a type mxc reads to floats (row-major, ne[0]
/// fastest). Exact for every supported type.
llvm::Expected<std::vector<float>> decodeGGMLTensor(const GGUFTensor &tensor,
                                                    llvm::StringRef path);

/// An MXFP4 tensor of `rows` x `cols` (cols a multiple of 32) from ggml's
/// blocks, and back. Scale byte 0xFF (the E8M0 NaN; ggml reads 2^127) is
/// refused on import.
llvm::Expected<numerics::MXTensor> mxfp4FromGGML(llvm::ArrayRef<uint8_t> blocks,
                                                 int64_t rows, int64_t cols,
                                                 llvm::StringRef name);
std::vector<uint8_t> mxfp4ToGGML(const numerics::MXTensor &tensor);

/// Loads a GGUF llama model: hyperparameters from `llama.*` metadata,
/// weights from the tensors (see above), and its SentencePiece tokenizer as
/// llama2.c tokenizer bytes in `LlamaModel::tokenizer`. MXFP4 matmul weights
/// are also kept, bit for bit, in `LlamaModel::mxWeights`.
llvm::Expected<LlamaModel>
readGGUFModel(std::unique_ptr<llvm::MemoryBuffer> buffer, llvm::StringRef path);

/// Builds a GGUF file: metadata and tensors in the order added, written
/// with 32-byte alignment.
class GGUFWriter {
public:
  void addString(llvm::StringRef key, llvm::StringRef value);
  void addUInt32(llvm::StringRef key, uint32_t value);
  void addInt32(llvm::StringRef key, int32_t value);
  void addFloat32(llvm::StringRef key, float value);
  void addBool(llvm::StringRef key, bool value);
  void addStringArray(llvm::StringRef key, llvm::ArrayRef<std::string> values);
  void addFloat32Array(llvm::StringRef key, llvm::ArrayRef<float> values);
  void addInt32Array(llvm::StringRef key, llvm::ArrayRef<int32_t> values);
  /// A tensor of ggml `shape` (innermost first) and `type` whose encoded
  /// bytes are `bytes`.
  void addTensor(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                 GGMLType type, std::vector<uint8_t> bytes);
  /// A float32 tensor.
  void addF32Tensor(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                    llvm::ArrayRef<float> values);

  void write(llvm::raw_ostream &os) const;

private:
  struct Tensor {
    std::string name;
    llvm::SmallVector<int64_t, 4> shape;
    GGMLType type;
    std::vector<uint8_t> bytes;
  };
  std::string metadata;
  uint64_t numMetadata = 0;
  std::vector<Tensor> tensors;
};

/// The GGUF metadata and tensors of a llama model whose matmul weights are
/// `weights` by matmul name (matmulNames(config) order; each either float
/// [n, k] values or an MXFP4 tensor with k a multiple of 32) and whose other
/// tensors come from `model`; `tokenizer` is the llama2.c tokenizer.
struct GGUFMatmulWeight {
  std::vector<float> values;               ///< when not MX
  std::optional<numerics::MXTensor> mxfp4; ///< when MXFP4
};
llvm::Expected<GGUFWriter>
buildLlamaGGUF(const LlamaModel &model,
               const llvm::StringMap<GGUFMatmulWeight> &weights,
               llvm::StringRef tokenizer, llvm::StringRef name);

} // namespace mxc::frontend

#endif // MXC_FRONTEND_GGUF_H
