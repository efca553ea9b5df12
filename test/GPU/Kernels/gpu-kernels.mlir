// mxc-gpu-kernels builds the kernels as gpu.func in a gpu.module with an
// NVVM target; bad options are one clear error each.

// RUN: mxc-opt %s --mxc-gpu-kernels="chip=sm_90 gemv-formats=mxfp4 batches=2,4 softmax-bits=0,2" | FileCheck %s
// CHECK: module attributes {gpu.container_module}
// CHECK: gpu.module @mxc_kernels [#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">]
// Up to 2 rows, x goes through shared memory: 2 rows of 128 blocks of 32
// floats and 4 of padding.
// CHECK: gpu.func @mx_gemv_mxfp4_b2(%{{.*}}: memref<?xi32>, %{{.*}}: memref<?xi8>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<?xf32>, %{{.*}}: index) workgroup(%[[XS:[^ ]*]] : memref<9216xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// A chunk of 128 blocks a step: the lane's 4 blocks' codes loaded first
// (16-byte loads), a barrier, the chunk of x copied by all threads (2 rows
// x 8 16-byte pieces each), a barrier, then each block's x from shared
// memory, none from x itself.
// CHECK: scf.for
// CHECK-COUNT-4: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xi32>, vector<4xi32>
// CHECK: gpu.barrier
// CHECK-COUNT-16: vector.store %{{.*}}, %[[XS]]
// CHECK: gpu.barrier
// CHECK-NOT: memref<?xf32>, vector<4xf32>
// CHECK-COUNT-16: vector.load %[[XS]]
// CHECK-NOT: memref<?xf32>, vector<4xf32>
// CHECK: scf.yield
// CHECK: gpu.shuffle xor
// CHECK: gpu.return
// 4 rows: x read where it is. One 16-byte load of the block's 32 FP4 codes,
// then 4 x 8 loads of x.
// CHECK: gpu.func @mx_gemv_mxfp4_b4(%{{.*}}: memref<?xi32>, %{{.*}}: memref<?xi8>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<?xf32>, %{{.*}}: index) kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// CHECK-NOT: gpu.barrier
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xi32>, vector<4xi32>
// CHECK-COUNT-32: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK: gpu.shuffle xor
// CHECK: gpu.func @mx_softmax_exact(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index) workgroup(%{{.*}} : memref<8xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// CHECK: math.exp
// The EXAQ kernel's shared memory: the warps' partials, the LUT, the
// counts, the output per code, each warp's counts (8 x 4).
// CHECK: gpu.func @mx_softmax_exaq2(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xi32>) workgroup(%{{.*}} : memref<8xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<4xi32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[OUTS:.*]] : memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[WARPS:.*]] : memref<32xi32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// One pass for the max and the NaN flag.
// CHECK: scf.for {{.+}} -> (f32, f32)
// CHECK: arith.maxnumf
// CHECK-NOT: math.exp
// Per code, a ballot and its popcount added to a count in a register.
// CHECK: scf.for {{.+}} -> (i32, i32, i32, i32)
// CHECK-COUNT-4: nvvm.vote.sync  ballot
// CHECK-NOT: memref.atomic_rmw
// CHECK: memref.store %{{.+}}, %[[WARPS]]
// CHECK-NOT: memref.atomic_rmw
// CHECK-NOT: math.exp
// The output per code: one division each.
// CHECK: arith.divf
// CHECK: memref.store %{{.+}}, %[[OUTS]]
// CHECK-NOT: arith.divf
// CHECK: memref.load %[[OUTS]]
// CHECK-NOT: {{math.exp|arith.divf|memref.atomic_rmw}}
// CHECK: gpu.return

// The compact form (softmax-codes): i8 codes instead of f32 outputs, and a
// last argument for each row's output per code; only up to 4 bits.
// RUN: mxc-opt %s --mxc-gpu-kernels="gemv-formats=mxfp4 softmax-bits=2,8 softmax-codes=true" | FileCheck %s --check-prefix=CODES
// CODES: gpu.func @mx_softmax_exaq2(
// CODES: gpu.func @mx_softmax_exaq2_codes(%{{.*}}: memref<?xf32>, %[[CODES:.*]]: memref<?xi8>, %{{.*}}: index, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xi32>, %[[TABLE:.*]]: memref<?xf32>)
// CODES: nvvm.vote.sync  ballot
// CODES: arith.divf
// CODES: memref.store %{{.+}}, %[[TABLE]]
// CODES-NOT: arith.divf
// CODES: %[[BYTE:.+]] = arith.trunci %{{.+}} : i32 to i8
// CODES: memref.store %[[BYTE]], %[[CODES]]
// CODES: gpu.return
// CODES: gpu.func @mx_softmax_exaq8(
// CODES-NOT: gpu.func @mx_softmax_exaq8_codes

// Above 4 bits (16 codes), shared-memory atomics count.
// RUN: mxc-opt %s --mxc-gpu-kernels="gemv-formats=mxfp4 softmax-bits=8" | FileCheck %s --check-prefix=BITS8
// BITS8: gpu.func @mx_softmax_exaq8({{.+}} workgroup({{.+}}, %{{.*}} : memref<256xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// BITS8-NOT: nvvm.vote.sync
// BITS8: memref.atomic_rmw addi

// RUN: mxc-opt %s --mxc-gpu-kernels="gemv-formats=mxint8 attention-head-dims=64,8" | FileCheck %s --check-prefix=ATT
// The dense kernel: q, k, v, out, keys, heads, kv_heads, k_stride, v_stride,
// queries, scale; k and v start at an offset (a KV cache's layer). Block
// (head, query row).
// ATT: gpu.func @mx_attention_decode_dense_d64(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32, strided<[1], offset: ?>>, %{{.*}}: memref<?xf32, strided<[1], offset: ?>>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: f32, %{{.*}}: memref<1xi64>, %{{.*}}: index, %{{.*}}: index) workgroup(%{{.*}} : memref<64xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<256xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// ATT: gpu.block_id  y
// ATT-NOT: memref<?xi32>
// The sparse kernel walks the tile list.
// ATT: gpu.func @mx_attention_decode_sparse_d64(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32, strided<[1], offset: ?>>, %{{.*}}: memref<?xf32, strided<[1], offset: ?>>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xi32>, %{{.*}}: index,
// ATT: scf.for %[[T:.*]] = %{{.*}} to %arg5
// ATT: memref.load %arg4[%[[T]]] : memref<?xi32>
// ATT: gpu.shuffle idx
// Below D = 32, four lanes share a dimension of d8 and add up their keys'
// shares (lanes 8 and 16 apart).
// ATT: gpu.func @mx_attention_decode_dense_d8(
// ATT: gpu.shuffle xor %{{.*}}, %c8_i32, %c32_i32
// ATT: gpu.shuffle xor %{{.*}}, %c16_i32, %c32_i32

// RUN: mxc-opt %s --mxc-gpu-kernels="gemv-formats=mxint8 attention-head-dims=64 attention-group-heads=4" | FileCheck %s --check-prefix=GQA
// Blocks of 4 query heads of one KV head: their q scaled into shared memory
// (4 x 64), the four warps' states per head (16), their accumulators
// (4 x 4 x 64); block x is the group, its first head 4 x.
// GQA: gpu.func @mx_attention_decode_dense_d64_q4({{.*}}) workgroup(%{{.*}} : memref<256xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<16xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<16xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<1024xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// GQA: %[[BX:.+]] = gpu.block_id  x
// GQA: arith.muli %[[BX]], %c4
// GQA: scf.for %{{.+}} = %thread_id_x to %c256 step %c128
// GQA: gpu.barrier
// The tile loop carries (m, l, acc[2]) for each of the 4 heads, and opens
// with a warp barrier, so that q stays in shared memory.
// GQA: scf.for {{.+}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// GQA-NEXT: arith.constant -1 : i32
// GQA-NEXT: nvvm.bar.warp.sync
// One load of each chunk of a key for the 4 heads' dot products.
// GQA: %[[KV:.+]] = vector.load %arg1
// GQA: %[[K0:.+]] = vector.extract %[[KV]][0]
// GQA-NOT: vector.load
// GQA-COUNT-4: math.fma %[[K0]], %{{.+}}, %{{.+}} : f32
// GQA-NOT: vector.load
// GQA: %[[KV2:.+]] = vector.load %arg1
// GQA: gpu.func @mx_attention_decode_sparse_d64_q4(

// RUN: mxc-opt %s --mxc-gpu-kernels="gemv-formats=mxint8 attention-head-dims=64 attention-split-keys=true" | FileCheck %s --check-prefix=SPLIT
// The split form: the dense kernel's arguments, then the records' buffer
// and the splits S; block x is (head group) * S + split; warp w of split s
// walks tiles 4s + w, 4s + w + 4S, ...
// SPLIT: gpu.func @mx_attention_decode_dense_d64_split(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32, strided<[1], offset: ?>>, %{{.*}}: memref<?xf32, strided<[1], offset: ?>>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %[[HEADS:[^:]+]]: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %[[QUERIES:[^:]+]]: index, %{{.*}}: f32, %{{.*}}: memref<1xi64>, %{{.*}}: index, %{{.*}}: index, %[[PARTIAL:[^:]+]]: memref<?xf32>, %[[S:[^:]+]]: index)
// SPLIT: %[[BX:.+]] = gpu.block_id  x
// SPLIT: %[[SPLIT:.+]] = arith.remui %[[BX]], %[[S]] : index
// SPLIT: arith.divui %[[BX]], %[[S]] : index
// SPLIT: %[[FIRST:.+]] = arith.muli %[[SPLIT]], %c4 : index
// SPLIT: %[[START:.+]] = arith.addi %{{.+}}, %[[FIRST]] : index
// SPLIT: %[[STEP:.+]] = arith.muli %c4, %[[S]] : index
// SPLIT: scf.for %{{.+}} = %[[START]] to %{{.+}} step %[[STEP]] iter_args
// The record (h * queries + row) * S + split: the unnormalized output at
// record * 64, the max and the sum at R * 64 + 2 record (R = heads *
// queries * S), no division.
// SPLIT: %[[RECORD:.+]] = arith.addi %{{.+}}, %[[SPLIT]] : index
// SPLIT: %[[AT:.+]] = arith.muli %[[RECORD]], %c64 : index
// SPLIT: %[[E:.+]] = arith.addi %[[AT]], %thread_id_x : index
// SPLIT: memref.store %{{.+}}, %[[PARTIAL]][%[[E]]] : memref<?xf32>
// SPLIT: scf.if
// SPLIT: %[[HQ:.+]] = arith.muli %[[HEADS]], %[[QUERIES]] : index
// SPLIT: %[[R:.+]] = arith.muli %[[HQ]], %[[S]] : index
// SPLIT: %[[STATS:.+]] = arith.muli %[[R]], %c64 : index
// SPLIT: %[[TWICE:.+]] = arith.muli %[[RECORD]], %{{c2.*}} : index
// SPLIT: %[[MAX:.+]] = arith.addi %[[STATS]], %[[TWICE]] : index
// SPLIT: memref.store %{{.+}}, %[[PARTIAL]][%[[MAX]]]
// SPLIT: %[[SUM:.+]] = arith.addi %[[MAX]], %{{c1.*}} : index
// SPLIT: memref.store %{{.+}}, %[[PARTIAL]][%[[SUM]]]
// SPLIT-NOT: arith.divf
// SPLIT: gpu.return
// SPLIT: gpu.func @mx_attention_decode_sparse_d64_split(
// The merge: block (head, row); the splits' largest max, then their sums
// and outputs rescaled to it (an empty split, -inf, counts nothing), one
// division.
// SPLIT: gpu.func @mx_attention_merge_d64(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index) kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// SPLIT: scf.for {{.+}} -> (f32)
// SPLIT: arith.maximumf
// SPLIT: scf.for {{.+}} -> (f32, f32)
// SPLIT: arith.cmpf oeq, %{{.+}}, %cst_0 : f32
// SPLIT: math.exp
// SPLIT: arith.select
// SPLIT: math.fma
// SPLIT: math.fma
// SPLIT: arith.divf
// SPLIT: memref.store

// RUN: mxc-opt %s --mxc-gpu-kernels="gemv-formats=mxfp4 batches=1,4 gemv-unstaged=true" | FileCheck %s --check-prefix=UNSTAGED
// gemv-unstaged: beside each staged kernel, the same batch reading x where
// it is (for the benchmark's comparison); a batch that is not staged has
// no such twin.
// UNSTAGED: gpu.func @mx_gemv_mxfp4_b1({{.+}}) workgroup(
// UNSTAGED: gpu.barrier
// UNSTAGED: gpu.func @mx_gemv_mxfp4_b1_unstaged({{[^)]+}}) kernel
// UNSTAGED-NOT: gpu.barrier
// UNSTAGED: gpu.func @mx_gemv_mxfp4_b4({{[^)]+}}) kernel
// UNSTAGED-NOT: _unstaged

// RUN: mxc-opt %s --mxc-gpu-kernels="gemv-formats=mxfp4,mxint8 gemm=true" | FileCheck %s --check-prefix=GEMM
// gemm=true: the tensor-core GEMM of each format, with the GEMV's
// arguments and two 64 x 36-word stages of bf16 pairs (x and W). A step of
// k: W's codes loaded, x's 64 x 64 tile loaded and rounded to bf16 (8
// chunks of 4 floats a thread), a barrier, both stored, a barrier, then the
// warp's 2 x 4 tiles of 16 x 8 for each 16 of k's 64, their fragments
// loaded by 4 ldmatrix.x4: 32 mma.sync of bf16 (A row-major, B
// column-major) into f32; the sums stored past the loop.
// GEMM: gpu.func @mx_gemm_mxfp4(%{{.*}}: memref<?xi32>, %{{.*}}: memref<?xi8>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<?xf32>, %{{.*}}: index) workgroup(%[[XS:[^ ]*]] : memref<2304xi32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[WS:[^ ]*]] : memref<2304xi32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// GEMM-SAME: nvvm.maxnreg = 128
// GEMM: scf.for
// GEMM: vector.load %{{.*}} : memref<?xi32>, vector<4xi32>
// GEMM-COUNT-8: arith.truncf %{{.*}} : vector<4xf32> to vector<4xbf16>
// GEMM: gpu.barrier
// GEMM-COUNT-8: vector.store %{{.*}}, %[[XS]][%{{.*}}] {alignment = 8 : i64} : memref<2304xi32, #gpu.address_space<workgroup>>, vector<2xi32>
// GEMM-COUNT-4: vector.store %{{.*}}, %[[WS]][%{{.*}}] {alignment = 16 : i64} : memref<2304xi32, #gpu.address_space<workgroup>>, vector<4xi32>
// GEMM-NEXT: gpu.barrier
// GEMM-COUNT-4: nvgpu.ldmatrix %{{.*}}[%{{.*}}] {numTiles = 4 : i32, transpose = false} : memref<2304xi32, #gpu.address_space<workgroup>> -> vector<4x1xi32>
// GEMM-COUNT-8: nvvm.mma.sync A
// GEMM-COUNT-4: nvgpu.ldmatrix
// GEMM-COUNT-8: nvvm.mma.sync A
// GEMM-COUNT-4: nvgpu.ldmatrix
// GEMM-COUNT-8: nvvm.mma.sync A
// GEMM-COUNT-4: nvgpu.ldmatrix
// GEMM-COUNT-8: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// GEMM-NOT: nvgpu.ldmatrix
// GEMM-NOT: nvvm.mma.sync
// GEMM: scf.yield
// GEMM-COUNT-32: memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<?xf32>
// GEMM: gpu.return
// GEMM: gpu.func @mx_gemm_mxint8(
// RUN: not mxc-opt %s --mxc-gpu-kernels="chip=sm_75 gemm=true" 2>&1 | FileCheck %s --check-prefix=GEMM75
// GEMM75: error: mxc-gpu-kernels: the tensor-core GEMM needs sm_80 or newer (mma.sync on bf16), not sm_75

// RUN: not mxc-opt %s --mxc-gpu-kernels="attention-head-dims=64 attention-group-heads=9" 2>&1 | FileCheck %s --check-prefix=GROUP
// GROUP: error: mxc-gpu-kernels: attention group heads must be 1 to 8, not 9
// RUN: not mxc-opt %s --mxc-gpu-kernels="attention-head-dims=256" 2>&1 | FileCheck %s --check-prefix=HEADDIM
// HEADDIM: error: mxc-gpu-kernels: attention head dimension must be 4, 8, 16 or a multiple of 32 up to 128, not 256
// RUN: not mxc-opt %s --mxc-gpu-kernels="chip=gfx90a" 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: error: mxc-gpu-kernels: chip must be sm_XY, not 'gfx90a'
// RUN: not mxc-opt %s --mxc-gpu-kernels="gemv-formats=mxfp5" 2>&1 | FileCheck %s --check-prefix=FORMAT
// FORMAT: error: mxc-gpu-kernels: unknown format 'mxfp5'
// mxc-kernels stops at a format it does not know, and writes nothing.
// RUN: not mxc-kernels --format=foo -o %t.bad 2>&1 | FileCheck %s --check-prefix=KFORMAT
// KFORMAT: for the --format option: Cannot find option named 'foo'!
// RUN: not ls %t.bad
// RUN: not mxc-opt %s --mxc-gpu-kernels="batches=17" 2>&1 | FileCheck %s --check-prefix=BATCH
// BATCH: error: mxc-gpu-kernels: batch must be 1 to 16, not 17
// RUN: not mxc-opt %s --mxc-gpu-kernels="gemv-formats=mxfp4 softmax-bits=9" 2>&1 | FileCheck %s --check-prefix=BITS
// BITS: error: mxc-gpu-kernels: softmax bits must be 0 (exact) to 8, not 9
module {}
