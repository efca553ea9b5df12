// mxc-lower-to-llvm{attention-kernels}: a plain causal attention runs in
// mxc's CPU attention kernel (libmxc_cpu_kernels.so under mlir-runner).
// Grouped-query heads (6 query heads on 2 KV heads), a prefill (as many
// queries as keys, causal; D = Dv = 64), a decode row (1 query on 90 keys;
// D = 16, Dv = 8) and a chunk (37 queries on the last positions of 90 keys;
// D = 20, Dv = 24, not multiples of the 16 lanes): each output within the
// float64 reference's error bound (that of attention-causal-prefill.mlir).

// UNSUPPORTED: sanitized

// RUN: mxc-testgen attention --spans=none --queries=90 --keys=90 --heads=6 --kv-heads=2 --head-dim=64 --value-dim=64 > %t.prefill.mlir
// RUN: mxc-opt %t.prefill.mlir --mxc-lower-to-llvm=attention-kernels=true > %t.prefill.ll.mlir
// RUN: FileCheck %s --check-prefix=CALL < %t.prefill.ll.mlir
// RUN: %run-kernels %t.prefill.ll.mlir > %t.prefill.out
// RUN: mxc-testgen attention --spans=none --queries=90 --keys=90 --heads=6 --kv-heads=2 --head-dim=64 --value-dim=64 --kernel --check=%t.prefill.out | FileCheck %s --check-prefix=PREFILL
// CALL: llvm.call @_mlir_ciface_mxc_cpu_attention
// PREFILL: attention spans=none: all 34560 of 34560 values within tolerance {{.*}}tiles not counted (kernel)

// RUN: mxc-testgen attention --spans=none --queries=1 --keys=90 --heads=6 --kv-heads=2 --seed=2 > %t.decode.mlir
// RUN: mxc-opt %t.decode.mlir --mxc-lower-to-llvm=attention-kernels=true | %run-kernels > %t.decode.out
// RUN: mxc-testgen attention --spans=none --queries=1 --keys=90 --heads=6 --kv-heads=2 --seed=2 --kernel --check=%t.decode.out | FileCheck %s --check-prefix=DECODE
// DECODE: all 48 of 48 values within tolerance

// RUN: mxc-testgen attention --spans=none --queries=37 --keys=90 --heads=4 --kv-heads=2 --head-dim=20 --value-dim=24 --seed=3 > %t.chunk.mlir
// RUN: mxc-opt %t.chunk.mlir --mxc-lower-to-llvm=attention-kernels=true | %run-kernels > %t.chunk.out
// RUN: mxc-testgen attention --spans=none --queries=37 --keys=90 --heads=4 --kv-heads=2 --head-dim=20 --value-dim=24 --seed=3 --kernel --check=%t.chunk.out | FileCheck %s --check-prefix=CHUNK
// CHUNK: all 3552 of 3552 values within tolerance

// With an EXAQ softmax, the kernel's entry point with the quantizer's table:
// each output within the bound of numerics::exaqAttentionReference (the same
// f32 scores and codes; attention-exaq.mlir), for a zero-floor prefill, a
// clamped 3-bit decode row and a chunk with a given table. The same output
// checked without the table, or with the clip moved by 0.1, fails.
// RUN: mxc-testgen attention --spans=none --queries=90 --keys=90 --heads=6 --kv-heads=2 --head-dim=64 --value-dim=64 --bits=2 --clip=-4.5 --zero-floor > %t.exaq-prefill.mlir
// RUN: mxc-opt %t.exaq-prefill.mlir --mxc-lower-to-llvm=attention-kernels=true > %t.exaq-prefill.ll.mlir
// RUN: FileCheck %s --check-prefix=EXAQ-CALL < %t.exaq-prefill.ll.mlir
// RUN: %run-kernels %t.exaq-prefill.ll.mlir > %t.exaq-prefill.out
// RUN: mxc-testgen attention --spans=none --queries=90 --keys=90 --heads=6 --kv-heads=2 --head-dim=64 --value-dim=64 --bits=2 --clip=-4.5 --zero-floor --kernel --check=%t.exaq-prefill.out | FileCheck %s --check-prefix=EXAQ-PREFILL
// EXAQ-CALL: llvm.call @_mlir_ciface_mxc_cpu_attention_exaq
// EXAQ-PREFILL: exaq attention bits=2 spans=none: all 34560 of 34560 values within tolerance {{.*}}tiles not counted (kernel)

// RUN: mxc-testgen attention --spans=none --queries=1 --keys=90 --heads=6 --kv-heads=2 --bits=3 --clip=-5.5 --seed=2 > %t.exaq-decode.mlir
// RUN: mxc-opt %t.exaq-decode.mlir --mxc-lower-to-llvm=attention-kernels=true | %run-kernels > %t.exaq-decode.out
// RUN: mxc-testgen attention --spans=none --queries=1 --keys=90 --heads=6 --kv-heads=2 --bits=3 --clip=-5.5 --seed=2 --kernel --check=%t.exaq-decode.out | FileCheck %s --check-prefix=EXAQ-DECODE
// EXAQ-DECODE: exaq attention bits=3 spans=none: all 48 of 48 values within tolerance

// RUN: mxc-testgen attention --spans=none --queries=37 --keys=90 --heads=4 --kv-heads=2 --head-dim=20 --value-dim=24 --bits=2 --clip=-3 --zero-floor --table=0,0.1,0.4,1 --seed=3 > %t.exaq-chunk.mlir
// RUN: mxc-opt %t.exaq-chunk.mlir --mxc-lower-to-llvm=attention-kernels=true | %run-kernels > %t.exaq-chunk.out
// RUN: mxc-testgen attention --spans=none --queries=37 --keys=90 --heads=4 --kv-heads=2 --head-dim=20 --value-dim=24 --bits=2 --clip=-3 --zero-floor --table=0,0.1,0.4,1 --seed=3 --kernel --check=%t.exaq-chunk.out | FileCheck %s --check-prefix=EXAQ-CHUNK
// EXAQ-CHUNK: exaq attention bits=2 spans=none: all 3552 of 3552 values within tolerance
// RUN: not mxc-testgen attention --spans=none --queries=37 --keys=90 --heads=4 --kv-heads=2 --head-dim=20 --value-dim=24 --bits=2 --clip=-3 --zero-floor --seed=3 --kernel --check=%t.exaq-chunk.out | FileCheck %s --check-prefix=EXAQ-FAILS
// RUN: not mxc-testgen attention --spans=none --queries=37 --keys=90 --heads=4 --kv-heads=2 --head-dim=20 --value-dim=24 --bits=2 --clip=-3.1 --zero-floor --table=0,0.1,0.4,1 --seed=3 --kernel --check=%t.exaq-chunk.out | FileCheck %s --check-prefix=EXAQ-FAILS
// EXAQ-FAILS: exaq attention bits=2 spans=none: FAILED

// Span-sparse attentions stay with the generated loops.
// RUN: mxc-testgen attention --spans=many --sink=1 --keep-self --queries=8 --keys=64 > %t.spans.mlir
// RUN: mxc-opt %t.spans.mlir --mxc-lower-to-llvm=attention-kernels=true | FileCheck %s --check-prefix=SPANS
// SPANS-NOT: mxc_cpu_attention
