// RUN: mxc-opt %s --mxc-softmax-clip="bits=1" 2>/dev/null | FileCheck %s
// RUN: mxc-opt %s --mxc-softmax-clip="bits=1 mode=samples" 2>/dev/null | FileCheck %s --check-prefix=SAMPLES
// RUN: mxc-opt %s --mxc-softmax-clip="bits=3" --verify-diagnostics -o /dev/null
// RUN: mxc-opt %s --mxc-softmax-clip="bits=1 mode=pooled" 2>/dev/null | FileCheck %s --check-prefix=POOLED
// RUN: mxc-opt %s --mxc-softmax-clip="bits=2 mode=pooled zero-floor=true" 2>/dev/null | FileCheck %s --check-prefix=ZERO

// The statistics of a point mass at -3: with 1 bit the clip is -3 exactly
// (analytic), or to the search's precision, 1e-7 (samples).
// CHECK-LABEL: func.func @point_mass
// CHECK: mxc.softmax %{{.+}} quantized <bits = 1, clip = -3.000000e+00> {stats =
// SAMPLES-LABEL: func.func @point_mass
// SAMPLES: mxc.softmax %{{.+}} quantized <bits = 1, clip = -{{(3\.0000000[0-9]*|2\.9999999[0-9]*)}}> {stats =
func.func @point_mass(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = mxc.softmax %x {stats = #mxc.softmax_stats<mean = -3.0, std = 0.0, min = -3.0, count = 4, samples = [-3.0, -3.0, -3.0, -3.0]>} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// mode=pooled, worked by hand: samples {0, -1.5} pooled into one row, 1
// bit (levels {clip, 0}): only clip -1.5 reproduces both values, so the
// normalised row exactly (error 0). (Where the two objectives disagree is
// shown by unittests/Numerics/ExaqTest.cpp, PooledRowTracksRowError.)
// POOLED-LABEL: func.func @pooled
// POOLED: mxc.softmax %{{.+}} quantized <bits = 1, clip = -1.{{(4999|5000)[0-9]*}}{{(e\+00)?}}> {stats =
// With zero-floor=true the pass sets a zero floor with the clip it chose
// for one (unittests/Numerics/ExaqTest.cpp checks the objectives).
// ZERO-LABEL: func.func @pooled
// ZERO: mxc.softmax %{{.+}} quantized <bits = 2, clip = {{.+}}, zero_floor = true> {stats =
// ZERO-LABEL: func.func @attention
// ZERO: mxc.attention {{.*}} quantized <bits = 2, clip = {{.+}}, zero_floor = true> {stats =
func.func @pooled(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = mxc.softmax %x {stats = #mxc.softmax_stats<mean = -0.75, std = 0.75, min = -1.5, count = 2, samples = [0.0, -1.5]>} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// Attention gets a clip too, replacing an earlier one.
// CHECK-LABEL: func.func @attention
// CHECK: mxc.attention {{.*}} quantized <bits = 1, clip = -3.000000e+00> {stats =
func.func @attention(%q: tensor<8x1x16xf32>, %k: tensor<4x32x16xf32>) -> tensor<8x1x16xf32> {
  %o = mxc.attention %q, %k, %k quantized <bits = 4, clip = -9.0> {stats = #mxc.softmax_stats<mean = -3.0, std = 0.0, min = -3.0, count = 2, samples = [-3.0, -3.0]>} : tensor<8x1x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32> -> tensor<8x1x16xf32>
  return %o : tensor<8x1x16xf32>
}

// Without statistics the softmax stays exact, with a remark.
// CHECK-LABEL: func.func @no_stats
// CHECK: mxc.softmax %{{.+}} : tensor<4x8xf32>
func.func @no_stats(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-remark @+1 {{left exact: no calibration statistics ('stats' attribute) to choose a clip from}}
  %y = mxc.softmax %x : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
