"""mxc: an MLIR compiler for low-precision (MX) LLM inference.

Submodules:
  mxc.ir        parse, verify and print mxc IR; run pass pipelines.
  mxc.numerics  MX quantization, packing, EXAQ softmax clips, SmoothQuant and
                GPTQ on numpy arrays; the same library the compiler uses.

Functions:
  mxc.compile   compile a Llama checkpoint with a recipe, as mxc-compile does;
                returns an mxc.Model (logits = m(tokens), m.perplexity(text),
                m.generate(prompt), m.decode(tokens) with the KV cache).
  mxc.load      load a model compiled by mxc-compile.
"""

from ._mxc import Model, __git_commit__, __version__, compile, ir, load, numerics

__all__ = ["ir", "numerics", "compile", "load", "Model", "MLIRError",
           "__version__"]

MLIRError = ir.MLIRError
