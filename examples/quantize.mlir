// Quantize a tensor to MXFP8 (E4M3) and print the result, on the CPU:
//
//   build/bin/mxc-opt examples/quantize.mlir --mxc-lower-to-llvm |
//     /usr/lib/llvm-22/bin/mlir-runner -e main -entry-point-result=void \
//       -shared-libs=/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so
//
// The row is microxcaling's E4M3 test vector in one block of 8 (largest
// magnitude 485, so the shared exponent is floor(log2 485) - 8 = 0).

func.func @main() {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %x = arith.constant dense<[[485.0, 475.0, 400.0, -485.0, -475.0, -450.0,
                              0.015625, -0.015625]]> : tensor<1x8xf32>
  %even = mxc.quantize %x : tensor<1x8xf32> -> !mxc.mx<1x8xf8E4M3FN, block = 8>
  %away = mxc.quantize %x to_nearest_away
            : tensor<1x8xf32> -> !mxc.mx<1x8xf8E4M3FN, block = 8>

  %data, %scales = mxc.disassemble %even : !mxc.mx<1x8xf8E4M3FN, block = 8>
                     -> tensor<1x8xi8>, tensor<1x1xf8E8M0FNU>
  %scale = tensor.extract %scales[%c0, %c0] : tensor<1x1xf8E8M0FNU>
  %scale_bits = arith.bitcast %scale : f8E8M0FNU to i8
  vector.print str "E8M0 scale byte (127 = 2^0): "
  vector.print %scale_bits : i8

  %d_even = mxc.dequantize %even : !mxc.mx<1x8xf8E4M3FN, block = 8> -> tensor<1x8xf32>
  %d_away = mxc.dequantize %away : !mxc.mx<1x8xf8E4M3FN, block = 8> -> tensor<1x8xf32>
  %v_even = vector.transfer_read %d_even[%c0, %c0], %pad : tensor<1x8xf32>, vector<8xf32>
  %v_away = vector.transfer_read %d_away[%c0, %c0], %pad : tensor<1x8xf32>, vector<8xf32>
  vector.print str "to_nearest_even: "
  vector.print %v_even : vector<8xf32>
  vector.print str "to_nearest_away: "
  vector.print %v_away : vector<8xf32>
  return
}
