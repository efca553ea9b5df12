// The shared stories260K model through GGUF: exported by mxc-compile, read
// back by mxc with the tokenizer inside, and run by llama.cpp itself (when
// peer/ is installed) on the same tokens.
// REQUIRES: shared-models

// RUN: rm -rf %t && mkdir -p %t
// RUN: mxc-compile %shared/models/stories260K/stories260K.bin --emit=gguf -o %t/f32.gguf
// RUN: mxc-compile %shared/models/stories260K/stories260K.bin --recipe w4 --emit=gguf -o %t/w4.gguf

// The GGUF file carries the tokenizer: the same story, no --tokenizer.
// RUN: mxc-run %t/f32.gguf --steps 20 | FileCheck %s
// CHECK: Once upon a time, there was a little girl named Lily

// The same perplexity on two windows of the dev text as the checkpoint, in
// float and (bit for bit, checkpoint-mx=keep) in RTN MXFP4.
// RUN: mxc-run %t/f32.gguf --perplexity %shared/data/tinystories_dev.txt --max-windows 2 | sed 's/;.*//' > %t/f32-gguf.txt
// RUN: mxc-run %shared/models/stories260K/stories260K.bin --perplexity %shared/data/tinystories_dev.txt --max-windows 2 | sed 's/;.*//' > %t/f32-bin.txt
// RUN: diff %t/f32-gguf.txt %t/f32-bin.txt
// RUN: mxc-run %t/w4.gguf --recipe w4-keep --perplexity %shared/data/tinystories_dev.txt --max-windows 2 | sed 's/;.*//' > %t/w4-gguf.txt
// RUN: mxc-run %shared/models/stories260K/stories260K.bin --recipe w4 --perplexity %shared/data/tinystories_dev.txt --max-windows 2 | sed 's/;.*//' > %t/w4-bin.txt
// RUN: diff %t/w4-gguf.txt %t/w4-bin.txt
// RUN: FileCheck %s --check-prefix=PPL < %t/w4-gguf.txt
// PPL: perplexity {{[0-9.]+}} over 1022 tokens in 2 windows

// llama.cpp on a story's tokens. Float weights: log-probabilities within
// 1e-4 (measured 2.4e-5). MXFP4: llama.cpp's MXFP4 matmuls round the
// activations to Q8_0 first, which mxc does not (measured 0.31 in log p of
// unlikely tokens, 0.5% in perplexity); a misread weight would put the
// perplexity far outside 2%.
// RUN: %if llama-cpp %{ mxc-run %t/f32.gguf --prompt "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big red ball." --save-logits %t/f32.logits %}
// RUN: %if llama-cpp %{ %llama_logits %t/f32.gguf %t/f32.logits --tolerance 1e-4 --ppl-tolerance 1e-5 | FileCheck %s --check-prefix=PEER %}
// RUN: %if llama-cpp %{ mxc-run %t/w4.gguf --recipe w4-keep --prompt "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big red ball." --save-logits %t/w4.logits %}
// RUN: %if llama-cpp %{ %llama_logits %t/w4.gguf %t/w4.logits --tolerance 0.5 --ppl-tolerance 0.02 | FileCheck %s --check-prefix=PEER %}
// PEER: OK: within
