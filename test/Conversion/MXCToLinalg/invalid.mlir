// RUN: mxc-opt %s --convert-mxc-to-linalg --split-input-file --verify-diagnostics

// What the conversion cannot lower is reported before anything is rewritten,
// with one error that names the cause.

func.func @quantize_f64(%x: tensor<4x32xf64>) -> !mxc.mx<4x32xf8E4M3FN> {
  // expected-error @+1 {{'mxc.quantize' op cannot lower a quantization of 'f64' values: narrowing them to f32 first would round twice; convert the input to f32 explicitly if that is intended}}
  %q = mxc.quantize %x : tensor<4x32xf64> -> !mxc.mx<4x32xf8E4M3FN>
  return %q : !mxc.mx<4x32xf8E4M3FN>
}

// -----

func.func @matmul_f64_input(%x: tensor<4x32xf64>, %w: !mxc.mx<8x32xf4E2M1FN>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'mxc.matmul' op cannot lower a matmul with 'f64' inputs: the CPU lowering accumulates in f32 and takes f16, bf16 or f32}}
  %y = mxc.matmul %x, %w : tensor<4x32xf64>, !mxc.mx<8x32xf4E2M1FN> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @matmul_f64_result(%x: tensor<4x32xf32>, %w: !mxc.mx<8x32xf4E2M1FN>) -> tensor<4x8xf64> {
  // expected-error @+1 {{'mxc.matmul' op cannot lower a matmul with 'f64' results: the CPU lowering accumulates in f32 and yields f16, bf16 or f32}}
  %y = mxc.matmul %x, %w : tensor<4x32xf32>, !mxc.mx<8x32xf4E2M1FN> -> tensor<4x8xf64>
  return %y : tensor<4x8xf64>
}

// -----

func.func @softmax_f64(%x: tensor<4x8xf64>) -> tensor<4x8xf64> {
  // expected-error @+1 {{'mxc.softmax' op cannot lower a softmax of 'f64' values: the CPU lowering computes in f32 and takes f16, bf16 or f32}}
  %y = mxc.softmax %x : tensor<4x8xf64>
  return %y : tensor<4x8xf64>
}

// -----

func.func @attention_f64(%q: tensor<8x1x16xf64>, %k: tensor<4x32x16xf64>) -> tensor<8x1x16xf64> {
  // expected-error @+1 {{'mxc.attention' op cannot lower an attention on 'f64' values: the CPU lowering computes in f32 and takes f16, bf16 or f32}}
  %o = mxc.attention %q, %k, %k : tensor<8x1x16xf64>, tensor<4x32x16xf64>, tensor<4x32x16xf64> -> tensor<8x1x16xf64>
  return %o : tensor<8x1x16xf64>
}

// -----

// An op outside the structural set cannot carry an MX value: its storage
// would be two values.
func.func @execute_region(%q: !mxc.mx<4x32xi8>) {
  // expected-error @+1 {{'scf.execute_region' op takes or yields an MX value, which lowers to its storage (packed data and scales) only through func.func, func.call, func.return, cf.br, cf.cond_br, scf.for/if/while and arith.select on an i1; use mxc.disassemble / mxc.assemble around it}}
  %r = scf.execute_region -> !mxc.mx<4x32xi8> {
    scf.yield %q : !mxc.mx<4x32xi8>
  }
  return
}
