//===- Constants.h - Weight and statistic constants for PTQ passes -*- C++ -*-//
//
// Reading float weights and calibration statistics out of the IR (dense or
// dense_resource elements), and writing quantized weights back: an MX
// constant is mxc.assemble of two constants, its packed data and its scales.
// Constants above kResourceThreshold elements become dense resources, so
// that large models stay cheap to parse and print.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_TRANSFORMS_CONSTANTS_H
#define MXC_TRANSFORMS_CONSTANTS_H

#include "mxc/IR/MXCTypes.h"
#include "mxc/Numerics/GPTQ.h"
#include "mxc/Numerics/MX.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::mxc {

/// Constants with more elements than this are written as dense resources.
constexpr int64_t kResourceThreshold = 1024;

/// The values of a float elements attribute (dense or dense_resource; f16,
/// bf16 or f32) as floats, or nothing if it is not one.
std::optional<std::vector<float>> readFloatElements(ElementsAttr attr);
/// As readFloatElements, widened to double (without an f32 copy of a
/// resource's data).
std::optional<std::vector<double>> readDoubleElements(ElementsAttr attr);

/// The values of the float constant `value` is defined by, if it is one.
std::optional<std::vector<float>> readFloatConstant(Value value);

/// A float32 elements attribute holding `values` (row-major) of `type`.
ElementsAttr createFloatElements(RankedTensorType type, ArrayRef<float> values,
                                 StringRef resourceName);

/// An arith.constant holding `values` (row-major) of `type`.
Value createFloatConstant(OpBuilder &b, Location loc, RankedTensorType type,
                          ArrayRef<float> values, StringRef resourceName);

/// An MX constant: mxc.assemble of `tensor`'s packed data and scales.
Value createMXConstant(OpBuilder &b, Location loc, MXTensorType type,
                       const ::mxc::numerics::MXTensor &tensor,
                       StringRef resourceName);

/// The MX tensor an MX constant (mxc.assemble of two constants) holds, or
/// nothing if `value` is not one (or its data does not fill its type).
std::optional<::mxc::numerics::MXTensor> readMXConstant(Value value);

class MatmulOp;

/// Quantizes one weight: `w` is [n, k] row-major; nothing means "leave this
/// matmul in float" (the callback has said why, with a remark).
using WeightQuantizer =
    function_ref<std::optional<::mxc::numerics::QuantizedWeight>(
        MatmulOp, ArrayRef<float>, int64_t, int64_t)>;

/// For every mxc.matmul under `root` whose weight is a float constant (and,
/// when `only` is not empty, whose name starts with one of its prefixes:
/// the NameLoc the model builder gives it, "layers.3.wq"; and whose name
/// starts with none of `exclude`), quantizes it with
/// `quantize` to `format` in blocks of `block` and replaces the weight with the
/// MX constant. Matmuls it has to leave alone (a weight that is no constant)
/// get a remark; a weight constant whose resource is missing or too short is
/// an error. Returns how many it quantized, or failure after such an error.
FailureOr<int64_t>
quantizeMatmulWeights(Operation *root, ::mxc::numerics::ElemFormat format,
                      int64_t block, ArrayRef<std::string> only,
                      ArrayRef<std::string> exclude, WeightQuantizer quantize);

/// The name of a matmul: its NameLoc's name, or "".
StringRef getMatmulName(MatmulOp op);

/// Reports the local error of quantizing `op`'s weight `w` [n, k] to `q`
/// (and of RTN, `rtn`, when the method is another one): a remark
/// "<method> <format>: output MSE ... , weight SQNR ... dB" (the output MSE
/// only with a `hessian` statistic), and the same figures as the
/// discardable attribute `mxc.local_error` on `op`: weight_sqnr and
/// rtn_weight_sqnr (dB), and with a Hessian output_mse, rtn_output_mse and
/// output_power (the mean square of the float output on the calibration
/// rows).
void reportLocalError(MatmulOp op, StringRef method, StringRef format,
                      ArrayRef<float> w,
                      const ::mxc::numerics::QuantizedWeight &q,
                      const ::mxc::numerics::QuantizedWeight *rtn, int64_t n,
                      int64_t k);

} // namespace mlir::mxc

#endif // MXC_TRANSFORMS_CONSTANTS_H
