// RUN: mxc-opt %s | mxc-opt | FileCheck %s
// RUN: mxc-opt %s --mlir-print-op-generic | mxc-opt | FileCheck %s

// Every element format, the default block size elided, others printed.
// CHECK-LABEL: func.func private @formats
// CHECK-SAME: !mxc.mx<32xf8E4M3FN>
// CHECK-SAME: !mxc.mx<32xf8E5M2>
// CHECK-SAME: !mxc.mx<32xf6E2M3FN>
// CHECK-SAME: !mxc.mx<32xf6E3M2FN>
// CHECK-SAME: !mxc.mx<32xf4E2M1FN>
// CHECK-SAME: !mxc.mx<32xi8>
func.func private @formats(!mxc.mx<32xf8E4M3FN>, !mxc.mx<32xf8E5M2>,
                           !mxc.mx<32xf6E2M3FN>, !mxc.mx<32xf6E3M2FN>,
                           !mxc.mx<32xf4E2M1FN>, !mxc.mx<32xi8>)

// CHECK-LABEL: func.func private @block_sizes
// CHECK-SAME: !mxc.mx<4096x4096xf4E2M1FN>
// CHECK-SAME: !mxc.mx<64xf4E2M1FN, block = 2>
// CHECK-SAME: !mxc.mx<64xf6E3M2FN, block = 4>
// CHECK-SAME: !mxc.mx<64xi8, block = 1>
// CHECK-SAME: !mxc.mx<64xf8E4M3FN, block = 128>
func.func private @block_sizes(!mxc.mx<4096x4096xf4E2M1FN, block = 32>,
                               !mxc.mx<64xf4E2M1FN, block = 2>,
                               !mxc.mx<64xf6E3M2FN, block = 4>,
                               !mxc.mx<64xi8, block = 1>,
                               !mxc.mx<64xf8E4M3FN, block = 128>)

// Blocks need not divide the axis (a partial last block), nor fit in it.
// CHECK-LABEL: func.func private @partial_blocks
// CHECK-SAME: !mxc.mx<5x172xf4E2M1FN>
// CHECK-SAME: !mxc.mx<7xf8E5M2>
func.func private @partial_blocks(!mxc.mx<5x172xf4E2M1FN>, !mxc.mx<7xf8E5M2>)

// Leading dimensions may be dynamic or empty; any rank >= 1.
// CHECK-LABEL: func.func private @shapes
// CHECK-SAME: !mxc.mx<?x?x64xf8E4M3FN>
// CHECK-SAME: !mxc.mx<0x64xi8>
// CHECK-SAME: !mxc.mx<1x2x3x4x64xf6E2M3FN>
func.func private @shapes(!mxc.mx<?x?x64xf8E4M3FN>, !mxc.mx<0x64xi8>,
                          !mxc.mx<1x2x3x4x64xf6E2M3FN>)

// The EXAQ attribute on its own, in an attribute dictionary.
// CHECK-LABEL: func.func private @exaq_attr
// CHECK-SAME: q = #mxc.exaq<bits = 4, clip = -7.250000e+00>
func.func private @exaq_attr() attributes {q = #mxc.exaq<bits = 4, clip = -7.25>}
