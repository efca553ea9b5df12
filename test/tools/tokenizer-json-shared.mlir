// HuggingFace tokenizer.json (SentencePiece-style BPE, as Llama 2 ships it),
// written for the stories260K vocabulary by a script that follows
// transformers' LlamaConverter (Inputs/sp_tokenizer_json.py): the token
// stream of the whole dev text, and of non-ASCII text, is the llama2.c
// tokenizer's.
// REQUIRES: shared-models

// RUN: rm -rf %t && mkdir -p %t/hf
// RUN: %python %S/Inputs/sp_tokenizer_json.py %shared/models/stories260K/tok512.bin 512 %t/tokenizer.json
// RUN: %python %S/Inputs/sp_tokenizer_json.py %shared/models/stories260K/tok512.bin 512 %t/strings.json --string-merges
// RUN: mxc-run %shared/models/stories260K/stories260K.bin --tokenize %shared/data/tinystories_dev.txt > %t/bin.txt
// RUN: mxc-run %shared/models/stories260K/stories260K.bin --tokenizer %t/tokenizer.json --tokenize %shared/data/tinystories_dev.txt > %t/json.txt
// RUN: mxc-run %shared/models/stories260K/stories260K.bin --tokenizer %t/strings.json --tokenize %shared/data/tinystories_dev.txt > %t/strings.txt
// RUN: cmp %t/bin.txt %t/json.txt
// RUN: cmp %t/bin.txt %t/strings.txt
// RUN: wc -w < %t/json.txt | FileCheck %s --check-prefix=COUNT
// COUNT: 97810

// Non-ASCII (byte fallbacks), emoji, runs of spaces, digits: the same ids.
// RUN: mxc-run %shared/models/stories260K/stories260K.bin --tokenize %s > %t/s-bin.txt
// RUN: mxc-run %shared/models/stories260K/stories260K.bin --tokenizer %t/tokenizer.json --tokenize %s > %t/s-json.txt
// RUN: cmp %t/s-bin.txt %t/s-json.txt

// A HuggingFace directory with only tokenizer.json finds it.
// RUN: cp %shared/models/stories260K-hf/config.json %shared/models/stories260K-hf/model.safetensors %t/tokenizer.json %t/hf/
// RUN: mxc-run %t/hf --steps 20 | FileCheck %s
// CHECK: Once upon a time, there was a little girl named Lily

// Café naïve — 日本語 😀 🚀   three spaces, 12345 and 3.14!
