// scripts/token-gains.py: two models' next-token NLLs on the same prompt
// (mxc-run --save-logits), and the positions of the model's largest gains.
// The reference's mean NLL is mxc-run's own on the same text (--perplexity,
// one window, BOS first); a model against itself gains nothing; an MXFP4
// model against the float one has a gain of its own; different prompts or
// a file of another kind are refused.

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null
// RUN: printf 'Once upon a time, there was a cat.\n\nThe cat sat on a mat.' > %t/text.txt
// RUN: mxc-compile %t/example/model.bin --recipe float --quiet -o %t/float.mxc
// RUN: mxc-compile %t/example/model.bin --recipe w4 --quiet -o %t/w4.mxc
// RUN: mxc-run %t/float.mxc --prompt "$(cat %t/text.txt)" --save-logits %t/float.bin
// RUN: mxc-run %t/w4.mxc --prompt "$(cat %t/text.txt)" --save-logits %t/w4.bin
// RUN: (mxc-run %t/float.mxc --perplexity %t/text.txt --quiet; %python %mxc_src_root/scripts/token-gains.py %t/float.bin %t/w4.bin --top 3) | FileCheck %s
// CHECK: mean NLL [[NLL:[0-9]+\.[0-9][0-9][0-9][0-9]]]
// CHECK: tokens predicted: [[N:[0-9]+]]
// CHECK: mean NLL: reference [[NLL]]{{[0-9]}}, model [[MODEL:[0-9.]+]]
// CHECK-NOT: model's gain: 0.000 nats
// CHECK: the 3 largest gains:
// CHECK: | position | token | reference NLL | model NLL | gain |
// CHECK-COUNT-3: | {{[0-9]+}} | {{[0-9]+}} | {{[0-9.]+}} | {{[0-9.]+}} | {{-?[0-9.]+}} |

// RUN: %python %mxc_src_root/scripts/token-gains.py %t/float.bin %t/float.bin | FileCheck %s --check-prefix=SELF
// SELF: model's gain: 0.000 nats in all, 0.00000 per token

// RUN: mxc-run %t/float.mxc --prompt "The cat sat." --save-logits %t/other.bin
// RUN: not %python %mxc_src_root/scripts/token-gains.py %t/float.bin %t/other.bin 2>&1 | FileCheck %s --check-prefix=OTHER
// OTHER: token-gains: the two files hold different tokens
// RUN: not %python %mxc_src_root/scripts/token-gains.py %t/text.txt %t/float.bin 2>&1 | FileCheck %s --check-prefix=KIND
// KIND: token-gains: {{.*}}text.txt is not an mxc-run --save-logits file
