// benchmarks/gpu/torch_model.py, the PyTorch peer of mxc-gpu-runner model,
// checks its own forward pass against mxc-run --save-logits before timing.
// Its --numpy mode runs the same code on the CPU, so the peer is checked
// here too: it matches the float model's logits and not a quantized one's.

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null
// RUN: mxc-run %t/example/model.bin --prompt "Hi there!" --save-logits %t/float.ref
// RUN: %python %mxc_src_root/benchmarks/gpu/torch_model.py %t/example/model.bin %t/float.ref --numpy | FileCheck %s
// CHECK: numpy prefill logits of 10 tokens match the reference
// CHECK: numpy decode logits of 10 tokens match the reference
// RUN: mxc-run %t/example/model.bin --recipe w4 --prompt "Hi there!" --save-logits %t/w4.ref
// RUN: not %python %mxc_src_root/benchmarks/gpu/torch_model.py %t/example/model.bin %t/w4.ref --numpy | FileCheck %s --check-prefix=W4
// W4: numpy prefill logits of 10 tokens DIFFER from the reference
