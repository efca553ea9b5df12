// MX values crossing function boundaries, scf.if, scf.for and a branch,
// lowered by mxc-lower-to-llvm and run. The inputs -16 .. 15 are exact in
// MXFP8 E4M3 (block max 16: scale 2^-4, elements 16x with at most four
// significant bits), so every quantize / dequantize below is exact and the
// result is known in closed form: @pick returns the negated input, @scale
// doubles it three times, @decode reads it back: out[i] = -8 x[i] (the
// negated zero stays -0: MX keeps the sign of zero).

// RUN: mxc-opt %s --mxc-lower-to-llvm | %run-cpu | FileCheck %s
// CHECK: sizes = [1, 32]
// CHECK-NEXT: {{\[\[}}128, 120, 112, 104, 96, 88, 80, 72, 64, 56, 48, 40, 32, 24, 16, 8, -0, -8, -16, -24, -32, -40, -48, -56, -64, -72, -80, -88, -96, -104, -112, -120]]

!mx = !mxc.mx<1x32xf8E4M3FN>

func.func private @printMemrefF32(tensor<*xf32>)

// scf.if yields an MX value; the function takes and returns MX values.
func.func @pick(%c: i1, %a: !mx, %b: !mx) -> !mx {
  %r = scf.if %c -> (!mx) {
    scf.yield %a : !mx
  } else {
    scf.yield %b : !mx
  }
  return %r : !mx
}

// scf.for carries an MX value: dequantize, double, requantize, n times.
func.func @scale(%q: !mx, %n: index) -> !mx {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %q) -> (!mx) {
    %x = mxc.dequantize %acc : !mx -> tensor<1x32xf32>
    %y = arith.addf %x, %x : tensor<1x32xf32>
    %z = mxc.quantize %y : tensor<1x32xf32> -> !mx
    scf.yield %z : !mx
  }
  return %r : !mx
}

// A branch passes the MX value to the next block.
func.func @decode(%q: !mx) -> tensor<1x32xf32> {
  cf.br ^bb1(%q : !mx)
^bb1(%r: !mx):
  %y = mxc.dequantize %r : !mx -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

func.func @main() {
  %x = arith.constant dense<[[-16.0, -15.0, -14.0, -13.0, -12.0, -11.0, -10.0, -9.0, -8.0, -7.0, -6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]]> : tensor<1x32xf32>
  %neg = arith.negf %x : tensor<1x32xf32>
  %a = mxc.quantize %x : tensor<1x32xf32> -> !mx
  %b = mxc.quantize %neg : tensor<1x32xf32> -> !mx
  %false = arith.constant false
  %three = arith.constant 3 : index
  %p = call @pick(%false, %a, %b) : (i1, !mx, !mx) -> !mx
  %s = call @scale(%p, %three) : (!mx, index) -> !mx
  %y = call @decode(%s) : (!mx) -> tensor<1x32xf32>
  %u = tensor.cast %y : tensor<1x32xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
