//===- MXCDialect.td - The mxc dialect ---------------------*- tablegen -*-===//

#ifndef MXC_IR_MXCDIALECT_TD
#define MXC_IR_MXCDIALECT_TD

include "mlir/IR/OpBase.td"

def MXC_Dialect : Dialect {
  let name = "mxc";
  let cppNamespace = "::mlir::mxc";
  let summary = "Microscaling (MX) tensors and the low-precision LLM ops on them";
  let description = [{
    The `mxc` dialect holds what upstream MLIR lacks for low-precision LLM
    inference with OCP Microscaling (MX v1.0) formats:

    * `!mxc.mx`, a tensor of MX blocks: elements of a builtin low-precision
      type plus one E8M0 scale per block along the last axis;
    * `mxc.quantize` / `mxc.dequantize` between float tensors and MX tensors;
    * `mxc.matmul`, `y = x * W^T` with MX weights;
    * `mxc.softmax`, exact or EXAQ-quantized;
    * `mxc.attention`, causal grouped-query attention, optionally span-sparse
      and with a quantized softmax.

    Model glue (norms, RoPE, SiLU, residual adds) stays in upstream dialects.
    Numerics follow the `mxc::numerics` library, the one source of truth that
    lowerings, kernels and tests check against.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
  let extraClassDeclaration = [{
  private:
    // Defined next to the storage classes they register.
    void registerAttributes();
    void registerTypes();
  public:
  }];
}

class MXC_Op<string mnemonic, list<Trait> traits = []>
    : Op<MXC_Dialect, mnemonic, traits>;

#endif // MXC_IR_MXCDIALECT_TD
