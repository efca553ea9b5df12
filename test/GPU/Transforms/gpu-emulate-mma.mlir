// mxc-gpu-emulate turns a tensor-core product (mma.sync m16n8k16, bf16 into
// f32) into what each lane computes: A's rows g and g + 8 and B's columns
// 2t and 2t + 1 of lane 4g + t gathered with 32 index shuffles (the PTX
// ISA's fragment layout), the bf16 pairs unpacked (the low half by a shift,
// the high half by a mask), and 16 multiply-adds per output in the order of
// k from the accumulator in; and bf16 roundings into integer operations
// (upstream's arith expansion; this CPU's LLVM would call a runtime
// function). runner-emulated.mlir runs mxc's GEMM so against float64.

// RUN: mxc-opt %s --mxc-gpu-emulate | FileCheck %s

// CHECK-LABEL: func.func @mxc_emu_mma(
// CHECK-SAME: %[[T:[^:]*]]: index, %{{[^:]*}}: index) attributes {mxc.emulated_kernel}
// CHECK-NOT: arith.truncf
// CHECK: %[[LANE:.*]] = arith.remui %[[T]], %c32
// CHECK: %[[L:.*]] = arith.index_cast %[[LANE]] : index to i32
// CHECK: %[[G:.*]] = arith.divui %[[L]], %c4_i32
// CHECK: %[[TIG:.*]] = arith.remui %[[L]], %c4_i32
// CHECK-COUNT-32: call @mxc_emu_fn_shuffle(%{{.*}}, %{{.*}}, %c32_i32{{.*}}, %c3_i32{{.*}}) : (i32, i32, i32, i32) -> i32
// CHECK-NOT: call @mxc_emu_fn_shuffle
// CHECK-COUNT-64: math.fma
// CHECK-NOT: math.fma
// CHECK-NOT: nvvm.mma.sync
// The four outputs, the struct folded away.
// CHECK-NOT: llvm.extractvalue
// CHECK-COUNT-3: arith.addf
// CHECK: memref.store
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @mma(%x: memref<?xf32>, %w: memref<?xi32>, %out: memref<?xf32>) kernel attributes {known_block_size = array<i32: 32, 1, 1>} {
      %t = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %v = vector.load %x[%c0] : memref<?xf32>, vector<2xf32>
      %h = arith.truncf %v : vector<2xf32> to vector<2xbf16>
      %p = vector.bitcast %h : vector<2xbf16> to vector<1xi32>
      %a = vector.extract %p[0] : i32 from vector<1xi32>
      %b = memref.load %w[%t] : memref<?xi32>
      %c = arith.constant 0.0 : f32
      %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c, %c, %c, %c] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
      %e0 = llvm.extractvalue %d[0] : !llvm.struct<(f32, f32, f32, f32)>
      %e1 = llvm.extractvalue %d[1] : !llvm.struct<(f32, f32, f32, f32)>
      %e2 = llvm.extractvalue %d[2] : !llvm.struct<(f32, f32, f32, f32)>
      %e3 = llvm.extractvalue %d[3] : !llvm.struct<(f32, f32, f32, f32)>
      %s0 = arith.addf %e0, %e1 : f32
      %s1 = arith.addf %e2, %e3 : f32
      %s = arith.addf %s0, %s1 : f32
      memref.store %s, %out[%t] : memref<?xf32>
      gpu.return
    }
  }
}
