// REQUIRES: cuda-toolkit
// The PTX of each kernel (no GPU needed): vector loads of the packed codes,
// the conversions meant, FMA accumulation, warp shuffles, no local memory.

// RUN: mxc-kernels --chip=sm_90 --gemv-formats=mxfp8_e4m3,mxfp6_e2m3,mxfp4,mxint8 --softmax-bits=0,2 | FileCheck %s --check-prefix=SM90
// RUN: mxc-kernels --chip=sm_90 --gemv-formats=mxfp8_e5m2 | FileCheck %s --check-prefix=E5M2
// RUN: mxc-kernels --chip=sm_90 --gemv-formats=mxfp4 --batches=1 | FileCheck %s --check-prefix=STAGED
// The staged GEMV's step: the lane's four blocks' codes (16-byte global
// loads), a barrier, the chunk of x copied by every thread (8 global
// 16-byte loads, each stored to shared memory), a barrier, then each
// block's x from shared memory (8 16-byte loads), no global load of x.
// STAGED-LABEL: .entry mx_gemv_mxfp4_b1(
// STAGED-COUNT-4: ld.global.v4.b32
// STAGED-NOT: ld.shared
// STAGED: bar.sync 0;
// STAGED-COUNT-8: st.shared.v4.b32
// STAGED-NEXT: bar.sync 0;
// STAGED-NOT: ld.global
// STAGED-COUNT-8: ld.shared.v4.b32
// STAGED-NOT: ld.global
// STAGED: fma.rn.f32
// RUN: mxc-kernels --chip=sm_90 --gemv-formats=mxfp4 --gemm | FileCheck %s --check-prefix=GEMM
// The tensor-core GEMM's step: W's codes and x's tile loaded from global
// memory (16-byte loads), x rounded to bf16 pairs, a barrier, x stored
// (8-byte stores), W decoded, rounded and stored (16-byte stores), a
// barrier, then 32 bf16 mma.sync of fragments that 16 ldmatrix.x4 read
// from shared memory (4 a 16 of k: A's two 16-row tiles, B's two pairs of
// 8-column tiles), no other shared load: no global load between the
// barriers and the products, no local memory.
// GEMM-LABEL: .entry mx_gemm_mxfp4(
// GEMM: .maxnreg 128
// GEMM-NOT: .local
// GEMM: ld.global.v4.b32
// GEMM-COUNT-8: cvt.rn.bf16x2.f32
// GEMM: bar.sync 0;
// GEMM-COUNT-8: st.shared.v2.b32
// GEMM-COUNT-4: st.shared.v4.b32
// GEMM-NEXT: bar.sync 0;
// GEMM-NOT: ld.global
// GEMM-NOT: ld.shared
// GEMM-COUNT-4: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// GEMM-NOT: ld.shared
// GEMM-COUNT-8: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// GEMM-NOT: ld.shared
// GEMM-COUNT-4: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// GEMM-COUNT-8: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// GEMM-COUNT-4: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// GEMM-COUNT-8: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// GEMM-COUNT-4: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// GEMM-COUNT-8: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// GEMM-NOT: mma.sync
// GEMM-NOT: ldmatrix
// GEMM-NOT: ld.local
// GEMM: ret;
// With E5M2, a code is an f16's high byte: a word's bytes 0 and 2 shifted up a
// byte and masked, its bytes 1 and 3 masked, are two f16 pairs: no shift
// right, no or.
// E5M2-LABEL: .entry mx_gemv_mxfp8_e5m2_b1(
// E5M2: ld.global.v4.b32
// E5M2: ld.global.v4.b32
// E5M2-NOT: {{shr|or}}.b32
// E5M2: shl.b32 [[S:%r[0-9]+]], %r{{[0-9]+}}, 8;
// E5M2-NEXT: and.b32 %r{{[0-9]+}}, [[S]], -16711936;
// E5M2-NOT: {{shr|or}}.b32
// E5M2: fma.rn.f32
// SM90: .target sm_90
// SM90-NOT: .local
// SM90-LABEL: .entry mx_gemv_mxfp8_e4m3_b1(
// The ABI mxc-gpu-runner packs: 4 memrefs as (pointer, pointer, offset,
// size, stride), then m, n, k, the residual's memref and add_residual: 29
// parameters.
// SM90: .param .u64 .ptr .align 1 mx_gemv_mxfp8_e4m3_b1_param_0,
// SM90: .param .u64 mx_gemv_mxfp8_e4m3_b1_param_28{{$}}
// SM90-NEXT: )
// Two 16-byte loads hold the block's 32 E4M3 codes; sm_90 converts them
// natively, two at a time.
// SM90: ld.global.v4.b32
// SM90: ld.global.v4.b32
// SM90-COUNT-16: cvt.rn.f16x2.e4m3x2
// SM90: fma.rn.f32
// SM90-COUNT-5: shfl.sync.bfly.b32
// SM90-LABEL: .entry mx_gemv_mxfp6_e2m3_b1(
// 24 bytes of E2M3 codes: three 8-byte loads.
// SM90-COUNT-3: ld.global.v2.b32
// SM90: cvt.f32.f16
// SM90-LABEL: .entry mx_gemv_mxfp4_b1(
// Decode (one row): x through shared memory, 128 blocks of 36 floats,
// aligned for 16-byte accesses.
// SM90: .shared .align 16 .b8 __wg_mx_gemv_mxfp4_b1_0[18432];
// Four blocks' codes (16 bytes each) loaded before the first is decoded:
// four loads in flight per lane.
// SM90-NOT: cvt.f32.f16
// SM90: ld.global.v4.b32
// SM90-NOT: cvt.f32.f16
// SM90: ld.global.v4.b32
// SM90-NOT: cvt.f32.f16
// SM90: ld.global.v4.b32
// SM90-NOT: cvt.f32.f16
// SM90: ld.global.v4.b32
// SM90-NOT: e4m3x2
// A block's decode: each of its 4 words shifted right once (its high
// nibbles: the shift by 3 that puts their magnitudes under the f16 high
// byte s000eem0, masked by 0x0E0E0E0E), no shift a nibble; each f16 pair of
// values masked by 0x8E008E00 (the bits such high bytes have).
// SM90-NOT: shr.u32
// SM90: shr.u32 %r{{[0-9]+}}, %r{{[0-9]+}}, 3;
// SM90-NEXT: and.b32 %r{{[0-9]+}}, %r{{[0-9]+}}, 235802126;
// SM90-COUNT-4: and.b32 %r{{[0-9]+}}, %r{{[0-9]+}}, -1912566272;
// SM90-NOT: shr.u32
// SM90: shr.u32 %r{{[0-9]+}}, %r{{[0-9]+}}, 3;
// SM90-NOT: shr.u32
// SM90: shr.u32 %r{{[0-9]+}}, %r{{[0-9]+}}, 3;
// SM90-NOT: shr.u32
// SM90: shr.u32 %r{{[0-9]+}}, %r{{[0-9]+}}, 3;
// SM90-NOT: shr.u32
// SM90: fma.rn.f32
// SM90: cvt.f32.f16
// SM90-LABEL: .entry mx_gemv_mxint8_b1(
// SM90: cvt.rn.f32.s16
// SM90-LABEL: .entry mx_softmax_exact(
// SM90: ex2.approx
// SM90: {{rcp|div}}.rn.f32
// SM90-LABEL: .entry mx_softmax_exaq2(
// x, y (memrefs), n, clip and 1/step (f32), table, counts (memrefs).
// SM90: .param .f32 mx_softmax_exaq2_param_11,
// SM90-NEXT: .param .f32 mx_softmax_exaq2_param_12,
// SM90: .param .u64 mx_softmax_exaq2_param_22{{$}}
// SM90-NEXT: )
// The accumulation phase counts codes: no exponentials. A ballot and a
// popcount per code (4 of 2 bits), no atomics; then one division (a code's
// output, by the first 4 threads), not one per value.
// SM90-NOT: ex2
// SM90-NOT: atom
// SM90-COUNT-4: vote.sync.ballot.b32
// SM90-NOT: atom
// SM90: popc.b32
// SM90-NOT: atom
// SM90: div.rn.f32
// SM90-NOT: {{ex2|div.rn|atom}}

// Decode attention: 16-byte loads of K rows and V, shuffles for the warp
// max/sum and to broadcast each key's weight, a barrier before combining
// the warps.
// RUN: mxc-kernels --chip=sm_90 --gemv-formats=mxint8 --attention-head-dims=128 | FileCheck %s --check-prefix=ATT
// ATT-LABEL: .entry mx_attention_decode_dense_d128(
// q, k, v, out (memrefs of 5 parameters), keys, heads, kv_heads, k_stride,
// v_stride, queries, scale, key_offset (a memref of 5), out_head_stride,
// out_row_stride.
// ATT: .param .u64 mx_attention_decode_dense_d128_param_25,
// ATT-NEXT: .param .f32 mx_attention_decode_dense_d128_param_26,
// ATT-NEXT: .param .u64 .ptr .align 1 mx_attention_decode_dense_d128_param_27,
// ATT-NEXT: .param .u64 .ptr .align 1 mx_attention_decode_dense_d128_param_28,
// ATT-NEXT: .param .u64 mx_attention_decode_dense_d128_param_29,
// ATT-NEXT: .param .u64 mx_attention_decode_dense_d128_param_30,
// ATT-NEXT: .param .u64 mx_attention_decode_dense_d128_param_31,
// ATT-NEXT: .param .u64 mx_attention_decode_dense_d128_param_32,
// ATT-NEXT: .param .u64 mx_attention_decode_dense_d128_param_33{{$}}
// ATT-NEXT: )
// ATT-NOT: .local
// ATT: ld.global.v4.b32
// ATT: shfl.sync.bfly.b32
// ATT: shfl.sync.idx.b32
// ATT: bar.sync
// ATT-LABEL: .entry mx_attention_decode_sparse_d128(
// ATT: ld.global.v4.b32
// ATT: shfl.sync.idx.b32

// sm_80 has no FP8 conversion instruction: E4M3 is decoded with integer
// operations.
// RUN: mxc-kernels --chip=sm_80 --gemv-formats=mxfp8_e4m3 | FileCheck %s --check-prefix=SM80
// SM80: .target sm_80
// SM80-NOT: e4m3x2
// Without the native conversion, a word of 4 E4M3 codes is two f16 pairs:
// bytes 0 and 2 shifted up 7 (magnitudes, 0x3F803F80) and 8 (signs,
// 0x80008000), bytes 1 and 3 shifted down 1 and in place; one shift right
// a word, none a byte.
// SM80-LABEL: .entry mx_gemv_mxfp8_e4m3_b1(
// SM80: shl.b32 [[A:%r[0-9]+]], [[W:%r[0-9]+]], 7;
// SM80-NEXT: and.b32 %r{{[0-9]+}}, [[A]], 1065369472;
// SM80-NEXT: shl.b32 [[B:%r[0-9]+]], [[W]], 8;
// SM80-NEXT: and.b32 %r{{[0-9]+}}, [[B]], -2147450880;
// SM80-NEXT: or.b32
// SM80-NEXT: shr.u32 [[C:%r[0-9]+]], [[W]], 1;
// SM80-NEXT: and.b32 %r{{[0-9]+}}, [[C]], 1065369472;
// SM80-NEXT: and.b32 %r{{[0-9]+}}, [[W]], -2147450880;
// SM80-NEXT: or.b32
// SM80-NOT: shr.u32 %r{{[0-9]+}}, [[W]], {{8|16|24}};
// SM80: cvt.f32.f16
// SM80-NOT: e4m3x2
