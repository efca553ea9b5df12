// Dense causal prefill (as many queries as keys): the loop skips every tile
// above the diagonal, and the result matches the float64 reference (bound
// as in attention-spans.mlir).
//
// Expected tile counts, by hand: 7 tiles of 32 keys (the last holds 8); row i
// visits tiles 0 .. floor(i / 32), so a head visits 32*1 + 32*2 + ... +
// 32*6 + 8*7 = 728 tiles; two heads visit 1456 and skip 2*200*7 - 1456 =
// 1344.

// RUN: mxc-testgen attention --spans=none --queries=200 --keys=200 --heads=2 --kv-heads=1 --tile=32 > %t.mlir
// RUN: mxc-opt %t.mlir --mxc-lower-to-llvm=count-attention-tiles | %run-cpu > %t.out
// RUN: mxc-testgen attention --spans=none --queries=200 --keys=200 --heads=2 --kv-heads=1 --tile=32 --check=%t.out | FileCheck %s
// CHECK: all 3200 of 3200 values within tolerance {{.*}}; tiles visited 1456, skipped 1344 as the span table implies
