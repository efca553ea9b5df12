// RUN: mxc-opt %s --mxc-softmax-table | FileCheck %s
// RUN: mxc-opt %s --mxc-softmax-clip="bits=2 mode=pooled zero-floor=true" --mxc-softmax-table | FileCheck %s --check-prefix=AFTERCLIP

// Worked by hand: 1 bit, clip -2 (step 2, cells below -1 and above), samples
// {0, -0.5} in the top cell and {-1.5, -2.5} in code 0 (-2.5 clamped): the
// table is (e^-1.5 + e^-2.5) / (1 + e^-0.5) = 0.18998, then 1. With a zero
// floor code 0 stays 0 and the table is written all the same.
// CHECK-LABEL: func.func @softmax
// CHECK: mxc.softmax %{{.+}} quantized <bits = 1, clip = -2.000000e+00, table = [0.18998{{[0-9]*}}, 1.000000e+00]> {stats =
// CHECK: mxc.softmax %{{.+}} quantized <bits = 1, clip = -2.000000e+00, zero_floor = true, table = [0.000000e+00, 1.000000e+00]> {stats =
func.func @softmax(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %y = mxc.softmax %x quantized <bits = 1, clip = -2.0> {stats = #mxc.softmax_stats<mean = -1.125, std = 0.9, min = -2.5, count = 4, samples = [0.0, -0.5, -1.5, -2.5]>} : tensor<4x8xf32>
  %z = mxc.softmax %x quantized <bits = 1, clip = -2.0, zero_floor = true> {stats = #mxc.softmax_stats<mean = -1.125, std = 0.9, min = -2.5, count = 4, samples = [0.0, -0.5, -1.5, -2.5]>} : tensor<4x8xf32>
  return %y, %z : tensor<4x8xf32>, tensor<4x8xf32>
}

// Attention too, and an earlier table is replaced: 2 bits, clip -3 (step 1),
// samples {0, -1, -2}, one per code 3, 2, 1: e^-2, e^-1 over 1; code 0, with
// no sample, keeps e^-3.
// CHECK-LABEL: func.func @attention
// CHECK: mxc.attention {{.*}} quantized <bits = 2, clip = -3.000000e+00, table = [0.049787{{[0-9]*}}, 0.13533{{[0-9]*}}, 0.36787{{[0-9]*}}, 1.000000e+00]> {stats =
func.func @attention(%q: tensor<8x1x16xf32>, %k: tensor<4x32x16xf32>) -> tensor<8x1x16xf32> {
  %o = mxc.attention %q, %k, %k quantized <bits = 2, clip = -3.0, table = [0.0, 0.0, 0.5, 1.0]> {stats = #mxc.softmax_stats<mean = -1.0, std = 0.8, min = -2.0, count = 3, samples = [0.0, -1.0, -2.0]>} : tensor<8x1x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32> -> tensor<8x1x16xf32>
  return %o : tensor<8x1x16xf32>
}

// An exact softmax has no table to fit, statistics or not.
// CHECK-LABEL: func.func @exact
// CHECK: mxc.softmax %{{.+}} {stats =
// After mxc-softmax-clip chose a clip, the table fits that clip's cells.
// AFTERCLIP-LABEL: func.func @exact
// AFTERCLIP: mxc.softmax %{{.+}} quantized <bits = 2, clip = {{.+}}, zero_floor = true, table = [0.000000e+00, {{.+}}, 1.000000e+00]> {stats =
func.func @exact(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = mxc.softmax %x {stats = #mxc.softmax_stats<mean = -1.125, std = 0.9, min = -2.5, count = 4, samples = [0.0, -0.5, -1.5, -2.5]>} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

