// RUN: mxc-opt %s --mxc-quantize-activations="format=mxfp8_e4m3" | FileCheck %s
// RUN: mxc-opt %s --mxc-quantize-activations="format=mxint8" | FileCheck %s --check-prefix=INT8
// RUN: not mxc-opt %s --mxc-quantize-activations="format=mxfp5" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: mxc-opt %s --mxc-quantize-activations="scales=ceil" | FileCheck %s --check-prefix=CEIL
// RUN: not mxc-opt %s --mxc-quantize-activations="scales=mse" 2>&1 | FileCheck %s --check-prefix=BADSCALES

// The input of a matmul with an MX weight becomes MX, with the weight's
// block size; a matmul with a float weight is left alone.
// CHECK-LABEL: func.func @f
// CHECK-SAME: (%[[X:.+]]: tensor<?x64xf32>, %[[W:.+]]: !mxc.mx<16x64xf4E2M1FN, block = 16>, %[[F:.+]]: tensor<16x64xf32>)
// CHECK: %[[XQ:.+]] = mxc.quantize %[[X]] : tensor<?x64xf32> -> !mxc.mx<?x64xf8E4M3FN, block = 16>
// CHECK: mxc.matmul %[[XQ]], %[[W]] : !mxc.mx<?x64xf8E4M3FN, block = 16>, !mxc.mx<16x64xf4E2M1FN, block = 16>
// CHECK: mxc.matmul %[[X]], %[[F]] : tensor<?x64xf32>, tensor<16x64xf32>
// INT8: mxc.quantize {{.*}} -> !mxc.mx<?x64xi8, block = 16>
// BAD: for the --format option: Cannot find option named 'mxfp5'!
// CEIL: mxc.quantize %{{.+}} scale ceil : tensor<?x64xf32> -> !mxc.mx<?x64xf8E4M3FN, block = 16>
// BADSCALES: for the --scales option: Cannot find option named 'mse'!
func.func @f(%x: tensor<?x64xf32>, %w: !mxc.mx<16x64xf4E2M1FN, block = 16>, %f: tensor<16x64xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %y = mxc.matmul %x, %w : tensor<?x64xf32>, !mxc.mx<16x64xf4E2M1FN, block = 16> -> tensor<?x16xf32>
  %z = mxc.matmul %x, %f : tensor<?x64xf32>, tensor<16x64xf32> -> tensor<?x16xf32>
  return %y, %z : tensor<?x16xf32>, tensor<?x16xf32>
}
