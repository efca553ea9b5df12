// convert-mxc-matmul-to-gpu: an MX-weight matmul becomes a call of the GEMV
// kernel's function on buffers; mxc-gpu-mx-kernels gives that function the
// kernel's body and launches it with the kernel's geometry (CUDA), or CPU
// loops (CPU).

// RUN: mxc-opt %s --split-input-file --convert-mxc-matmul-to-gpu | FileCheck %s
// RUN: mxc-opt %s --split-input-file --convert-mxc-matmul-to-gpu --mxc-gpu-mx-kernels="target=cuda chip=sm_90" | FileCheck %s --check-prefix=CUDA
// RUN: mxc-opt %s --split-input-file --convert-mxc-matmul-to-gpu --mxc-gpu-mx-kernels="target=cpu" | FileCheck %s --check-prefix=CPU
// Without the tensor-core GEMM: asked so, or below sm_80 (no bf16 mma.sync).
// RUN: mxc-opt %s --split-input-file --convert-mxc-matmul-to-gpu --mxc-gpu-mx-kernels="target=cuda chip=sm_90 gemm-min-rows=0" | FileCheck %s --check-prefix=NOGEMM
// RUN: mxc-opt %s --split-input-file --convert-mxc-matmul-to-gpu --mxc-gpu-mx-kernels="target=cuda chip=sm_75" | FileCheck %s --check-prefix=NOGEMM
// NOGEMM-NOT: mx_gemm
// NOGEMM: func.call @mxc_gemv_mxfp4_b8(
// NOGEMM-NOT: mx_gemm

// K = 48 is padded to two blocks (64); the storage is viewed as 64 words of
// 32 bits and 16 scale bytes; one row calls the decode kernel, more the
// 8-row prefill kernel; the result buffer becomes the result tensor.
// CHECK-LABEL: func.func @f32_input
// CHECK-SAME: (%[[X:.+]]: tensor<?x48xf32>)
// CHECK: %[[ROWS:.+]] = tensor.dim %[[X]], %c0
// CHECK: %[[PAD:.+]] = tensor.pad %[[X]] low[0, 0] high[0, 16]
// CHECK: %[[XB:.+]] = bufferization.to_buffer %[[PAD]] read_only : tensor<?x64xf32> to memref<?x64xf32>
// CHECK: %[[DATA:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<8x32xi8> to memref<8x32xi8>
// CHECK: %[[BYTES:.+]] = memref.collapse_shape %[[DATA]] {{\[}}[0, 1]] : memref<8x32xi8> into memref<256xi8>
// CHECK: %[[VIEW:.+]] = memref.view %[[BYTES]][%{{.+}}][] : memref<256xi8> to memref<64xi32>
// CHECK: %[[WORDS:.+]] = memref.cast %[[VIEW]] : memref<64xi32> to memref<?xi32>
// CHECK: arith.bitcast %{{.+}} : tensor<8x2xf8E8M0FNU> to tensor<8x2xi8>
// CHECK: %[[Y:.+]] = memref.alloc(%[[ROWS]]) : memref<?x8xf32>
// CHECK: %[[YFLAT:.+]] = memref.collapse_shape %[[Y]]
// No residual: y in its place, add_residual 0.
// CHECK: %[[ONE:.+]] = arith.cmpi eq, %[[ROWS]], %c1
// CHECK: scf.if %[[ONE]] {
// CHECK:   func.call @mxc_gemv_mxfp4_b1(%[[WORDS]], %{{.+}}, %{{.+}}, %[[YFLAT]], %[[ROWS]], %c8, %c64, %[[YFLAT]], %c0{{.*}})
// CHECK: } else {
// CHECK:   func.call @mxc_gemv_mxfp4_b8(%[[WORDS]], %{{.+}}, %{{.+}}, %[[YFLAT]], %[[ROWS]], %c8, %c64, %[[YFLAT]], %c0{{.*}})
// CHECK: %[[R:.+]] = bufferization.to_tensor %[[Y]] restrict writable : memref<?x8xf32> to tensor<?x8xf32>
// CHECK: return %[[R]]
// CHECK: func.func private @mxc_gemv_mxfp4_b1(memref<?xi32>, memref<?xi8>, memref<?xf32>, memref<?xf32>, index, index, index, memref<?xf32>, index)
// CHECK: func.func private @mxc_gemv_mxfp4_b8(

// CUDA-LABEL: func.func @f32_input
// CUDA: %[[GX:.+]] = arith.ceildivui %c8{{.*}}, %c4
// CUDA: %[[GY:.+]] = arith.ceildivui %{{.+}}, %c1
// The decode GEMV (one row) stages x in the launch's shared memory (the
// kernel's workgroup buffer), which the call passes on.
// CUDA: gpu.launch blocks(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[GX]], %{{.+}} = %[[GY]], %{{.+}} = %c1{{.*}}) threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c128, %{{.+}} = %c1{{.*}}, %{{.+}} = %c1{{.*}}) workgroup(%[[XS:.+]] : memref<4608xf32, #gpu.address_space<workgroup>>)
// CUDA-NEXT: func.call @mxc_gemv_mxfp4_b1({{.+}}, %[[XS]]) : ({{.+}}, memref<4608xf32, #gpu.address_space<workgroup>>) -> ()
// CUDA-NEXT: gpu.terminator
// A prefill of 16 rows or more launches the tensor-core GEMM (tiles of
// 64 x 64, 128 threads) with the call's operands; of fewer, the 8-row GEMV.
// CUDA: %[[MANY:.+]] = arith.cmpi uge, %[[M:.+]], %c16
// CUDA: scf.if %[[MANY]] {
// CUDA: %[[TX:.+]] = arith.ceildivui %c8{{.*}}, %c64
// CUDA: %[[TY:.+]] = arith.ceildivui %[[M]], %c64
// CUDA: gpu.launch_func @mxc_library::@mx_gemm_mxfp4 blocks in (%[[TX]], %[[TY]], %c1{{.*}}) threads in (%c128{{.*}}, %c1{{.*}}, %c1{{.*}}) args(%{{.+}} : memref<?xi32>, %{{.+}} : memref<?xi8>, %{{.+}} : memref<?xf32>, %{{.+}} : memref<?xf32>, %[[M]] : index, %c8{{.*}} : index, %c64{{.*}} : index, %{{.+}} : memref<?xf32>, %{{.+}} : index)
// CUDA: } else {
// CUDA: %[[GY8:.+]] = arith.ceildivui %{{.+}}, %c8
// CUDA: gpu.launch blocks({{.+}}) in (%{{.+}} = %{{.+}}, %{{.+}} = %[[GY8]], %{{.+}} = %c1{{.*}}) threads({{.+}}) in ({{.+}}) {
// CUDA-NEXT: func.call @mxc_gemv_mxfp4_b8(
// CUDA: func.func private @mxc_gemv_mxfp4_b1({{.+}}, %[[XSARG:.+]]: memref<4608xf32, #gpu.address_space<workgroup>>)
// CUDA:   gpu.thread_id x
// CUDA:   vector.load %{{.+}} : memref<?xi32>, vector<4xi32>
// CUDA:   gpu.barrier
// CUDA:   vector.store %{{.+}}, %[[XSARG]]
// CUDA:   gpu.shuffle xor
// CUDA:   return
// CUDA: gpu.module @mxc_library
// CUDA: gpu.func @mx_gemm_mxfp4(
// CUDA: nvvm.mma.sync

// CPU-LABEL: func.func @f32_input
// CPU-NOT: gpu.launch
// CPU: func.call @mxc_gemv_mxfp4_b1(
// CPU: func.func private @mxc_gemv_mxfp4_b1(
// CPU:   scf.for
// CPU:     scf.for
// CPU:       scf.for
// CPU:         math.fma
// CPU-NOT: gpu.
func.func @f32_input(%x: tensor<?x48xf32>) -> tensor<?x8xf32> {
  %d = arith.constant dense<17> : tensor<8x32xi8>
  %s = arith.constant dense<127> : tensor<8x2xi8>
  %sc = arith.bitcast %s : tensor<8x2xi8> to tensor<8x2xf8E8M0FNU>
  %w = mxc.assemble %d, %sc : tensor<8x32xi8>, tensor<8x2xf8E8M0FNU> -> !mxc.mx<8x48xf4E2M1FN>
  %y = mxc.matmul %x, %w : tensor<?x48xf32>, !mxc.mx<8x48xf4E2M1FN> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// MX activations are dequantized first; a weight not from mxc.assemble is
// read through mxc.disassemble; K = 64 needs no padding: the kernel reads
// the input where it is (a contiguous buffer).
// CHECK-LABEL: func.func @mx_input
// CHECK: %[[XF:.+]] = mxc.dequantize %{{.+}} : !mxc.mx<2x64xf8E4M3FN> -> tensor<2x64xf32>
// CHECK-NOT: bufferization.alloc_tensor
// CHECK: bufferization.to_buffer %[[XF]] read_only : tensor<2x64xf32> to memref<2x64xf32>
// CHECK: %[[DATA:.+]], %[[SCALES:.+]] = mxc.disassemble %{{.+}} : !mxc.mx<4x64xi8> -> tensor<4x64xi8>, tensor<4x2xf8E8M0FNU>
// CHECK: memref.alloc() : memref<2x4xf32>
// CHECK: call @mxc_gemv_mxint8_b8(
// CHECK: bufferization.to_tensor %{{.+}} restrict writable : memref<2x4xf32> to tensor<2x4xf32>
func.func @mx_input(%x: tensor<2x64xf32>, %w: tensor<4x64xf32>) -> tensor<2x4xf32> {
  %xq = mxc.quantize %x : tensor<2x64xf32> -> !mxc.mx<2x64xf8E4M3FN>
  %wq = mxc.quantize %w : tensor<4x64xf32> -> !mxc.mx<4x64xi8>
  %y = mxc.matmul %xq, %wq : !mxc.mx<2x64xf8E4M3FN>, !mxc.mx<4x64xi8> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// The residual connection after a matmul (an element-wise add of the
// result and a tensor available before it) is the kernel's: add_residual
// 1, the residual's buffer, and the add's result is the kernel's. On the
// CPU the residual plus the sum where asked for, the sum otherwise.
// CHECK-LABEL: func.func @residual
// CHECK-SAME: (%[[X:.+]]: tensor<1x64xf32>, %{{.+}}: tensor<8x64xf32>, %[[H:.+]]: tensor<1x8xf32>)
// CHECK: %[[Y:.+]] = memref.alloc() : memref<1x8xf32>
// CHECK: %[[HB:.+]] = bufferization.to_buffer %[[H]] read_only : tensor<1x8xf32> to memref<1x8xf32>
// CHECK: %[[HC:.+]] = memref.collapse_shape %[[HB]]
// CHECK: %[[HFLAT:.+]] = memref.cast %[[HC]]
// CHECK: %[[ADD:.+]] = arith.constant 1 : index
// CHECK: call @mxc_gemv_mxfp4_b1({{.+}}, %c8, %c64, %[[HFLAT]], %[[ADD]])
// CHECK: %[[R:.+]] = bufferization.to_tensor %[[Y]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
// CPU: func.func private @mxc_gemv_mxfp4_b1(
// CPU: %[[SUM:.+]] = scf.for
// CPU: %[[ASKED:.+]] = arith.cmpi ne
// CPU: %[[OUT:.+]] = scf.if %[[ASKED]] -> (f32) {
// CPU:   %[[PLUS:.+]] = arith.addf %{{.+}}, %[[SUM]]
// CPU:   scf.yield %[[PLUS]]
// CPU: } else {
// CPU:   scf.yield %[[SUM]]
// CPU: memref.store %[[OUT]]
func.func @residual(%x: tensor<1x64xf32>, %w: tensor<8x64xf32>, %h: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %wq = mxc.quantize %w : tensor<8x64xf32> -> !mxc.mx<8x64xf4E2M1FN>
  %y = mxc.matmul %x, %wq : tensor<1x64xf32>, !mxc.mx<8x64xf4E2M1FN> -> tensor<1x8xf32>
  %e = tensor.empty() : tensor<1x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%h, %y : tensor<1x8xf32>, tensor<1x8xf32>) outs(%e : tensor<1x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x8xf32>
  return %r : tensor<1x8xf32>
}

// -----

// An add whose other operand comes after the matmul, or a product instead
// of a sum, stays a generic of its own.
// CHECK-LABEL: func.func @not_residual
// CHECK-COUNT-2: %{{.+}}, %c0{{.*}})
// CHECK-COUNT-2: linalg.generic
func.func @not_residual(%x: tensor<1x64xf32>, %w: tensor<8x64xf32>, %h: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  %wq = mxc.quantize %w : tensor<8x64xf32> -> !mxc.mx<8x64xf4E2M1FN>
  %y = mxc.matmul %x, %wq : tensor<1x64xf32>, !mxc.mx<8x64xf4E2M1FN> -> tensor<1x8xf32>
  %later = arith.negf %h : tensor<1x8xf32>
  %e = tensor.empty() : tensor<1x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%later, %y : tensor<1x8xf32>, tensor<1x8xf32>) outs(%e : tensor<1x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x8xf32>
  %y2 = mxc.matmul %x, %wq : tensor<1x64xf32>, !mxc.mx<8x64xf4E2M1FN> -> tensor<1x8xf32>
  %r2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%h, %y2 : tensor<1x8xf32>, tensor<1x8xf32>) outs(%e : tensor<1x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.mulf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x8xf32>
  return %r, %r2 : tensor<1x8xf32>, tensor<1x8xf32>
}

// -----

// An add that reads the other operand transposed stays a generic of its own.
// CHECK-LABEL: func.func @transposed_residual
// CHECK: call @mxc_gemv_mxfp4_b1({{.+}}, %c0{{.*}})
// CHECK: linalg.generic
func.func @transposed_residual(%x: tensor<8x64xf32>, %w: tensor<8x64xf32>, %h: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %wq = mxc.quantize %w : tensor<8x64xf32> -> !mxc.mx<8x64xf4E2M1FN>
  %y = mxc.matmul %x, %wq : tensor<8x64xf32>, !mxc.mx<8x64xf4E2M1FN> -> tensor<8x8xf32>
  %e = tensor.empty() : tensor<8x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%h, %y : tensor<8x8xf32>, tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// -----

// 32 rows, a constant once canonicalized: the GEMM's launch, decided at
// compile time (no scf.if on the rows).
// RUN: mxc-opt %s --split-input-file --convert-mxc-matmul-to-gpu --canonicalize --mxc-gpu-mx-kernels="target=cuda chip=sm_90" | FileCheck %s --check-prefix=CONST
// Constant rows below 16 (2, 1 and 8 rows here) launch the GEMV, and the
// GEMM is not built for them.
// CONST-LABEL: func.func @mx_input
// CONST-NOT: mx_gemm
// CONST-LABEL: func.func @many_rows
// CONST-NOT: scf.if
// CONST: gpu.launch_func @mxc_library::@mx_gemm_mxfp4 blocks in (%{{.+}}, %{{.+}}, %{{.+}}) threads in (%{{.+}}, %{{.+}}, %{{.+}}) args({{.*}}, %c32{{.*}} : index, %c8{{.*}} : index, %c64{{.*}} : index,
// CONST-NOT: mxc_gemv_mxfp4_b8(
// CONST: return
func.func @many_rows(%x: tensor<32x64xf32>, %w: tensor<8x64xf32>) -> tensor<32x8xf32> {
  %wq = mxc.quantize %w : tensor<8x64xf32> -> !mxc.mx<8x64xf4E2M1FN>
  %y = mxc.matmul %x, %wq : tensor<32x64xf32>, !mxc.mx<8x64xf4E2M1FN> -> tensor<32x8xf32>
  return %y : tensor<32x8xf32>
}

// -----

// A float weight, or a 3-D input, stays with the generic path.
// CHECK-LABEL: func.func @left_alone
// CHECK: mxc.matmul %{{.+}}, %{{.+}} : tensor<4x64xf32>, tensor<8x64xf32>
// CHECK: mxc.matmul %{{.+}}, %{{.+}} : tensor<2x4x64xf32>, !mxc.mx<8x64xf4E2M1FN>
// CHECK-NOT: call @mxc_gemv
func.func @left_alone(%x: tensor<4x64xf32>, %w: tensor<8x64xf32>, %x3: tensor<2x4x64xf32>) -> (tensor<4x8xf32>, tensor<2x4x8xf32>) {
  %y = mxc.matmul %x, %w : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %wq = mxc.quantize %w : tensor<8x64xf32> -> !mxc.mx<8x64xf4E2M1FN>
  %y3 = mxc.matmul %x3, %wq : tensor<2x4x64xf32>, !mxc.mx<8x64xf4E2M1FN> -> tensor<2x4x8xf32>
  return %y, %y3 : tensor<4x8xf32>, tensor<2x4x8xf32>
}
