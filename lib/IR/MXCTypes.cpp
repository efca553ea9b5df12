//===- MXCTypes.cpp - mxc types -------------------------------------------===//

#include "mxc/IR/MXCTypes.h"
#include "mxc/IR/MXCDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::mxc;
namespace num = ::mxc::numerics;

std::optional<num::ElemFormat> mlir::mxc::getMXFormat(Type type) {
  if (isa<Float8E4M3FNType>(type))
    return num::ElemFormat::E4M3;
  if (isa<Float8E5M2Type>(type))
    return num::ElemFormat::E5M2;
  if (isa<Float6E2M3FNType>(type))
    return num::ElemFormat::E2M3;
  if (isa<Float6E3M2FNType>(type))
    return num::ElemFormat::E3M2;
  if (isa<Float4E2M1FNType>(type))
    return num::ElemFormat::E2M1;
  if (type.isSignlessInteger(8))
    return num::ElemFormat::Int8;
  return std::nullopt;
}

Type mlir::mxc::getMXElementType(MLIRContext *context, num::ElemFormat format) {
  switch (format) {
  case num::ElemFormat::E4M3:
    return Float8E4M3FNType::get(context);
  case num::ElemFormat::E5M2:
    return Float8E5M2Type::get(context);
  case num::ElemFormat::E2M3:
    return Float6E2M3FNType::get(context);
  case num::ElemFormat::E3M2:
    return Float6E3M2FNType::get(context);
  case num::ElemFormat::E2M1:
    return Float4E2M1FNType::get(context);
  case num::ElemFormat::Int8:
    return IntegerType::get(context, 8);
  }
  llvm_unreachable("every format is covered above");
}

LogicalResult MXTensorType::verify(function_ref<InFlightDiagnostic()> emitError,
                                   ArrayRef<int64_t> shape, Type elementType,
                                   int64_t blockSize) {
  std::optional<num::ElemFormat> format = getMXFormat(elementType);
  if (!format)
    return emitError() << "element type " << elementType
                       << " is not an MX element format; expected f8E4M3FN, "
                          "f8E5M2, f6E2M3FN, f6E3M2FN, f4E2M1FN or i8 (MXINT8)";
  if (shape.empty())
    return emitError() << "an MX tensor needs at least one dimension (the "
                          "block axis)";
  for (auto [i, d] : llvm::enumerate(shape))
    if (d < 0 && !ShapedType::isDynamic(d))
      return emitError() << "dimension " << i << " has negative size " << d;
  if (ShapedType::isDynamic(shape.back()))
    return emitError() << "the block axis (the last dimension) must be static";
  if (shape.back() == 0)
    return emitError() << "the block axis (the last dimension) must not be "
                          "empty";
  if (blockSize <= 0)
    return emitError() << "block size must be positive, got " << blockSize;
  if (blockSize > num::kMaxBlockSize)
    return emitError() << "block size " << blockSize
                       << " exceeds the maximum of " << num::kMaxBlockSize;
  if (!num::isValidBlockSize(*format, blockSize)) {
    unsigned bits = num::getFormatInfo(*format).bits;
    return emitError() << "a block of " << blockSize << " " << elementType
                       << " elements (" << bits << " bits each) is "
                       << blockSize * bits
                       << " bits, not a whole number of bytes; use a multiple "
                          "of "
                       << 8 / std::gcd(8u, bits);
  }
  return success();
}

Type MXTensorType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t> shape;
  Type elementType;
  int64_t blockSize = num::kDefaultBlockSize;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/true,
                                /*withTrailingX=*/true) ||
      parser.parseType(elementType))
    return {};
  if (succeeded(parser.parseOptionalComma()) &&
      (parser.parseKeyword("block") || parser.parseEqual() ||
       parser.parseInteger(blockSize)))
    return {};
  if (parser.parseGreater())
    return {};
  return parser.getChecked<MXTensorType>(loc, parser.getContext(), shape,
                                         elementType, blockSize);
}

void MXTensorType::print(AsmPrinter &printer) const {
  printer << '<';
  printer.printDimensionList(getShape());
  printer << 'x' << getElementType();
  if (getBlockSize() != num::kDefaultBlockSize)
    printer << ", block = " << getBlockSize();
  printer << '>';
}

MXTensorType MXTensorType::cloneWith(std::optional<ArrayRef<int64_t>> shape,
                                     Type elementType) const {
  return MXTensorType::get(getContext(), shape ? *shape : getShape(),
                           elementType, getBlockSize());
}

num::ElemFormat MXTensorType::getFormat() const {
  return *getMXFormat(getElementType());
}

int64_t MXTensorType::getNumBlocksPerRow() const {
  return llvm::divideCeil(getBlockAxisSize(), getBlockSize());
}

int64_t MXTensorType::getBlockBytes() const {
  return getBlockSize() * num::getFormatInfo(getFormat()).bits / 8;
}

RankedTensorType MXTensorType::getDataType() const {
  SmallVector<int64_t> shape(getShape().drop_back());
  shape.push_back(getNumBlocksPerRow() * getBlockBytes());
  return RankedTensorType::get(shape, IntegerType::get(getContext(), 8));
}

RankedTensorType MXTensorType::getScalesType() const {
  SmallVector<int64_t> shape(getShape().drop_back());
  shape.push_back(getNumBlocksPerRow());
  return RankedTensorType::get(shape, Float8E8M0FNUType::get(getContext()));
}

#define GET_TYPEDEF_CLASSES
#include "mxc/IR/MXCOpsTypes.cpp.inc"

void MXCDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "mxc/IR/MXCOpsTypes.cpp.inc"
      >();
}
