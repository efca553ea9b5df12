// The shared stories260K model (../shared), in both formats, compiled by mxc
// and run on the CPU.
// REQUIRES: shared-models

// Known behaviour: greedy generation from BOS.
// RUN: mxc-run %shared/models/stories260K/stories260K.bin --steps 20 | FileCheck %s
// RUN: mxc-run %shared/models/stories260K-hf --steps 20 | FileCheck %s
// CHECK: Once upon a time, there was a little girl named Lily

// The compiled logits equal the C++ reference forward pass, for both formats.
// RUN: mxc-run %shared/models/stories260K/stories260K.bin --prompt "Once upon a time, there was a little girl named Lily." --check-logits 1e-3 | FileCheck %s --check-prefix=LOGITS
// RUN: mxc-run %shared/models/stories260K-hf --prompt "Once upon a time, there was a little girl named Lily." --check-logits 1e-3 | FileCheck %s --check-prefix=LOGITS
// LOGITS: logits of {{[0-9]+}} tokens match the reference

// Perplexity in windows of <= 512 tokens, BOS first (two windows).
// RUN: mxc-run %shared/models/stories260K/stories260K.bin --perplexity %shared/data/tinystories_dev.txt --max-windows 2 | FileCheck %s --check-prefix=PPL
// PPL: perplexity {{[0-9]+\.[0-9]+}} over 1022 tokens in 2 windows

// MXFP8 weights (RTN) keep the story.
// RUN: mxc-run %shared/models/stories260K/stories260K.bin --steps 8 --passes "mxc-rtn{format=mxfp8_e4m3}" | FileCheck %s --check-prefix=MXFP8
// MXFP8: Once upon a time
