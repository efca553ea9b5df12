"""mxc.ir: parse, verify, print and transform mxc IR from Python."""

import pytest

import mxc
from mxc import ir

MATMUL = """
func.func @f(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[0.5, 1.0, 1.5, 2.0], [-6.0, 3.0, 0.0, 0.25]]> : tensor<2x4xf32>
  %y = mxc.matmul %x, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
"""


def test_parse_verify_print():
    module = ir.parse(MATMUL)
    module.verify()
    text = str(module)
    assert "mxc.matmul" in text
    # Printing round-trips, generic form included.
    assert str(ir.parse(text)) == text
    assert '"mxc.matmul"' in module.to_string(generic=True)


def test_pass_pipeline():
    module = ir.parse(MATMUL)
    module.run("mxc-rtn{format=mxfp4 block=4}")
    text = str(module)
    # The bytes of rtn.mlir, worked out by hand there.
    assert "dense<[[66, 101], [95, 0]]> : tensor<2x2xi8>" in text
    assert "!mxc.mx<2x4xf4E2M1FN, block = 4>" in text
    lowered = ir.run_pipeline(text, "builtin.module(mxc-lower-to-llvm)")
    assert "llvm.func @f" in lowered and "mxc." not in lowered


def test_errors_carry_diagnostics():
    with pytest.raises(mxc.MLIRError) as caught:
        ir.parse("func.func private @f(%x: !mxc.mx<4x32xf16>)")
    assert "cannot parse the module" in str(caught.value)
    assert any("element type 'f16' is not an MX element format" in d
               for d in caught.value.diagnostics)
    assert caught.value.diagnostics[0].startswith("<python>:1:")

    module = ir.parse("""
func.func @q(%x: tensor<4x32xf64>) -> !mxc.mx<4x32xf8E4M3FN> {
  %q = mxc.quantize %x : tensor<4x32xf64> -> !mxc.mx<4x32xf8E4M3FN>
  return %q : !mxc.mx<4x32xf8E4M3FN>
}""")
    with pytest.raises(ir.MLIRError) as caught:
        module.run("convert-mxc-to-linalg")
    assert "would round twice" in "\n".join(caught.value.diagnostics)

    with pytest.raises(ir.MLIRError, match="cannot parse the pass pipeline"):
        ir.parse(MATMUL).run("no-such-pass")


def test_remarks_are_returned():
    module = ir.parse("""
func.func @s(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = mxc.softmax %x : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}""")
    remarks = module.run("mxc-softmax-clip{bits=2}")
    assert any("left exact" in r for r in remarks)


def test_deeply_nested_ir():
    # 10,000 nested regions: parsed, verified, rewritten and printed on a
    # deep stack, not a crash of the interpreter.
    n = 10000
    text = ("func.func @deep() {\n" + "scf.execute_region {\n" * n +
            "scf.yield\n}\n" * n + "return\n}\n")
    module = ir.parse(text)
    module.verify()
    module.run("canonicalize")
    assert "scf.execute_region" not in str(module)


def test_version():
    import re

    import mxc

    assert re.fullmatch(r"\d+\.\d+\.\d+", mxc.__version__)
    assert re.fullmatch(r"[0-9a-f]{12}(-modified)?|unknown", mxc.__git_commit__)
