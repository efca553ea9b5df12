// convert-mxc-attention-to-gpu: a plain causal attention becomes a call of
// the attention kernel's function on buffers; the keys and values are read
// where they are (a layer's slice of the KV cache: its offset and the
// distance between KV heads); mxc-gpu-mx-kernels launches the kernel with
// one block per (group of query heads, query row), or split across the keys
// of a long KV cache (CUDA), or gives the function CPU loops (CPU;
// attention-on-cpu.mlir runs them).

// RUN: mxc-opt %s --split-input-file --convert-mxc-attention-to-gpu | FileCheck %s
// RUN: mxc-opt %s --split-input-file --convert-mxc-attention-to-gpu --mxc-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --canonicalize | FileCheck %s --check-prefix=BUF
// RUN: mxc-opt %s --split-input-file --convert-mxc-attention-to-gpu --mxc-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --canonicalize --mxc-gpu-mx-kernels="target=cuda chip=sm_90" | FileCheck %s --check-prefix=CUDA
// RUN: mxc-opt %s --split-input-file --convert-mxc-attention-to-gpu --mxc-gpu-mx-kernels="target=cpu" | FileCheck %s --check-prefix=CPU
// RUN: mxc-opt %s --split-input-file --convert-mxc-attention-to-gpu --mxc-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --canonicalize --mxc-gpu-mx-kernels="target=cuda chip=sm_90 split-keys=false" | FileCheck %s --check-prefix=NOSPLIT

// CHECK: memref.global "private" constant @mxc_attention_no_key_offset : memref<1xi64> = dense<0>
// CHECK-LABEL: func.func @layer1
// CHECK-SAME: (%[[Q:.+]]: tensor<4x?x16xf32>, %{{.+}}: memref<2x2x256x16xf32>, %{{.+}}: memref<2x2x256x16xf32>, %[[KEYS:.+]]: index)
// CHECK: %[[K:.+]] = tensor.extract_slice
// CHECK: %[[HEADS:.+]] = tensor.dim %[[Q]], %c0
// CHECK: %[[ROWS:.+]] = tensor.dim %[[Q]], %c1
// CHECK: %[[KVHEADS:.+]] = tensor.dim %[[K]], %c0
// CHECK: %[[NKEYS:.+]] = tensor.dim %[[K]], %c1
// CHECK: %[[OUT:.+]] = memref.alloc(%[[ROWS]]) : memref<4x?x16xf32>
// CHECK: %[[D:.+]] = arith.constant 16 : index
// CHECK: %[[OUTHEADS:.+]] = arith.muli %[[ROWS]], %[[D]] : index
// CHECK: %[[KB:.+]] = bufferization.to_buffer %[[K]] read_only : tensor<2x?x16xf32> to memref<2x?x16xf32, strided<[?, 16, 1], offset: ?>>
// CHECK: %[[BASE:.+]], %[[OFF:.+]], %{{.+}}:3, %[[STRIDES:.+]]:3 = memref.extract_strided_metadata %[[KB]]
// The view reaches to the last KV head's next one, whatever the keys.
// CHECK: %[[KSIZE:.+]] = arith.muli %{{.+}}, %[[STRIDES]]#0
// CHECK: %[[KVIEW:.+]] = memref.reinterpret_cast %[[BASE]] to offset: [%[[OFF]]], sizes: [%[[KSIZE]]], strides: [1] : memref<f32> to memref<?xf32, strided<[1], offset: ?>>
// CHECK: %[[VSTRIDES:.+]]:3 = memref.extract_strided_metadata
// CHECK: %[[VVIEW:.+]] = memref.reinterpret_cast
// CHECK: %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only : tensor<4x?x16xf32> to memref<4x?x16xf32>
// CHECK: %[[QFLAT:.+]] = memref.collapse_shape %[[QB]] {{\[}}[0, 1, 2]]
// CHECK: %[[OFLAT:.+]] = memref.collapse_shape %[[OUT]] {{\[}}[0, 1, 2]]
// CHECK: %[[NOOFFSET:.+]] = memref.get_global @mxc_attention_no_key_offset : memref<1xi64>
// The output as q, [heads, rows, D]: rows * 16 between heads, 16 between
// rows.
// CHECK: call @mxc_attention_d16(%[[QFLAT]], %[[KVIEW]], %[[VVIEW]], %[[OFLAT]], %[[NKEYS]], %[[HEADS]], %[[KVHEADS]], %[[STRIDES]]#0, %{{.+}}#0, %[[ROWS]], %cst, %[[NOOFFSET]], %[[OUTHEADS]], %[[D]])
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: func.func private @mxc_attention_d16(memref<?xf32>, memref<?xf32, strided<[1], offset: ?>>, memref<?xf32, strided<[1], offset: ?>>, memref<?xf32>, index, index, index, index, index, index, f32, memref<1xi64>, index, index)

// Bufferized, the cache's layer 1 is read in place: offset 2 * 256 * 16,
// 256 * 16 elements between KV heads, no copy.
// BUF-LABEL: func.func @layer1
// BUF-NOT: memref.copy
// BUF: memref.reinterpret_cast %{{.+}} to offset: [8192], sizes: [8192], strides: [1]
// BUF: memref.reinterpret_cast %{{.+}} to offset: [8192], sizes: [8192], strides: [1]
// BUF-NOT: memref.copy
// BUF: call @mxc_attention_d16(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %arg3, %c4, %c2, %c4096, %c4096, %{{.+}}, %cst, %{{.+}}, %{{.+}}, %c16)

// CUDA: module attributes {gpu.container_module}
// CUDA-LABEL: func.func @layer1
// CUDA: %[[ROWS:.+]] = memref.dim %arg0, %c1
// 4 heads over 2 KV heads: a block computes the 2 query heads of a KV head
// (GQA), 2 blocks a query row.
// CUDA: %[[GROUPS:.+]] = arith.constant 2 : index
// CUDA: gpu.launch_func @mxc_library::@mx_attention_decode_dense_d16_q2 blocks in (%[[GROUPS]], %[[ROWS]], %[[ONE:.+]]) threads in (%c128, %[[ONE]], %[[ONE]]) args({{.+}}, %c4 : index, %c2 : index,
// CUDA-NOT: func.func private @mxc_attention_d16
// CUDA: gpu.module @mxc_library
// CUDA: gpu.func @mx_attention_decode_dense_d16_q2(

// CPU-LABEL: func.func @layer1
// CPU: call @mxc_attention_d16(
// CPU: func.func private @mxc_attention_d16(
// CPU: memref.alloca() : memref<16xf32>
// CPU: math.exp
func.func @layer1(%q: tensor<4x?x16xf32>, %kcache: memref<2x2x256x16xf32>, %vcache: memref<2x2x256x16xf32>, %keys: index) -> tensor<4x?x16xf32> {
  %kc = bufferization.to_tensor %kcache restrict writable : memref<2x2x256x16xf32> to tensor<2x2x256x16xf32>
  %vc = bufferization.to_tensor %vcache restrict writable : memref<2x2x256x16xf32> to tensor<2x2x256x16xf32>
  %k = tensor.extract_slice %kc[1, 0, 0, 0] [1, 2, %keys, 16] [1, 1, 1, 1] : tensor<2x2x256x16xf32> to tensor<2x?x16xf32>
  %v = tensor.extract_slice %vc[1, 0, 0, 0] [1, 2, %keys, 16] [1, 1, 1, 1] : tensor<2x2x256x16xf32> to tensor<2x?x16xf32>
  %o = mxc.attention %q, %k, %v : tensor<4x?x16xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<4x?x16xf32>
  return %o : tensor<4x?x16xf32>
}

// -----

// Where the result's only use is the transpose to [rows, heads, D] (what
// the output projection reads), the kernel writes that layout: 16 between
// heads, 4 * 16 between rows; no transpose is left.
// CHECK-LABEL: func.func @rows_first
// CHECK-SAME: (%[[Q:.+]]: tensor<4x?x16xf32>
// CHECK: %[[HEADS:.+]] = tensor.dim %[[Q]], %c0
// CHECK: %[[ROWS:.+]] = tensor.dim %[[Q]], %c1
// CHECK: %[[OUT:.+]] = memref.alloc(%[[ROWS]]) : memref<?x4x16xf32>
// CHECK: %[[D:.+]] = arith.constant 16 : index
// CHECK: %[[ROWSTRIDE:.+]] = arith.muli %[[HEADS]], %[[D]] : index
// CHECK: call @mxc_attention_d16({{.+}}, %[[D]], %[[ROWSTRIDE]])
// CHECK: %[[T:.+]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<?x4x16xf32>
// CHECK-NOT: linalg.transpose
// CHECK: return %[[T]]
// BUF-LABEL: func.func @rows_first
// BUF: call @mxc_attention_d16({{.+}}, %c16, %c64)
// BUF-NOT: linalg.transpose
func.func @rows_first(%q: tensor<4x?x16xf32>, %kcache: memref<2x2x256x16xf32>, %vcache: memref<2x2x256x16xf32>, %keys: index) -> tensor<?x4x16xf32> {
  %c1 = arith.constant 1 : index
  %kc = bufferization.to_tensor %kcache restrict writable : memref<2x2x256x16xf32> to tensor<2x2x256x16xf32>
  %vc = bufferization.to_tensor %vcache restrict writable : memref<2x2x256x16xf32> to tensor<2x2x256x16xf32>
  %k = tensor.extract_slice %kc[1, 0, 0, 0] [1, 2, %keys, 16] [1, 1, 1, 1] : tensor<2x2x256x16xf32> to tensor<2x?x16xf32>
  %v = tensor.extract_slice %vc[1, 0, 0, 0] [1, 2, %keys, 16] [1, 1, 1, 1] : tensor<2x2x256x16xf32> to tensor<2x?x16xf32>
  %o = mxc.attention %q, %k, %v : tensor<4x?x16xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<4x?x16xf32>
  %rows = tensor.dim %q, %c1 : tensor<4x?x16xf32>
  %e = tensor.empty(%rows) : tensor<?x4x16xf32>
  %t = linalg.transpose ins(%o : tensor<4x?x16xf32>) outs(%e : tensor<?x4x16xf32>) permutation = [1, 0, 2]
  return %t : tensor<?x4x16xf32>
}

// -----

// Keys whose rows are not contiguous (every other element of a wider
// tensor), or not known to be (a function's argument), are copied.
// CHECK-LABEL: func.func @strided_rows
// CHECK: bufferization.to_buffer %{{.+}} read_only : tensor<2x5x8xf32> to memref<2x5x8xf32>
// CHECK: bufferization.to_buffer %{{.+}} read_only : tensor<2x5x8xf32> to memref<2x5x8xf32>
// BUF-LABEL: func.func @strided_rows
// BUF: memref.copy
// BUF: call @mxc_attention_d8(
// Without GQA (2 heads over 2 KV heads), a block per query head.
// CUDA-LABEL: func.func @strided_rows
// CUDA: gpu.launch_func @mxc_library::@mx_attention_decode_dense_d8 blocks in (%c2, %c1, %{{.+}}) threads in (%c128, {{.+}} args({{.+}}, %c2 : index, %c2 : index,
func.func @strided_rows(%q: tensor<2x1x8xf32>, %kw: tensor<2x5x16xf32>, %v: tensor<2x5x8xf32>) -> tensor<2x1x8xf32> {
  %k = tensor.extract_slice %kw[0, 0, 0] [2, 5, 8] [1, 1, 2] : tensor<2x5x16xf32> to tensor<2x5x8xf32>
  %o = mxc.attention %q, %k, %v : tensor<2x1x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32> -> tensor<2x1x8xf32>
  return %o : tensor<2x1x8xf32>
}

// -----

// A decode step over a KV cache of 4096 keys: its 2 blocks (4 heads over 2
// KV heads, one row) would leave most multiprocessors idle, so each row's
// keys split across 16 blocks (attentionSplits: 264 blocks wanted, a split
// at least 4 tiles of 64 keys) into a buffer of 4 x 16 records of 16 + 2
// floats, and the merge kernel writes the output.
// CUDA-LABEL: func.func @decode_split
// CUDA: %[[PARTIAL:.+]] = memref.alloc(%c1152{{.*}}) : memref<?xf32>
// CUDA: gpu.launch_func @mxc_library::@mx_attention_decode_dense_d16_q2_split blocks in (%c32{{.*}}, %{{.+}}, %{{.+}}) threads in (%c128, {{.+}} args({{.+}}, %[[PARTIAL]] : memref<?xf32>, %[[S:c16(_[0-9]+)?]] : index)
// CUDA: gpu.launch_func @mxc_library::@mx_attention_merge_d16 blocks in (%c4, %{{.+}}, %{{.+}}) threads in (%c128, {{.+}} args(%[[PARTIAL]] : memref<?xf32>, %{{.+}} : memref<?xf32>, %c4 : index, %{{.+}} : index, %[[S]] : index,
// CUDA: memref.dealloc %[[PARTIAL]]
// CUDA-NOT: scf.if
// CUDA-LABEL: func.func @rows_split
// Rows known at run time only: the host chooses (16 splits for 1 row).
// CUDA: %[[SPLIT:.+]] = arith.cmpi ugt, %{{.+}}, %{{.+}} : index
// CUDA: scf.if %[[SPLIT]] {
// CUDA: memref.alloc
// CUDA: gpu.launch_func @mxc_library::@mx_attention_decode_dense_d16_q2_split
// CUDA: gpu.launch_func @mxc_library::@mx_attention_merge_d16
// CUDA: memref.dealloc
// CUDA: } else {
// CUDA: gpu.launch_func @mxc_library::@mx_attention_decode_dense_d16_q2 blocks
// CUDA: gpu.module @mxc_library
// CUDA-DAG: gpu.func @mx_attention_decode_dense_d16_q2_split(
// CUDA-DAG: gpu.func @mx_attention_merge_d16(
// With split-keys=false, the kernel as before.
// NOSPLIT-LABEL: func.func @decode_split
// NOSPLIT-NOT: memref.alloc({{.+}}) : memref<?xf32>
// NOSPLIT: gpu.launch_func @mxc_library::@mx_attention_decode_dense_d16_q2 blocks in (%c2{{(_[0-9]+)?}},
// NOSPLIT-LABEL: func.func @rows_split
// NOSPLIT-NOT: scf.if
// NOSPLIT: gpu.launch_func @mxc_library::@mx_attention_decode_dense_d16_q2 blocks
// NOSPLIT-NOT: {{_split|merge}}
func.func @decode_split(%q: tensor<4x1x16xf32>, %kcache: memref<1x2x4096x16xf32>, %vcache: memref<1x2x4096x16xf32>, %keys: index) -> tensor<4x1x16xf32> {
  %kc = bufferization.to_tensor %kcache restrict writable : memref<1x2x4096x16xf32> to tensor<1x2x4096x16xf32>
  %vc = bufferization.to_tensor %vcache restrict writable : memref<1x2x4096x16xf32> to tensor<1x2x4096x16xf32>
  %k = tensor.extract_slice %kc[0, 0, 0, 0] [1, 2, %keys, 16] [1, 1, 1, 1] : tensor<1x2x4096x16xf32> to tensor<2x?x16xf32>
  %v = tensor.extract_slice %vc[0, 0, 0, 0] [1, 2, %keys, 16] [1, 1, 1, 1] : tensor<1x2x4096x16xf32> to tensor<2x?x16xf32>
  %o = mxc.attention %q, %k, %v : tensor<4x1x16xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<4x1x16xf32>
  return %o : tensor<4x1x16xf32>
}
func.func @rows_split(%q: tensor<4x?x16xf32>, %kcache: memref<1x2x4096x16xf32>, %vcache: memref<1x2x4096x16xf32>, %keys: index) -> tensor<4x?x16xf32> {
  %kc = bufferization.to_tensor %kcache restrict writable : memref<1x2x4096x16xf32> to tensor<1x2x4096x16xf32>
  %vc = bufferization.to_tensor %vcache restrict writable : memref<1x2x4096x16xf32> to tensor<1x2x4096x16xf32>
  %k = tensor.extract_slice %kc[0, 0, 0, 0] [1, 2, %keys, 16] [1, 1, 1, 1] : tensor<1x2x4096x16xf32> to tensor<2x?x16xf32>
  %v = tensor.extract_slice %vc[0, 0, 0, 0] [1, 2, %keys, 16] [1, 1, 1, 1] : tensor<1x2x4096x16xf32> to tensor<2x?x16xf32>
  %o = mxc.attention %q, %k, %v : tensor<4x?x16xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<4x?x16xf32>
  return %o : tensor<4x?x16xf32>
}

// -----

// What the kernel does not compute stays mxc.attention: a head dimension it
// does not take, different key and value dimensions, an EXAQ softmax, a
// span table, bf16 operands.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-5: mxc.attention
// CHECK-NOT: call @mxc_attention
func.func @left_alone(%q20: tensor<2x1x20xf32>, %k20: tensor<2x5x20xf32>,
                      %q: tensor<2x1x16xf32>, %k: tensor<2x5x16xf32>,
                      %v8: tensor<2x5x8xf32>, %spans: tensor<1x1x2xi32>,
                      %qb: tensor<2x1x16xbf16>, %kb: tensor<2x5x16xbf16>)
    -> (tensor<2x1x20xf32>, tensor<2x1x8xf32>, tensor<2x1x16xf32>, tensor<2x1x16xf32>, tensor<2x1x16xbf16>) {
  %a = mxc.attention %q20, %k20, %k20 : tensor<2x1x20xf32>, tensor<2x5x20xf32>, tensor<2x5x20xf32> -> tensor<2x1x20xf32>
  %b = mxc.attention %q, %k, %v8 : tensor<2x1x16xf32>, tensor<2x5x16xf32>, tensor<2x5x8xf32> -> tensor<2x1x8xf32>
  %c = mxc.attention %q, %k, %k quantized <bits = 2, clip = -6.0> : tensor<2x1x16xf32>, tensor<2x5x16xf32>, tensor<2x5x16xf32> -> tensor<2x1x16xf32>
  %d = mxc.attention %q, %k, %k spans(%spans : tensor<1x1x2xi32>) : tensor<2x1x16xf32>, tensor<2x5x16xf32>, tensor<2x5x16xf32> -> tensor<2x1x16xf32>
  %e = mxc.attention %qb, %kb, %kb : tensor<2x1x16xbf16>, tensor<2x5x16xbf16>, tensor<2x5x16xbf16> -> tensor<2x1x16xbf16>
  return %a, %b, %c, %d, %e : tensor<2x1x20xf32>, tensor<2x1x8xf32>, tensor<2x1x16xf32>, tensor<2x1x16xf32>, tensor<2x1x16xbf16>
}
