// Llama 3.1's RoPE scaling (config.json "rope_scaling" of rope_type
// "llama3") becomes one frequency factor per pair of a head's dims; GGUF
// carries them as llama.cpp's rope_freqs tensor. llama.cpp itself, when
// installed (peer/), gives the same next-token distributions on the
// exported model, and different ones without the factors (a small original
// context, 64, puts most of the example's head pairs in the scaled range).

// RUN: rm -rf %t && mkdir -p %t/scaled && mxc-example-model %t/hf --format hf-bf16 > /dev/null
// RUN: cp %t/hf/model.safetensors %t/hf/tok259.bin %t/scaled/
// RUN: sed 's/"rope_theta": 10000.0,/"rope_theta": 10000.0, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64},/' %t/hf/config.json > %t/scaled/config.json

// The scaling changes the model; GGUF and a compiled model keep it.
// RUN: mxc-run %t/hf --perplexity %s | sed 's/ (.*//' > %t/plain.txt
// RUN: mxc-run %t/scaled --perplexity %s | sed 's/ (.*//' > %t/scaled.txt
// RUN: not cmp -s %t/plain.txt %t/scaled.txt
// RUN: mxc-compile %t/scaled --emit=gguf -o %t/scaled.gguf
// RUN: mxc-run %t/scaled.gguf --perplexity %s | sed 's/ (.*//' | cmp - %t/scaled.txt
// RUN: mxc-compile %t/scaled -o %t/scaled.mxc
// RUN: mxc-run %t/scaled.mxc --perplexity %s | sed 's/ (.*//' | cmp - %t/scaled.txt
// RUN: mkdir -p %t/again && mxc-compile %t/scaled.gguf --emit=gguf -o %t/again/scaled.gguf
// RUN: cmp %t/scaled.gguf %t/again/scaled.gguf

// RUN: %if llama-cpp %{ mxc-run %t/scaled.gguf --prompt "Once upon a time, there was a cat. It sat on a mat and saw the big red sun." --save-logits %t/scaled.logits %}
// RUN: %if llama-cpp %{ %llama_logits %t/scaled.gguf %t/scaled.logits --tolerance 1e-4 --ppl-tolerance 1e-5 | FileCheck %s --check-prefix=PEER %}
// PEER: OK: within
// RUN: %if llama-cpp %{ mxc-compile %t/hf --emit=gguf -o %t/plain.gguf %}
// RUN: %if llama-cpp %{ not %llama_logits %t/plain.gguf %t/scaled.logits --tolerance 1e-4 | FileCheck %s --check-prefix=DIFFER %}
// DIFFER: FAIL: log-probabilities differ

// What mxc does not implement is refused by name.
// RUN: sed 's/"rope_type": "llama3"/"rope_type": "yarn"/' %t/scaled/config.json > %t/yarn.json
// RUN: cp %t/yarn.json %t/scaled/config.json
// RUN: not mxc-run %t/scaled --tokenize %s 2>&1 | FileCheck %s --check-prefix=YARN
// YARN: mxc-run: {{.*}}config.json: rope_scaling of type 'yarn' is not implemented (mxc applies plain RoPE and Llama 3's)

Once upon a time there was a little dog. He liked to run in the park.
One day he saw a big red ball and he ran to it. "Can I play?" he asked.
