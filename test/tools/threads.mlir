// --threads: calibration windows and perplexity windows run in parallel and
// are reduced in window order, so 1 and 2 threads give the same bytes; a
// bad count is one clear line.

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null
// RUN: mxc-compile %t/example/model.bin --recipe w4a8-smooth-gptq --calibrate %mxc_src_root/examples/story.txt --calibration-windows 3 --save-calibration %t/one.mxcal --threads 1 -o %t/one.mxc
// RUN: mxc-compile %t/example/model.bin --recipe w4a8-smooth-gptq --calibrate %mxc_src_root/examples/story.txt --calibration-windows 3 --save-calibration %t/two.mxcal --threads 2 -o %t/two.mxc
// RUN: cmp %t/one.mxcal %t/two.mxcal
// RUN: cmp %t/one.mxc %t/two.mxc
// RUN: mxc-run %t/one.mxc --perplexity %mxc_src_root/examples/story.txt --max-windows 3 --threads 1 --quiet > %t/one.ppl
// RUN: mxc-run %t/one.mxc --perplexity %mxc_src_root/examples/story.txt --max-windows 3 --threads 2 --quiet > %t/two.ppl
// The same figures but the speed.
// RUN: sed -e 's/[0-9.]* tokens\/s//' %t/one.ppl > %t/one.txt
// RUN: sed -e 's/[0-9.]* tokens\/s//' %t/two.ppl > %t/two.txt
// RUN: cmp %t/one.txt %t/two.txt
// RUN: FileCheck %s --check-prefix=PPL < %t/one.ppl
// PPL: perplexity {{[0-9.]+}}

// RUN: not mxc-run %t/one.mxc --threads -2 --prompt x 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not mxc-compile %t/example/model.bin --recipe w4 --threads -2 -o %t/x.mxc 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: --threads must be >= 0 (0: every core), not -2

// --mlir-timing names each stage with its passes under it.
// RUN: mxc-compile %t/example/model.bin --recipe w4a8-smooth-gptq --calibration %t/one.mxcal --mlir-timing -o %t/x.mxc 2>&1 | FileCheck %s --check-prefix=TIMING
// TIMING: Execution time report
// TIMING: load the checkpoint
// TIMING: quantizing
// TIMING-NEXT: MXCSmoothQuantPass
// TIMING-NEXT: MXCGPTQPass
// TIMING: lowering linalg to the LLVM dialect
// TIMING: write the output

// mxc-example-model writes other shapes, and bf16 HuggingFace directories,
// that load.
// RUN: mxc-example-model %t/hf --format=hf-bf16 --dim 96 --hidden-dim 256 --layers 1 --heads 3 --kv-heads 1 --vocab 300 --seq-len 64 > /dev/null
// RUN: mxc-run %t/hf --prompt "Once" --steps 2 --temperature 0 --json 2>&1 > /dev/null | FileCheck %s --check-prefix=HF
// HF: "generated_tokens":2
// RUN: not mxc-example-model %t/small --vocab 100 2>&1 | FileCheck %s --check-prefix=VOCAB
// VOCAB: --vocab must be at least 259
