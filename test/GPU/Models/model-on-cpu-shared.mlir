// The shared stories260K model on the GPU path, its launches run as CPU
// loops: the logits of the prefill and of the KV-cached decode equal the C++
// reference, as they do on the CPU path.
// REQUIRES: shared-models

// RUN: mxc-run %shared/models/stories260K/stories260K.bin --target=cuda-on-cpu --prompt "Once upon a time, there was a little girl named Lily." --check-logits 1e-4 | FileCheck %s
// CHECK: prefill logits of {{[0-9]+}} tokens match the reference
// CHECK: decode logits of {{[0-9]+}} tokens match the reference
