// RUN: mxc-opt %s --mxc-check-lowered --split-input-file --verify-diagnostics

// An op that no lowering removed is named, not left to fail in
// bufferization.
func.func @attention(%q: tensor<8x1x16xf32>, %k: tensor<4x32x16xf32>) -> tensor<8x1x16xf32> {
  // expected-error @+1 {{'mxc.attention' op was not lowered by the mxc CPU lowerings}}
  %o = mxc.attention %q, %k, %k : tensor<8x1x16xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32> -> tensor<8x1x16xf32>
  return %o : tensor<8x1x16xf32>
}

// -----

// expected-error @+1 {{function @takes_mx takes or returns MX values; the CPU path passes MX tensors as their storage: take or return the data and scales tensors and use mxc.assemble / mxc.disassemble inside}}
func.func @takes_mx(%q: !mxc.mx<4x32xi8>) {
  return
}

// -----

func.func @through_scf(%c: i1, %d: tensor<4x32xi8>, %s: tensor<4x1xf8E8M0FNU>) {
  // expected-error @+1 {{'mxc.assemble' op was not folded away: MX values can only flow between mxc ops on the CPU path, but one reaches 'scf.yield'}}
  %q = mxc.assemble %d, %s : tensor<4x32xi8>, tensor<4x1xf8E8M0FNU> -> !mxc.mx<4x32xi8>
  %r = scf.if %c -> (!mxc.mx<4x32xi8>) {
    scf.yield %q : !mxc.mx<4x32xi8>
  } else {
    scf.yield %q : !mxc.mx<4x32xi8>
  }
  return
}

// -----

// Lowered code passes untouched.
func.func @clean(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = arith.addf %x, %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
