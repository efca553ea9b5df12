// IR nested 10,000 regions deep is parsed, verified and rewritten: mxc-opt
// works on a thread with a deep stack (upstream mlir-opt overflows its stack
// on this input). canonicalize inlines the regions, so the output is small.

// RUN: %python -c "n = 10000; print('func.func @deep() {'); print('scf.execute_region {\n' * n, end=''); print('scf.yield\n}\n' * n, end=''); print('return\n}')" > %t.mlir
// RUN: mxc-opt %t.mlir --canonicalize | FileCheck %s
// CHECK-LABEL: func.func @deep()
// CHECK-NEXT: return
