// HuggingFace checkpoints as users have them, made from the shared
// stories260K-hf by a numpy script (Inputs/hf_variants.py): BF16 in two
// shards with an index, and gpt-oss style MXFP4 _blocks/_scales.
// REQUIRES: shared-models

// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/hf_variants.py %shared/models/stories260K-hf %t/bf16 bf16-shards
// RUN: %python %S/Inputs/hf_variants.py %shared/models/stories260K-hf %t/mxfp4 mxfp4-blocks

// BF16 shards load and run; the compiled logits match the C++ reference.
// RUN: mxc-run %t/bf16 --steps 20 | FileCheck %s
// CHECK: Once upon a time, there was a little girl named Lily
// RUN: mxc-run %t/bf16 --prompt "Once upon a time" --check-logits 1e-3 | FileCheck %s --check-prefix=LOGITS
// LOGITS: logits of {{[0-9]+}} tokens match the reference

// The numpy script's OCP round-to-nearest MXFP4, kept bit for bit
// (checkpoint-mx=keep), gives exactly the logits of mxc's own RTN MXFP4 on
// the float checkpoint: the importer and mxc's quantizer agree with an
// independent encoder.
// RUN: mxc-run %t/mxfp4 --recipe w4-keep --prompt "Once upon a time, there was a little girl named Lily. She loved to play outside." --save-logits %t/blocks.logits 2>&1 | FileCheck %s --check-prefix=NOTE
// NOTE: 30 MXFP4 tensors decoded to float
// RUN: mxc-run %shared/models/stories260K-hf --recipe w4 --prompt "Once upon a time, there was a little girl named Lily. She loved to play outside." --save-logits %t/rtn.logits
// RUN: cmp %t/blocks.logits %t/rtn.logits
// ... and the same GGUF file, byte for byte.
// RUN: mkdir -p %t/a %t/b
// RUN: mxc-compile %t/mxfp4 --recipe w4-keep --emit=gguf -o %t/a/m.gguf
// RUN: mxc-compile %shared/models/stories260K-hf --recipe w4 --emit=gguf -o %t/b/m.gguf
// RUN: cmp %t/a/m.gguf %t/b/m.gguf
