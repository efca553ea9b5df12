//===- KernelCalls.h - Ops as calls of a kernel's function ----*- C++ -*-===//
//
// What convert-mxc-matmul-to-cpu and convert-mxc-matmul-to-gpu share: both
// replace an mxc.matmul by a call of a kernel's function on buffers.
//
//===----------------------------------------------------------------------===//

#ifndef MXC_LIB_CONVERSION_KERNELCALLS_H
#define MXC_LIB_CONVERSION_KERNELCALLS_H

#include "mxc/IR/MXCOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::mxc {

/// The function `name` of `type` in `module`, declared (private) once; an
/// error on the existing symbol, and null, when `name` is something else.
/// `pass` and `what` name the caller and the kernel in that error.
func::FuncOp declareKernelFunction(ModuleOp module, StringRef name,
                                   FunctionType type, StringRef pass,
                                   StringRef what);

/// E8M0 scales as the bytes a kernel reads: a constant (a weight's scales)
/// becomes a constant of i8 at compile time, anything else an arith.bitcast
/// (a loop over the scales at run time).
Value buildScaleBytes(OpBuilder &b, Location loc, Value scales);

/// The packed storage (data, scales) of the MX value `weight`: the operands
/// of its mxc.assemble, else an mxc.disassemble built at `b`.
std::pair<Value, Value> buildWeightStorage(OpBuilder &b, Location loc,
                                           Value weight);

/// Replaces the one result of `op` by the f32 buffer `y` that a kernel call
/// wrote (bufferization.to_tensor, cast to the op's result type) and erases
/// it.
void replaceByKernelResult(OpBuilder &b, Operation *op, Value y);

/// A buffer type of `rank` with any sizes and strides: what the CPU kernels
/// take (memref descriptors by pointer).
MemRefType anyStrided(Type element, int64_t rank);

/// The float tensor `tensor` as f32: itself, or its arith.extf.
Value widenToF32(OpBuilder &b, Location loc, Value tensor);

/// Whether `op` is a plain causal attention: f32 operands and result, no
/// span table, tile mask or quantized softmax (what mxc's CPU and GPU
/// attention kernels compute).
bool isPlainF32Attention(AttentionOp op);

/// Whether `op` is a causal attention with f32 operands and result and no
/// span table or tile mask, with the exact or the EXAQ softmax (what mxc's
/// CPU attention kernel computes).
bool isCausalF32Attention(AttentionOp op);

/// The identity-layout buffer `buffer` as 1-D (memref.collapse_shape), cast
/// to a dynamic size: how kernels take their arrays (memref<?xT>).
Value flattenToDynamic(OpBuilder &b, Location loc, Value buffer);

/// A read-only buffer of `tensor`, cast to anyStrided.
Value bufferOfTensor(OpBuilder &b, Location loc, Value tensor);

/// The CPU kernel function `name` of `type`, declared once per module with
/// llvm.emit_c_interface; null after an error naming `pass`.
func::FuncOp declareCPUKernel(ModuleOp module, StringRef name,
                              FunctionType type, StringRef pass);

} // namespace mlir::mxc

#endif // MXC_LIB_CONVERSION_KERNELCALLS_H
