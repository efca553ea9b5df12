// GGUF out and in, on the project's own example model: mxc-compile
// --emit=gguf writes llama.cpp's format, and every tool reads it back (its
// tokenizer inside). The round trips are exact; llama.cpp itself, when
// installed (peer/), gives the same next-token distributions.

// RUN: rm -rf %t && mkdir -p %t/again && mxc-example-model %t/example > /dev/null

// A float export runs exactly as the checkpoint it came from.
// RUN: mxc-compile %t/example/model.bin --emit=gguf -o %t/f32.gguf
// RUN: mxc-run %t/f32.gguf --perplexity %s | sed 's/;.*//' > %t/f32-gguf.txt
// RUN: mxc-run %t/example/model.bin --perplexity %s | sed 's/;.*//' > %t/f32-bin.txt
// RUN: diff %t/f32-gguf.txt %t/f32-bin.txt
// RUN: FileCheck %s --check-prefix=PPL < %t/f32-gguf.txt
// PPL: perplexity {{[0-9.]+}} over {{[0-9]+}} tokens

// RTN MXFP4 weights go out as GGUF MXFP4 and come back bit for bit
// (checkpoint-mx=keep): the same perplexity as w4 on the checkpoint, and
// the same file when written again.
// RUN: mxc-compile %t/example/model.bin --recipe w4 --emit=gguf -o %t/w4.gguf
// RUN: mxc-run %t/w4.gguf --recipe w4-keep --perplexity %s | sed 's/;.*//' > %t/w4-gguf.txt
// RUN: mxc-run %t/example/model.bin --recipe w4 --perplexity %s | sed 's/;.*//' > %t/w4-bin.txt
// RUN: diff %t/w4-gguf.txt %t/w4-bin.txt
// RUN: mxc-compile %t/w4.gguf --recipe w4-keep --emit=gguf -o %t/again/w4.gguf
// RUN: cmp %t/w4.gguf %t/again/w4.gguf
// Loading says what was decoded.
// RUN: mxc-compile %t/w4.gguf --emit=mxc -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOTES
// NOTES: mxc-compile: note: {{.*}}w4.gguf: {{[0-9]+}} MXFP4 tensors decoded to float

// What GGUF cannot hold is refused before any work.
// RUN: not mxc-compile %t/example/model.bin --recipe w4a8 --emit=gguf -o %t/x.gguf 2>&1 | FileCheck %s --check-prefix=ACT
// ACT: mxc-compile: --emit=gguf: the recipe quantizes activations; llama.cpp runs weight-only recipes
// RUN: not mxc-compile %t/example/model.bin --recipe w8 --emit=gguf -o %t/x.gguf 2>&1 | FileCheck %s --check-prefix=FMT
// FMT: --emit=gguf: mxfp8_e4m3 weights have no GGUF type (GGUF has MXFP4)
// Tuning the gains adds factors on the inputs of wo and w2 (docs/tuning.md),
// which GGUF has no tensor for; the tuned weights alone export, and run as
// the compiled tuned model does.
// RUN: not mxc-compile %t/example/model.bin --recipe w4,tune=2 --calibrate %s --emit=gguf -o %t/x.gguf 2>&1 | FileCheck %s --check-prefix=TUNED
// TUNED: mxc-compile: --emit=gguf: tune-what=both (the default) tunes factors on the inputs of wo and w2, which a GGUF Llama has no tensor for (tune-what=weights exports)
// RUN: mxc-compile %t/example/model.bin --recipe w4,tune=2,tune-what=weights --calibrate %s --emit=gguf -o %t/tuned.gguf
// RUN: mxc-compile %t/example/model.bin --recipe w4,tune=2,tune-what=weights --calibrate %s -o %t/tuned.mxc
// RUN: mxc-run %t/tuned.gguf --recipe w4-keep --perplexity %s | sed 's/;.*//' > %t/tuned-gguf.txt
// RUN: mxc-run %t/tuned.mxc --perplexity %s | sed 's/;.*//' > %t/tuned-mxc.txt
// RUN: diff %t/tuned-gguf.txt %t/tuned-mxc.txt
// RUN: mxc-run %t/example/model.bin --recipe w4 --perplexity %s | sed 's/;.*//' | not diff - %t/tuned-mxc.txt > /dev/null
// RUN: mxc-compile %t/example/model.bin -o %t/compiled.mxc
// RUN: not mxc-compile %t/compiled.mxc --emit=gguf -o %t/x.gguf 2>&1 | FileCheck %s --check-prefix=COMPILED
// COMPILED: mxc-compile: --emit=gguf needs a checkpoint, not a compiled model
// RUN: not mxc-compile %t/example/model.bin --emit=gguf 2>&1 | FileCheck %s --check-prefix=NOOUT
// NOOUT: give the compiled model's file with -o FILE

// llama.cpp on the same tokens: log-probabilities within 1e-4 for float
// weights (measured 3.7e-6). Its MXFP4 matmuls round the activations to
// Q8_0 first, which mxc does not (measured 0.07 in log p, 0.5% in
// perplexity).
// RUN: %if llama-cpp %{ mxc-run %t/f32.gguf --prompt "Once upon a time, there was a cat." --save-logits %t/f32.logits %}
// RUN: %if llama-cpp %{ %llama_logits %t/f32.gguf %t/f32.logits --tolerance 1e-4 --ppl-tolerance 1e-5 | FileCheck %s --check-prefix=PEER %}
// RUN: %if llama-cpp %{ mxc-run %t/w4.gguf --recipe w4-keep --prompt "Once upon a time, there was a cat." --save-logits %t/w4.logits %}
// RUN: %if llama-cpp %{ %llama_logits %t/w4.gguf %t/w4.logits --tolerance 0.2 --ppl-tolerance 0.02 | FileCheck %s --check-prefix=PEER %}
// PEER: OK: within

Once upon a time there was a little dog. He liked to run in the park.
One day he saw a big red ball and he ran to it. "Can I play?" he asked.
