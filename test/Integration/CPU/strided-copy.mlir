// A KV-cache style write, lowered by mxc-lower-to-llvm and run: two new
// positions (value 100 h + 10 t + d for head h, new position t, element d)
// into a [2 heads, 8 positions, 4] cache of -1 at position 3. Bufferized it
// is a copy into a strided view of the cache, which
// mxc-strided-copy-to-linalg turns into loops (no memrefCopy call).

// RUN: mxc-opt %s --mxc-lower-to-llvm | FileCheck %s --check-prefix=LLVM
// RUN: mxc-opt %s --mxc-lower-to-llvm | %run-cpu | FileCheck %s
// LLVM-NOT: memrefCopy
// CHECK: sizes = [2, 8, 4]
// CHECK-NEXT: {{\[\[\[}}-1, -1, -1, -1],
// CHECK-NEXT: {{\[}}-1, -1, -1, -1],
// CHECK-NEXT: {{\[}}-1, -1, -1, -1],
// CHECK-NEXT: {{\[}}0, 1, 2, 3],
// CHECK-NEXT: {{\[}}10, 11, 12, 13],
// CHECK-NEXT: {{\[}}-1, -1, -1, -1],
// CHECK-NEXT: {{\[}}-1, -1, -1, -1],
// CHECK-NEXT: {{\[}}-1, -1, -1, -1]],
// CHECK-NEXT: {{\[\[}}-1, -1, -1, -1],
// CHECK-NEXT: {{\[}}-1, -1, -1, -1],
// CHECK-NEXT: {{\[}}-1, -1, -1, -1],
// CHECK-NEXT: {{\[}}100, 101, 102, 103],
// CHECK-NEXT: {{\[}}110, 111, 112, 113],
// CHECK-NEXT: {{\[}}-1, -1, -1, -1],
// CHECK-NEXT: {{\[}}-1, -1, -1, -1],
// CHECK-NEXT: {{\[}}-1, -1, -1, -1]]]

func.func private @printMemrefF32(tensor<*xf32>)

func.func @write(%cache: tensor<2x8x4xf32>, %new: tensor<2x?x4xf32>,
                 %pos: index) -> tensor<2x8x4xf32> {
  %c1 = arith.constant 1 : index
  %t = tensor.dim %new, %c1 : tensor<2x?x4xf32>
  %r = tensor.insert_slice %new into %cache[0, %pos, 0] [2, %t, 4] [1, 1, 1]
      : tensor<2x?x4xf32> into tensor<2x8x4xf32>
  return %r : tensor<2x8x4xf32>
}

func.func @main() {
  %cache = arith.constant dense<-1.0> : tensor<2x8x4xf32>
  %new = arith.constant dense<[[[0.0, 1.0, 2.0, 3.0], [10.0, 11.0, 12.0, 13.0]],
                               [[100.0, 101.0, 102.0, 103.0], [110.0, 111.0, 112.0, 113.0]]]> : tensor<2x2x4xf32>
  %dyn = tensor.cast %new : tensor<2x2x4xf32> to tensor<2x?x4xf32>
  %pos = arith.constant 3 : index
  %r = call @write(%cache, %dyn, %pos)
      : (tensor<2x8x4xf32>, tensor<2x?x4xf32>, index) -> tensor<2x8x4xf32>
  %u = tensor.cast %r : tensor<2x8x4xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
