//===- PrecompiledHeaders.h - Upstream headers compiled once ----*- C++ -*-===//
//
// The MLIR and LLVM headers that most of mxc's C++ includes. They are
// parsed, and their templates instantiated, once per build (CMake option
// MXC_PRECOMPILED_HEADERS, on by default); every pass, conversion and tool
// starts from the result. Most of a pass's compile time is these headers
// (MapLoops.cpp: 28 s alone, 4 s from the precompiled form).
//
// Only upstream headers belong here: they do not change between builds, so
// editing an mxc header never rebuilds this. Sources still include what they
// use; this list only makes that cheap.
//
//===----------------------------------------------------------------------===//

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/Support/raw_ostream.h"
