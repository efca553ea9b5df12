// Span-sparse causal GQA attention (4 query heads over 2 KV heads, D = 16,
// Dv = 8, 300 keys in tiles of 64, the last one partial) on random q, k, v
// and span tables, lowered by mxc-lower-to-llvm with tile counters. Each run
// checks the output against the float64 reference (numerics::
// attentionReference) and the visited / skipped tile counts against those
// the span table implies (numerics::tileStates).
//
// Tolerance per output row: a score is off by at most
// delta = scale (D + 2) u sum_d |q_d k_d| + u |s - m| in f32, so a weight by
// delta + 2u; sums and per-tile rescalings add (keys + 2 tiles + 8) u:
// |o - o_ref| <= max|v| (2 max delta + (keys + 2 tiles + 8) u), u = 2^-24.

// RUN: mxc-testgen attention --spans=none > %t.none.mlir
// RUN: mxc-opt %t.none.mlir --mxc-lower-to-llvm=count-attention-tiles | %run-cpu > %t.none.out
// RUN: mxc-testgen attention --spans=none --check=%t.none.out | FileCheck %s --check-prefix=NONE
// NONE: attention spans=none: all 96 of 96 values within tolerance {{.*}}; tiles visited 60, skipped 0 as the span table implies

// Every slot empty, no sink: no key is visible, every tile is skipped, and
// the output is zeros (not NaN).
// RUN: mxc-testgen attention --spans=empty > %t.empty.mlir
// RUN: mxc-opt %t.empty.mlir --mxc-lower-to-llvm=count-attention-tiles | %run-cpu > %t.empty.out
// RUN: mxc-testgen attention --spans=empty --check=%t.empty.out | FileCheck %s --check-prefix=EMPTY
// EMPTY: all 96 of 96 values within tolerance {{.*}}; tiles visited 0, skipped 60 as the span table implies

// RUN: mxc-testgen attention --spans=single > %t.single.mlir
// RUN: mxc-opt %t.single.mlir --mxc-lower-to-llvm=count-attention-tiles | %run-cpu > %t.single.out
// RUN: mxc-testgen attention --spans=single --check=%t.single.out | FileCheck %s --check-prefix=SINGLE
// SINGLE: all 96 of 96 values within tolerance {{.*}} as the span table implies

// Many spans per row, not aligned to tiles, some slots empty, with a sink
// token and the own position kept.
// RUN: mxc-testgen attention --spans=many --sink=1 --keep-self > %t.many.mlir
// RUN: mxc-opt %t.many.mlir --mxc-lower-to-llvm=count-attention-tiles | %run-cpu > %t.many.out
// RUN: mxc-testgen attention --spans=many --sink=1 --keep-self --check=%t.many.out | FileCheck %s --check-prefix=MANY
// MANY: all 96 of 96 values within tolerance {{.*}} as the span table implies

// Spans past the causal limit (and before the first key) are cut.
// RUN: mxc-testgen attention --spans=past-causal > %t.past.mlir
// RUN: mxc-opt %t.past.mlir --mxc-lower-to-llvm=count-attention-tiles | %run-cpu > %t.past.out
// RUN: mxc-testgen attention --spans=past-causal --check=%t.past.out | FileCheck %s --check-prefix=PAST
// PAST: all 96 of 96 values within tolerance {{.*}} as the span table implies

// Decode with 8 query heads over 2 KV heads (groups of 4), tiles of 16.
// RUN: mxc-testgen attention --spans=many --queries=1 --heads=8 --kv-heads=2 --tile=16 > %t.gqa.mlir
// RUN: mxc-opt %t.gqa.mlir --mxc-lower-to-llvm=count-attention-tiles | %run-cpu > %t.gqa.out
// RUN: mxc-testgen attention --spans=many --queries=1 --heads=8 --kv-heads=2 --tile=16 --check=%t.gqa.out | FileCheck %s --check-prefix=GQA
// GQA: all 64 of 64 values within tolerance {{.*}} as the span table implies

// Masked context in runs of 64 keys, half of it masked.
// RUN: mxc-testgen attention --spans=runs --queries=1 > %t.runs.mlir
// RUN: mxc-opt %t.runs.mlir --mxc-lower-to-llvm=count-attention-tiles | %run-cpu > %t.runs.out
// RUN: mxc-testgen attention --spans=runs --queries=1 --check=%t.runs.out | FileCheck %s --check-prefix=RUNS
// RUNS: all 32 of 32 values within tolerance {{.*}}; tiles visited 8, skipped 12 as the span table implies
