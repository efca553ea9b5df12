// RUN: mxc-opt %s --convert-mxc-to-linalg --split-input-file | FileCheck %s

// An MX value is its storage pair (packed data, scales) wherever it goes:
// each boundary below carries two tensors in place of one MX value, and no
// mxc op or MX type is left.

// Function arguments and results.
// CHECK-LABEL: func.func @identity
// CHECK-SAME: (%[[D:.+]]: tensor<4x32xi8>, %[[S:.+]]: tensor<4x2xf8E8M0FNU>) -> (tensor<4x32xi8>, tensor<4x2xf8E8M0FNU>)
// CHECK-NEXT: return %[[D]], %[[S]] : tensor<4x32xi8>, tensor<4x2xf8E8M0FNU>
func.func @identity(%q: !mxc.mx<4x64xf4E2M1FN>) -> !mxc.mx<4x64xf4E2M1FN> {
  return %q : !mxc.mx<4x64xf4E2M1FN>
}

// -----

// Calls, to a definition and to a declaration.
// CHECK-LABEL: func.func private @external(tensor<2x32xi8>, tensor<2x1xf8E8M0FNU>) -> (tensor<2x32xi8>, tensor<2x1xf8E8M0FNU>)
// CHECK-LABEL: func.func @callee
// CHECK-SAME: (%{{.+}}: tensor<2x32xi8>, %{{.+}}: tensor<2x1xf8E8M0FNU>) -> tensor<2x32xf32>
// CHECK-LABEL: func.func @caller
// CHECK-SAME: (%[[X:.+]]: tensor<2x32xf32>) -> tensor<2x32xf32>
// CHECK: %[[E:.+]]:2 = call @external(%{{.+}}, %{{.+}}) : (tensor<2x32xi8>, tensor<2x1xf8E8M0FNU>) -> (tensor<2x32xi8>, tensor<2x1xf8E8M0FNU>)
// CHECK: %[[Y:.+]] = call @callee(%[[E]]#0, %[[E]]#1) : (tensor<2x32xi8>, tensor<2x1xf8E8M0FNU>) -> tensor<2x32xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: mxc.
func.func private @external(!mxc.mx<2x32xf8E4M3FN>) -> !mxc.mx<2x32xf8E4M3FN>

func.func @callee(%q: !mxc.mx<2x32xf8E4M3FN>) -> tensor<2x32xf32> {
  %y = mxc.dequantize %q : !mxc.mx<2x32xf8E4M3FN> -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}

func.func @caller(%x: tensor<2x32xf32>) -> tensor<2x32xf32> {
  %q = mxc.quantize %x : tensor<2x32xf32> -> !mxc.mx<2x32xf8E4M3FN>
  %e = call @external(%q) : (!mxc.mx<2x32xf8E4M3FN>) -> !mxc.mx<2x32xf8E4M3FN>
  %y = call @callee(%e) : (!mxc.mx<2x32xf8E4M3FN>) -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}

// -----

// scf.if yields both tensors of each MX result.
// CHECK-LABEL: func.func @if
// CHECK-SAME: (%[[C:.+]]: i1, %[[AD:.+]]: tensor<4x64xi8>, %[[AS:.+]]: tensor<4x2xf8E8M0FNU>, %[[BD:.+]]: tensor<4x64xi8>, %[[BS:.+]]: tensor<4x2xf8E8M0FNU>)
// CHECK: %[[R:.+]]:2 = scf.if %[[C]] -> (tensor<4x64xi8>, tensor<4x2xf8E8M0FNU>) {
// CHECK-NEXT: scf.yield %[[AD]], %[[AS]]
// CHECK-NEXT: } else {
// CHECK-NEXT: scf.yield %[[BD]], %[[BS]]
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @if(%c: i1, %a: !mxc.mx<4x64xi8>, %b: !mxc.mx<4x64xi8>) -> !mxc.mx<4x64xi8> {
  %r = scf.if %c -> (!mxc.mx<4x64xi8>) {
    scf.yield %a : !mxc.mx<4x64xi8>
  } else {
    scf.yield %b : !mxc.mx<4x64xi8>
  }
  return %r : !mxc.mx<4x64xi8>
}

// -----

// scf.for carries an MX value as two iteration arguments: requantize it n
// times (dequantize, scale, quantize).
// CHECK-LABEL: func.func @for
// CHECK: %[[R:.+]]:2 = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[D:.+]] = %{{.+}}, %[[S:.+]] = %{{.+}}) -> (tensor<1x16xi8>, tensor<1x1xf8E8M0FNU>)
// CHECK:   linalg.generic
// CHECK:     tensor.extract %[[D]]
// CHECK:   scf.yield %{{.+}}, %{{.+}} : tensor<1x16xi8>, tensor<1x1xf8E8M0FNU>
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @for(%q: !mxc.mx<1x32xf4E2M1FN>, %n: index) -> !mxc.mx<1x32xf4E2M1FN> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %q) -> (!mxc.mx<1x32xf4E2M1FN>) {
    %x = mxc.dequantize %acc : !mxc.mx<1x32xf4E2M1FN> -> tensor<1x32xf32>
    %y = arith.addf %x, %x : tensor<1x32xf32>
    %z = mxc.quantize %y : tensor<1x32xf32> -> !mxc.mx<1x32xf4E2M1FN>
    scf.yield %z : !mxc.mx<1x32xf4E2M1FN>
  }
  return %r : !mxc.mx<1x32xf4E2M1FN>
}

// -----

// scf.while: the condition forwards and the body yields the pair.
// CHECK-LABEL: func.func @while
// CHECK: scf.while (%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) : (tensor<1x32xi8>, tensor<1x1xf8E8M0FNU>) -> (tensor<1x32xi8>, tensor<1x1xf8E8M0FNU>)
// CHECK: scf.condition(%{{.+}}) %{{.+}}, %{{.+}} : tensor<1x32xi8>, tensor<1x1xf8E8M0FNU>
// CHECK: ^bb0(%{{.+}}: tensor<1x32xi8>, %{{.+}}: tensor<1x1xf8E8M0FNU>):
// CHECK:   scf.yield %{{.+}}, %{{.+}} : tensor<1x32xi8>, tensor<1x1xf8E8M0FNU>
func.func @while(%q: !mxc.mx<1x32xi8>, %c: i1) -> !mxc.mx<1x32xi8> {
  %r = scf.while (%a = %q) : (!mxc.mx<1x32xi8>) -> !mxc.mx<1x32xi8> {
    scf.condition(%c) %a : !mxc.mx<1x32xi8>
  } do {
  ^bb0(%b: !mxc.mx<1x32xi8>):
    scf.yield %b : !mxc.mx<1x32xi8>
  }
  return %r : !mxc.mx<1x32xi8>
}

// -----

// Branches between blocks: block arguments and branch operands are pairs.
// CHECK-LABEL: func.func @branches
// CHECK: cf.cond_br %{{.+}}, ^bb1(%{{.+}}, %{{.+}} : tensor<2x16xi8>, tensor<2x1xf8E8M0FNU>), ^bb1(%{{.+}}, %{{.+}} : tensor<2x16xi8>, tensor<2x1xf8E8M0FNU>)
// CHECK: ^bb1(%[[D:.+]]: tensor<2x16xi8>, %[[S:.+]]: tensor<2x1xf8E8M0FNU>):
// CHECK: return %[[D]], %[[S]]
func.func @branches(%c: i1, %a: !mxc.mx<2x32xf4E2M1FN>, %b: !mxc.mx<2x32xf4E2M1FN>) -> !mxc.mx<2x32xf4E2M1FN> {
  cf.cond_br %c, ^bb1(%a : !mxc.mx<2x32xf4E2M1FN>), ^bb1(%b : !mxc.mx<2x32xf4E2M1FN>)
^bb1(%r: !mxc.mx<2x32xf4E2M1FN>):
  return %r : !mxc.mx<2x32xf4E2M1FN>
}

// -----

// arith.select (what canonicalize makes of a small scf.if) selects each
// tensor.
// CHECK-LABEL: func.func @select
// CHECK-SAME: (%[[C:.+]]: i1, %[[AD:.+]]: tensor<4x32xi8>, %[[AS:.+]]: tensor<4x1xf8E8M0FNU>, %[[BD:.+]]: tensor<4x32xi8>, %[[BS:.+]]: tensor<4x1xf8E8M0FNU>)
// CHECK: %[[D:.+]] = arith.select %[[C]], %[[AD]], %[[BD]] : tensor<4x32xi8>
// CHECK: %[[S:.+]] = arith.select %[[C]], %[[AS]], %[[BS]] : tensor<4x1xf8E8M0FNU>
// CHECK: return %[[D]], %[[S]]
func.func @select(%c: i1, %a: !mxc.mx<4x32xf8E5M2>, %b: !mxc.mx<4x32xf8E5M2>) -> !mxc.mx<4x32xf8E5M2> {
  %r = arith.select %c, %a, %b : !mxc.mx<4x32xf8E5M2>
  return %r : !mxc.mx<4x32xf8E5M2>
}

// -----

// mxc.assemble and mxc.disassemble are the pair itself; shapes more or less
// static than the MX type's storage meet through tensor.cast (here a cast
// and its inverse, which fold).
// CHECK-LABEL: func.func @storage
// CHECK-SAME: (%[[D:.+]]: tensor<?x16xi8>, %[[S:.+]]: tensor<2x1xf8E8M0FNU>)
// CHECK: tensor.cast %[[D]] : tensor<?x16xi8> to tensor<2x16xi8>
// CHECK: return %[[D]], %[[S]]
func.func @storage(%d: tensor<?x16xi8>, %s: tensor<2x1xf8E8M0FNU>) -> (tensor<?x16xi8>, tensor<2x1xf8E8M0FNU>) {
  %q = mxc.assemble %d, %s : tensor<?x16xi8>, tensor<2x1xf8E8M0FNU> -> !mxc.mx<2x32xf4E2M1FN>
  %d2, %s2 = mxc.disassemble %q : !mxc.mx<2x32xf4E2M1FN> -> tensor<?x16xi8>, tensor<2x1xf8E8M0FNU>
  return %d2, %s2 : tensor<?x16xi8>, tensor<2x1xf8E8M0FNU>
}
