// The model's GPU path (mxc-linalg-to-gpu: every op in gpu.launch kernels of
// independent threads) with each launch run as CPU loops
// (--target=cuda-on-cpu). This checks the GPU mapping of the whole model
// without a GPU: its logits equal the C++ reference, and quantized, it gives
// the CPU path's perplexity.

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null

// RUN: mxc-run %t/example/model.bin --target=cuda-on-cpu --prompt "Hi!" --check-logits 1e-4 | FileCheck %s --check-prefix=LOGITS
// LOGITS: prefill logits of 4 tokens match the reference
// LOGITS: decode logits of 4 tokens match the reference

// MXFP4 weights by SmoothQuant + GPTQ, MXFP8 activations, a 2-bit EXAQ
// softmax: the same perplexity on both paths (the tokens/s cut off).
// RUN: mxc-run %t/example/model.bin --target=cpu --recipe w4a8-smooth-gptq --softmax-bits 2 --calibrate %mxc_src_root/examples/story.txt --perplexity %mxc_src_root/examples/story.txt | sed 's/;.*//' > %t/cpu.txt
// RUN: mxc-run %t/example/model.bin --target=cuda-on-cpu --recipe w4a8-smooth-gptq --softmax-bits 2 --calibrate %mxc_src_root/examples/story.txt --perplexity %mxc_src_root/examples/story.txt | sed 's/;.*//' > %t/gpu.txt
// RUN: FileCheck %s --check-prefix=PPL < %t/gpu.txt
// PPL: perplexity {{[0-9]+\.[0-9]+}} over {{[0-9]+}} tokens in 4 windows (+/- {{[0-9.]+}}
// RUN: diff %t/cpu.txt %t/gpu.txt
// The same with a zero floor in the softmax's table.
// RUN: mxc-run %t/example/model.bin --target=cpu --recipe w4a8-smooth-gptq --softmax-bits 2 --softmax-clip -4.5 --softmax-floor zero --calibrate %mxc_src_root/examples/story.txt --perplexity %mxc_src_root/examples/story.txt | sed 's/;.*//' > %t/cpu-zero.txt
// RUN: mxc-run %t/example/model.bin --target=cuda-on-cpu --recipe w4a8-smooth-gptq --softmax-bits 2 --softmax-clip -4.5 --softmax-floor zero --calibrate %mxc_src_root/examples/story.txt --perplexity %mxc_src_root/examples/story.txt | sed 's/;.*//' > %t/gpu-zero.txt
// RUN: diff %t/cpu-zero.txt %t/gpu-zero.txt

// mxc-compile writes the GPU path's model; mxc-run runs it, and greedy
// generation gives the CPU path's text.
// RUN: mxc-compile %t/example/model.bin --target=cuda-on-cpu -o %t/gpu.mlirbc
// RUN: mxc-run %t/gpu.mlirbc --prompt "Hi!" --steps 4 > %t/gpu-text.txt
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --steps 4 > %t/cpu-text.txt
// RUN: diff %t/cpu-text.txt %t/gpu-text.txt
// RUN: FileCheck %s --check-prefix=TEXT < %t/gpu-text.txt
// TEXT: {{^}}Hi!

// --emit=gpu: the host only allocates, launches and frees; the attention
// is a call of mxc's attention kernel (convert-mxc-attention-to-gpu), on
// the KV cache's layer read in place (layer 1 starts 2 * 256 * 16 elements
// in, KV heads 256 * 16 apart).
// RUN: mxc-compile %t/example/model.bin --target=cuda-on-cpu --emit=gpu | FileCheck %s --check-prefix=KERNELS
// KERNELS: func.func @decode(
// KERNELS: gpu.launch blocks
// KERNELS: call @mxc_attention_d16(
// KERNELS: memref.reinterpret_cast %{{.+}} to offset: [8192]
// KERNELS: call @mxc_attention_d16({{.*}}, %c4096, %c4096,
// KERNELS-NOT: linalg.
// KERNELS-NOT: scf.forall
// KERNELS: func.func @forward(

// Errors.
// RUN: not mxc-compile %t/example/model.bin --emit=gpu 2>&1 | FileCheck %s --check-prefix=NOTARGET
// NOTARGET: mxc-compile: --emit=gpu needs a GPU target (--target=cuda or cuda-on-cpu)
// RUN: not mxc-run %t/gpu.mlirbc --target=cuda-on-cpu 2>&1 | FileCheck %s --check-prefix=COMPILED
// COMPILED: mxc-run: --target needs a checkpoint: '{{.*}}gpu.mlirbc' is already compiled
