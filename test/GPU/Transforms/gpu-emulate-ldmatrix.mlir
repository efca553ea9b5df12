// mxc-gpu-emulate turns an ldmatrix.x4 (b16 pairs, not transposed, from a
// 1-D i32 buffer) into what each lane l receives: for matrix i, word l % 4
// of the 16-byte row whose first word lane 8i + l / 4 gave, that lane's
// index brought by an index shuffle. runner-emulated.mlir runs mxc's GEMM,
// whose fragments ldmatrix loads, so against float64.

// RUN: mxc-opt %s --mxc-gpu-emulate | FileCheck %s

// CHECK-LABEL: func.func @mxc_emu_ld(
// CHECK-SAME: %[[T:[^:]*]]: index, %{{[^:]*}}: index) attributes {mxc.emulated_kernel}
// CHECK: %[[S:.*]] = memref.get_global @mxc_emu_ld_shared0 : memref<64xi32>
// CHECK: %[[LANE:.*]] = arith.remui %[[T]], %c32
// CHECK: %[[L:.*]] = arith.index_cast %[[LANE]] : index to i32
// CHECK: %[[ROW:.*]] = arith.divui %[[L]], %c4_i32
// CHECK: %[[W32:.*]] = arith.remui %[[L]], %c4_i32
// CHECK: %[[WORD:.*]] = arith.index_cast %[[W32]] : i32 to index
// CHECK: %[[START:.*]] = arith.index_cast %{{.*}} : index to i32
// Matrix i: the row of lane 8i + l / 4, word l % 4 of it.
// CHECK: %[[SRC0:.*]] = arith.addi %[[ROW]], %c0_i32
// CHECK: %[[R0:.*]] = call @mxc_emu_fn_shuffle(%[[START]], %[[SRC0]], %c32_i32{{.*}}, %c3_i32{{.*}})
// CHECK: %[[I0:.*]] = arith.index_cast %[[R0]] : i32 to index
// CHECK: %[[A0:.*]] = arith.addi %[[I0]], %[[WORD]] : index
// CHECK: %[[V0:.*]] = memref.load %[[S]][%[[A0]]] : memref<64xi32>
// CHECK: %[[SRC1:.*]] = arith.addi %[[ROW]], %c8_i32
// CHECK: %[[R1:.*]] = call @mxc_emu_fn_shuffle(%[[START]], %[[SRC1]], %c32_i32{{.*}}, %c3_i32{{.*}})
// CHECK: %[[I1:.*]] = arith.index_cast %[[R1]] : i32 to index
// CHECK: %[[A1:.*]] = arith.addi %[[I1]], %[[WORD]] : index
// CHECK: %[[V1:.*]] = memref.load %[[S]][%[[A1]]] : memref<64xi32>
// CHECK: %[[SRC2:.*]] = arith.addi %[[ROW]], %c16_i32
// CHECK: %[[R2:.*]] = call @mxc_emu_fn_shuffle(%[[START]], %[[SRC2]], %c32_i32{{.*}}, %c3_i32{{.*}})
// CHECK: %[[I2:.*]] = arith.index_cast %[[R2]] : i32 to index
// CHECK: %[[A2:.*]] = arith.addi %[[I2]], %[[WORD]] : index
// CHECK: %[[V2:.*]] = memref.load %[[S]][%[[A2]]] : memref<64xi32>
// CHECK: %[[SRC3:.*]] = arith.addi %[[ROW]], %c24_i32
// CHECK: %[[R3:.*]] = call @mxc_emu_fn_shuffle(%[[START]], %[[SRC3]], %c32_i32{{.*}}, %c3_i32{{.*}})
// CHECK: %[[I3:.*]] = arith.index_cast %[[R3]] : i32 to index
// CHECK: %[[A3:.*]] = arith.addi %[[I3]], %[[WORD]] : index
// CHECK: %[[V3:.*]] = memref.load %[[S]][%[[A3]]] : memref<64xi32>
// CHECK-NOT: nvgpu.ldmatrix
// CHECK: vector.from_elements %[[V0]], %[[V1]], %[[V2]], %[[V3]] : vector<4x1xi32>
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @ld(%out: memref<?xi32>) workgroup(%s : memref<64xi32, #gpu.address_space<workgroup>>) kernel attributes {known_block_size = array<i32: 32, 1, 1>} {
      %t = gpu.thread_id x
      %c2 = arith.constant 2 : index
      %i = arith.muli %t, %c2 : index
      %v = nvgpu.ldmatrix %s[%i] {numTiles = 4 : i32, transpose = false} : memref<64xi32, #gpu.address_space<workgroup>> -> vector<4x1xi32>
      %e0 = vector.extract %v[0, 0] : i32 from vector<4x1xi32>
      %e3 = vector.extract %v[3, 0] : i32 from vector<4x1xi32>
      %c32 = arith.constant 32 : index
      %u = arith.addi %t, %c32 : index
      memref.store %e0, %out[%t] : memref<?xi32>
      memref.store %e3, %out[%u] : memref<?xi32>
      gpu.return
    }
  }
}

