// Bad input gives one located error and a failing exit code, never a crash.

// RUN: not mxc-opt %s 2>&1 | FileCheck %s
// CHECK: mxc-opt-errors.mlir:[[@LINE+2]]:{{[0-9]+}}: error: element type 'f32' is not an MX element format
// CHECK-NOT: Stack dump
func.func private @f(%x: !mxc.mx<4x64xf32>)

// RUN: not mxc-opt %t.does-not-exist 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: cannot open input file

// RUN: not mxc-opt --no-such-flag %s 2>&1 | FileCheck %s --check-prefix=FLAG
// FLAG: Unknown command line argument '--no-such-flag'
