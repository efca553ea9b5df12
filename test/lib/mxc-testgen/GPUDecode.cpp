//===- GPUDecode.cpp - mxc-testgen gpu-decode -----------------------------===//
//
//   mxc-testgen gpu-decode --format=mxfp4
//
// Blocks holding every code of the format in every position, under the
// scales 0, 1, 100, 127, 140, 254 and 255, packed as the GPU GEMV reads
// them; a program that decodes them with @decode_blocks (given its body by
// mxc-test-gpu-decode) and prints the bits, with the library's
// decodeElement(code) * decodeE8M0(scale) as CHECK lines.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "mxc/Numerics/Element.h"
#include "mxc/Numerics/MX.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <algorithm>
#include <cstring>

using namespace mlir;
using namespace ::mxc::numerics;

namespace mxc::testgen {
namespace {

llvm::cl::SubCommand command("gpu-decode",
                             "the GPU GEMV's block decoder on every code");
llvm::cl::opt<std::string> formatName("format", llvm::cl::sub(command),
                                      llvm::cl::desc("MX element format"),
                                      llvm::cl::init("mxfp4"));

/// Blocks of every code for the GPU decoder test (see the file comment).
int run() {
  ElemFormat f = formatOrDie(formatName);
  const FormatInfo &info = getFormatInfo(f);
  const unsigned codes = 1u << info.bits;
  // Every code at every position of a block: code (p + 7 * b) mod codes at
  // position p of the b-th block of each scale.
  const int64_t perScale = std::max<int64_t>(1, codes / 4);
  std::vector<uint8_t> scales;
  std::vector<uint8_t> elementCodes;
  for (uint8_t s : {0, 1, 100, 127, 140, 254, 255})
    for (int64_t b = 0; b < perScale; ++b) {
      scales.push_back(s);
      for (int64_t p = 0; p < 32; ++p) {
        unsigned c = static_cast<unsigned>(p + 7 * b) % codes;
        // E4M3's NaN codes: MX encoders never emit them (they saturate, and
        // a NaN block has the NaN scale); the integer decoder reads them as
        // 480. Put the largest finite code there instead.
        if (f == ElemFormat::E4M3 && (c & 0x7F) == 0x7F)
          c -= 1;
        elementCodes.push_back(static_cast<uint8_t>(c));
      }
    }
  const int64_t blocks = scales.size();
  // Pack LSB-first, as the storage does, into 32-bit little-endian words.
  std::vector<uint8_t> bytes(blocks * 4 * info.bits, 0);
  for (size_t i = 0; i < elementCodes.size(); ++i)
    for (unsigned bit = 0; bit < info.bits; ++bit)
      if (elementCodes[i] >> bit & 1) {
        size_t at = i * info.bits + bit;
        bytes[at / 8] |= static_cast<uint8_t>(1u << (at % 8));
      }
  const int64_t words = bytes.size() / 4;
  std::vector<int32_t> wordValues(words);
  for (int64_t w = 0; w < words; ++w)
    std::memcpy(&wordValues[w], &bytes[4 * w], 4);
  std::vector<int8_t> scaleValues(scales.begin(), scales.end());

  Program p;
  OpBuilder &b = p.builder();
  Type i32 = b.getI32Type(), i8 = b.getI8Type(), f32 = b.getF32Type();
  auto wordsType = MemRefType::get({words}, i32);
  auto scalesType = MemRefType::get({blocks}, i8);
  auto dynamic = [](Type t) {
    return MemRefType::get({ShapedType::kDynamic}, t);
  };
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(p.module().getBody());
    memref::GlobalOp::create(
        b, p.loc(), "words", b.getStringAttr("private"), wordsType,
        DenseElementsAttr::get(RankedTensorType::get({words}, i32),
                               llvm::ArrayRef<int32_t>(wordValues)),
        /*constant=*/true, /*alignment=*/nullptr);
    memref::GlobalOp::create(
        b, p.loc(), "scales", b.getStringAttr("private"), scalesType,
        DenseElementsAttr::get(RankedTensorType::get({blocks}, i8),
                               llvm::ArrayRef<int8_t>(scaleValues)),
        /*constant=*/true, /*alignment=*/nullptr);
    auto decode = func::FuncOp::create(
        b, p.loc(), "decode_blocks",
        b.getFunctionType(
            {dynamic(i32), dynamic(i8), dynamic(f32), b.getIndexType()}, {}));
    decode.setPrivate();
  }
  Value w = memref::CastOp::create(
      b, p.loc(), dynamic(i32),
      memref::GetGlobalOp::create(b, p.loc(), wordsType, "words"));
  Value s = memref::CastOp::create(
      b, p.loc(), dynamic(i8),
      memref::GetGlobalOp::create(b, p.loc(), scalesType, "scales"));
  Value n = p.index(blocks * 32);
  Value out = memref::AllocOp::create(b, p.loc(), dynamic(f32), ValueRange{n});
  func::CallOp::create(b, p.loc(), "decode_blocks", TypeRange{},
                       ValueRange{w, s, out, p.index(blocks)});
  p.printElements("values", out);
  llvm::raw_ostream &os = llvm::outs();
  p.write(os, "gpu-decode --format=" + formatName);
  std::vector<int64_t> bits;
  for (int64_t blk = 0; blk < blocks; ++blk)
    for (int64_t pos = 0; pos < 32; ++pos)
      bits.push_back(printedBits(
          static_cast<float>(decodeElement(f, elementCodes[blk * 32 + pos]) *
                             decodeE8M0(scales[blk]))));
  printChecks(os, "values", bits);
  return 0;
}

} // namespace

Mode gpuDecodeMode{command, run};

} // namespace mxc::testgen
