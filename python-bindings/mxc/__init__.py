"""mxc: an MLIR compiler for low-precision (MX) LLM inference.

Submodules:
  mxc.ir        parse, verify and print mxc IR; run pass pipelines.
  mxc.numerics  MX quantization, packing, EXAQ softmax clips, SmoothQuant and
                GPTQ on numpy arrays; the same library the compiler uses.
"""

from ._mxc import ir, numerics

__all__ = ["ir", "numerics", "MLIRError"]

MLIRError = ir.MLIRError
