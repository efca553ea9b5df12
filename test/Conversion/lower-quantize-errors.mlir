// RUN: mxc-opt %s --mxc-lower-quantize --split-input-file --verify-diagnostics

func.func @f64_input(%x: tensor<4x32xf64>) -> !mxc.mx<4x32xf8E4M3FN> {
  // expected-error @+1 {{'mxc.quantize' op cannot lower a quantization of 'f64' values: narrowing them to f32 first would round twice; convert the input to f32 explicitly if that is intended}}
  %q = mxc.quantize %x : tensor<4x32xf64> -> !mxc.mx<4x32xf8E4M3FN>
  return %q : !mxc.mx<4x32xf8E4M3FN>
}
