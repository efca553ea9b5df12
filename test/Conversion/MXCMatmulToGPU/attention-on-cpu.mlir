// The GPU path's attention: convert-mxc-attention-to-gpu makes each plain
// causal mxc.attention a call of mxc's attention kernel on buffers, and
// mxc-gpu-mx-kernels{target=cpu} (in mxc-gpu-on-cpu) gives the callee the
// kernel's semantics as CPU loops over the same buffers and indices (query
// row i of head h at position keys - queries + i, KV head h / (heads /
// kv_heads), the distance between KV heads). Every head dimension class the
// kernel takes (below one per lane: 8, 16; one or more per lane: 32, 64),
// decode (1 query), a chunk (queries < keys) and a prefill (queries =
// keys), grouped-query heads, against the float64 reference within its
// error bound (that of Integration/CPU/attention-causal-prefill.mlir).
// The KV cache's layout (a layer's slice, read in place) is checked by the
// models (GPU/Models/model-on-cpu*.mlir).

// DEFINE: %{gpu-path} = mxc-opt --convert-mxc-attention-to-gpu --mxc-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --buffer-deallocation-pipeline --convert-bufferization-to-memref --mxc-gpu-map-loops --convert-parallel-loops-to-gpu --mxc-gpu-on-cpu

// RUN: mxc-testgen attention --spans=none --queries=37 --keys=90 --heads=4 --kv-heads=2 --head-dim=8 --value-dim=8 --seed=3 > %t.d8.mlir
// RUN: %{gpu-path} %t.d8.mlir | %run-cpu > %t.d8.out
// RUN: mxc-testgen attention --spans=none --queries=37 --keys=90 --heads=4 --kv-heads=2 --head-dim=8 --value-dim=8 --seed=3 --kernel --check=%t.d8.out | FileCheck %s --check-prefix=D8
// D8: attention spans=none: all 1184 of 1184 values within tolerance

// RUN: mxc-testgen attention --spans=none --queries=1 --keys=90 --heads=6 --kv-heads=2 --head-dim=16 --value-dim=16 --seed=2 > %t.d16.mlir
// RUN: %{gpu-path} %t.d16.mlir | %run-cpu > %t.d16.out
// RUN: mxc-testgen attention --spans=none --queries=1 --keys=90 --heads=6 --kv-heads=2 --head-dim=16 --value-dim=16 --seed=2 --kernel --check=%t.d16.out | FileCheck %s --check-prefix=D16
// D16: attention spans=none: all 96 of 96 values within tolerance

// RUN: mxc-testgen attention --spans=none --queries=5 --keys=200 --heads=4 --kv-heads=4 --head-dim=64 --value-dim=64 --seed=4 > %t.d64.mlir
// RUN: %{gpu-path} %t.d64.mlir | %run-cpu > %t.d64.out
// RUN: mxc-testgen attention --spans=none --queries=5 --keys=200 --heads=4 --kv-heads=4 --head-dim=64 --value-dim=64 --seed=4 --kernel --check=%t.d64.out | FileCheck %s --check-prefix=D64
// D64: attention spans=none: all 1280 of 1280 values within tolerance

// RUN: mxc-testgen attention --spans=none --queries=90 --keys=90 --heads=6 --kv-heads=2 --head-dim=32 --value-dim=32 --seed=5 > %t.d32.mlir
// RUN: %{gpu-path} %t.d32.mlir | %run-cpu > %t.d32.out
// RUN: mxc-testgen attention --spans=none --queries=90 --keys=90 --heads=6 --kv-heads=2 --head-dim=32 --value-dim=32 --seed=5 --kernel --check=%t.d32.out | FileCheck %s --check-prefix=D32
// D32: attention spans=none: all 17280 of 17280 values within tolerance

// The call really is there, and no generated attention loop.
// RUN: mxc-opt %t.d32.mlir --convert-mxc-attention-to-gpu | FileCheck %s --check-prefix=CALL
// CALL: call @mxc_attention_d32(
// CALL-NOT: mxc.attention
