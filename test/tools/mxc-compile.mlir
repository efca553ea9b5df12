// mxc-compile on the project's own example model: every flag, the compiled
// model running in mxc-run, and clear errors. This file is also the
// calibration and evaluation text.

// RUN: rm -rf %t && mkdir -p %t/alone && mxc-example-model %t/example > /dev/null

// -o writes the compiled model. It runs alone (the tokenizer is inside it)
// and gives exactly what mxc-run gets compiling the checkpoint itself.
// RUN: mxc-compile %t/example/model.bin --recipe w4 -o %t/alone/w4.mxc
// RUN: mxc-run %t/alone/w4.mxc --perplexity %s | sed 's/;.*//' > %t/artifact.txt
// RUN: mxc-run %t/example/model.bin --recipe w4 --perplexity %s | sed 's/;.*//' > %t/jit.txt
// RUN: diff %t/artifact.txt %t/jit.txt
// RUN: FileCheck %s --check-prefix=PPL < %t/artifact.txt
// PPL: perplexity {{[0-9.]+}} over {{[0-9]+}} tokens in {{[0-9]+}} windows
// RUN: mxc-run %t/alone/w4.mxc --prompt "Hi!" --steps 4 | FileCheck %s --check-prefix=GEN
// GEN: {{^}}Hi!

// --emit prints each stage: mxc IR after the recipe (the two entry points,
// MXFP4 weights), upstream ops only, the LLVM dialect, LLVM IR.
// RUN: mxc-compile %t/example/model.bin --recipe w4 --emit=mxc | FileCheck %s --check-prefix=EMIT-MXC
// EMIT-MXC: func.func @decode(%{{.*}}: tensor<?xi32>, %{{.*}}: index {mxc.position}, %{{.*}}: memref<2x2x256x16xf32>, %{{.*}}: memref<2x2x256x16xf32>) -> tensor<?x259xf32>
// EMIT-MXC: mxc.matmul {{.*}}, !mxc.mx<64x64xf4E2M1FN> -> tensor<?x64xf32>
// EMIT-MXC: func.func @forward(%{{.*}}: tensor<?xi32>) -> tensor<?x259xf32>
// EMIT-MXC: call @decode
// RoPE's cosines and sines: one table of each per function, for both layers'
// queries and keys.
// RUN: mxc-compile %t/example/model.bin --recipe w4 --emit=mxc | FileCheck %s --check-prefix=ROPE
// ROPE: func.func @decode
// ROPE: math.cos
// ROPE-NOT: math.cos
// ROPE: math.sin
// ROPE-NOT: math.{{cos|sin}}
// ROPE: func.func @forward
// Textual stages elide large resources (the weights) unless asked.
// RUN: mxc-compile %t/example/model.bin --recipe w4 --emit=mxc | FileCheck %s --check-prefix=ELIDED
// ELIDED: dense_resource<mxc_weight_data
// ELIDED-NOT: mxc_weight_data{{[_0-9]*}}: "0x
// RUN: mxc-compile %t/example/model.bin --recipe w4 --emit=mxc --print-weights | FileCheck %s --check-prefix=WEIGHTS
// WEIGHTS: mxc_weight_data{{[_0-9]*}}: "0x
// RUN: mxc-compile %t/example/model.bin --recipe w4 --emit=linalg -o %t/linalg.mlir
// RUN: FileCheck %s --check-prefix=EMIT-LINALG < %t/linalg.mlir
// EMIT-LINALG-NOT: mxc.{{[a-z]+}} %
// EMIT-LINALG: linalg.generic
// EMIT-LINALG-NOT: mxc.{{[a-z]+}} %
// RUN: mxc-compile %t/example/model.bin --emit=llvm | FileCheck %s --check-prefix=EMIT-LLVM
// EMIT-LLVM-DAG: llvm.func @_mlir_ciface_decode
// EMIT-LLVM-DAG: llvm.func @_mlir_ciface_forward
// RUN: mxc-compile %t/example/model.bin --emit=llvm-ir | FileCheck %s --check-prefix=EMIT-LLVMIR
// EMIT-LLVMIR: define void @_mlir_ciface_decode(ptr
// EMIT-LLVMIR: define void @_mlir_ciface_forward(ptr

// --recipe: a preset with overrides; --passes adds passes after it.
// RUN: mxc-compile %t/example/model.bin --recipe w4,weights=mxfp6_e2m3,softmax-bits=3,softmax-clip=-6 --emit=mxc | FileCheck %s --check-prefix=OVERRIDE
// OVERRIDE: mxc.matmul {{.*}}, !mxc.mx<64x64xf6E2M3FN>
// OVERRIDE: mxc.attention {{.*}} quantized <bits = 3, clip = -6.000000e+00>
// keep= leaves matmuls in float (mixed precision).
// RUN: mxc-compile %t/example/model.bin --recipe "w4,keep=classifier;layers.1.w2" --emit=mxc | FileCheck %s --check-prefix=KEEP
// KEEP: mxc.matmul {{.*}}, !mxc.mx<64x172xf4E2M1FN> -> tensor<?x64xf32>
// KEEP: mxc.matmul {{.*}}, tensor<64x172xf32> -> tensor<?x64xf32>
// KEEP: mxc.matmul {{.*}}, tensor<259x64xf32> -> tensor<?x259xf32>
// RUN: mxc-compile %t/example/model.bin --recipe "w4,keep=classifier:mxfp8_e4m3" --emit=mxc | FileCheck %s --check-prefix=KEEPFMT
// KEEPFMT: mxc.matmul {{.*}}, !mxc.mx<64x172xf4E2M1FN> -> tensor<?x64xf32>
// KEEPFMT: mxc.matmul {{.*}}, !mxc.mx<259x64xf8E4M3FN> -> tensor<?x259xf32>
// RUN: mxc-compile %t/example/model.bin --passes "mxc-rtn{format=mxint8}" --emit=mxc | FileCheck %s --check-prefix=PASSES
// PASSES: mxc.matmul {{.*}}, !mxc.mx<64x64xi8>

// --calibrate (--calibration-windows), the report (--report, --report-json)
// and its global part (--eval, --eval-windows).
// RUN: mxc-compile %t/example/model.bin --recipe w4-gptq --calibrate %s --calibration-windows 2 --eval %s --eval-windows 2 --report --report-json %t/report.json -o %t/gptq.mxc | FileCheck %s --check-prefix=REPORT
// REPORT: recipe: weights=mxfp4,method=gptq,smooth=0,activations=none,softmax-bits=0,softmax-clip=-8,tile=64
// The example model (dim 64, hidden 172, 2 layers, 4 heads over 2 KV heads of
// 16, vocab 259, tied classifier) has 259*64 + 2*(2*64 + 64*64 + 2*32*64 +
// 64*64 + 3*64*172) + 64 = 107520 parameters, of which the matmuls hold
// 2*(64*64 + 2*32*64 + 64*64 + 3*64*172) + 259*64 = 107200.
// REPORT: parameters: 107520; constants {{.*}} KiB in float32, {{.*}} KiB compiled ({{[3-4]\.[0-9]+}}x smaller)
// REPORT: | layers.0.wq | 4096 | {{[0-9.]+}} | {{[0-9.]+}} | {{[0-9.]+E-[0-9]+}} | {{[0-9.]+E-[0-9]+}} |
// REPORT: | classifier | 16576 |
// REPORT: ## Global effect ({{.*}}mxc-compile.mlir, 510 tokens)
// REPORT: perplexity: float {{[0-9.]+}}, compiled {{[0-9.]+}}
// REPORT: mean KL from the float model: {{[0-9.]+}}
// REPORT: mean NLL difference from the float model: {{[-+][0-9.]+}} +/- {{[0-9.]+}} nats/token (standard error paired by window)
// REPORT: | layers.0. | {{.*}} | {{[0-9]\.[0-9]+}} | {{[0-9]\.[0-9]+}} | {{[1-3]}} | {{[1-3]}} |
// REPORT: | layers.1. |
// REPORT: | classifier |
// REPORT: suggested recipe: weights=mxfp4,method=gptq,{{.*}}
// REPORT: 107200 quantized weights at 4.25 bits
// RUN: %python -m json.tool %t/report.json > /dev/null
// RUN: FileCheck %s --check-prefix=JSON < %t/report.json
// The report's difference from the float model is that of its two
// evaluations' mean NLLs, and its standard error mxc-run's, paired by window
// on the same windows of the same text (test/tools/mxc-run.mlir rebuilds
// mxc-run's from each window's sums).
// RUN: mxc-run %t/gptq.mxc --perplexity %s --max-windows 2 --kl-reference %t/example/model.bin --quiet 2>&1 | grep "paired by window" > %t/paired.txt
// RUN: %python -c "import json, re, sys; g = json.load(open(sys.argv[1]))['global']; d, se = (float(x) for x in re.search(r'NLL ([-+][0-9.]+) \+/- ([0-9.]+) nats', open(sys.argv[2]).read()).groups()); assert abs(g['nll_difference'] - (g['compiled']['mean_nll'] - g['float']['mean_nll'])) < 1e-9, g; assert abs(g['nll_difference'] - d) < 6e-6 and abs(g['nll_difference_stderr'] - se) < 6e-6 and se > 0, (g, d, se); print('PAIRED OK')" %t/report.json %t/paired.txt | FileCheck %s --check-prefix=PAIRED
// PAIRED: PAIRED OK
// JSON: "recipe": "weights=mxfp4,method=gptq
// JSON: "compiled_bytes":
// JSON: "matmuls": [
// JSON: "name": "layers.0.wq",
// JSON-NEXT: "parameters": 4096,
// JSON: "global": {
// JSON: "float": {
// JSON-NEXT: "perplexity":
// JSON: "layers": [
// JSON: "name": "layers.0.",
// JSON: "kl":
// JSON-NEXT: "rtn_kl":
// JSON: "flags": [
// JSON: "suggested_recipe": "weights=mxfp4
// JSON: "predicted": {
// JSON: "perplexity_increase":
// With --eval the model is compiled once, down to the LLVM dialect to be
// evaluated, and the stage --emit asks for is what gets written.
// RUN: mxc-compile %t/example/model.bin --recipe w4 --eval %s --eval-windows 1 --report --emit=mxc -o %t/evaluated.mlir | FileCheck %s --check-prefix=EVALEMIT
// EVALEMIT: perplexity: float {{[0-9.]+}}, compiled {{[0-9.]+}}
// RUN: FileCheck %s --check-prefix=EVALMXC < %t/evaluated.mlir
// EVALMXC: mxc.matmul {{.*}}, !mxc.mx<64x64xf4E2M1FN> -> tensor<?x64xf32>
// The compiled GPTQ model runs.
// RUN: mxc-run %t/gptq.mxc --prompt "Hi!" --steps 2 | FileCheck %s --check-prefix=GEN

// Errors: one line each.
// RUN: not mxc-compile %t/example/model.bin --recipe w4 2>&1 | FileCheck %s --check-prefix=NOOUT
// NOOUT: mxc-compile: give the compiled model's file with -o FILE
// RUN: not mxc-compile %t/example/model.bin --recipe w3 -o %t/x 2>&1 | FileCheck %s --check-prefix=PRESET
// PRESET: mxc-compile: recipe: unknown preset 'w3'; presets:
// RUN: not mxc-compile %t/example/model.bin --recipe weights=mxfp5 -o %t/x 2>&1 | FileCheck %s --check-prefix=FORMAT
// FORMAT: mxc-compile: recipe: unknown weight format 'mxfp5'
// RUN: not mxc-compile %t/example/model.bin --recipe w4,bits=3 -o %t/x 2>&1 | FileCheck %s --check-prefix=KEY
// KEY: mxc-compile: recipe: unknown key 'bits'
// RUN: not mxc-compile %t/example/model.bin --recipe w4,smooth=abc -o %t/x 2>&1 | FileCheck %s --check-prefix=NUMBER
// NUMBER: mxc-compile: recipe: 'smooth' needs a finite number, not 'abc'
// RUN: not mxc-compile %t/example/model.bin --recipe w4-gptq -o %t/x 2>&1 | FileCheck %s --check-prefix=NOCALIB
// NOCALIB: mxc-compile: the recipe 'weights=mxfp4,method=gptq,{{.*}}' needs calibration statistics (GPTQ, SmoothQuant or a softmax clip chosen from statistics): give a calibration text (--calibrate FILE; calibration= in Python)
// Outputs never overwrite an input or each other, and a failed write names
// its file (a full device is an error, not an abort).
// RUN: not mxc-compile %t/example/model.bin --report --report-json %t/same.mxc -o %t/same.mxc 2>&1 | FileCheck %s --check-prefix=SAME
// SAME: mxc-compile: -o and --report-json name the same file '{{.*}}same.mxc'
// RUN: not mxc-compile %t/example/model.bin -o %t/example/model.bin 2>&1 | FileCheck %s --check-prefix=OVERINPUT
// OVERINPUT: mxc-compile: -o '{{.*}}model.bin' is also the model; writing it would destroy that input
// An output that cannot go where it is named is refused before any work
// (the GPTQ recipe without --calibrate would fail later, with another
// message).
// RUN: not mxc-compile %t/example/model.bin --recipe w4-gptq -o %t/no/such/dir/m.mxc 2>&1 | FileCheck %s --check-prefix=NODIR
// NODIR: mxc-compile: -o '{{.*}}m.mxc': no directory '{{.*}}dir'
// RUN: not mxc-compile %t/example/model.bin --recipe w4-gptq -o %t 2>&1 | FileCheck %s --check-prefix=ISDIR
// ISDIR: mxc-compile: -o '{{.*}}' is a directory
// RUN: not mxc-run %t/example/model.bin --prompt Hi --save-logits %t/no/l.bin 2>&1 | FileCheck %s --check-prefix=RUNNODIR
// RUNNODIR: mxc-run: --save-logits '{{.*}}l.bin': no directory
// RUN: not mxc-compile %t/example/model.bin -o /dev/full 2>&1 | FileCheck %s --check-prefix=FULL
// RUN: not mxc-run %t/example/model.bin --prompt Hi --save-logits /dev/full 2>&1 | FileCheck %s --check-prefix=FULL
// FULL: cannot write '/dev/full': No space left on device
// FULL-NOT: LLVM ERROR
// An empty calibration text is one error, the same in mxc-compile and
// mxc-run (both go through the driver's session).
// RUN: rm -f %t/empty.txt && touch %t/empty.txt
// RUN: not mxc-compile %t/example/model.bin --recipe w4-gptq --calibrate %t/empty.txt -o %t/x 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not mxc-run %t/example/model.bin --recipe w4-gptq --calibrate %t/empty.txt --emit-mlir 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: '{{.*}}empty.txt' has no tokens
// EMPTY-NOT: GPTQ
// RUN: not mxc-compile %t/example/model.bin --eval %s -o %t/x 2>&1 | FileCheck %s --check-prefix=EVAL
// EVAL: mxc-compile: --eval measures for the report: add --report or --report-json
// RUN: not mxc-compile %t/missing.bin -o %t/x 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: mxc-compile: cannot open checkpoint '{{.*}}missing.bin'
// RUN: not mxc-compile %t/example/model.bin --tokenizer %t/none.bin -o %t/x 2>&1 | FileCheck %s --check-prefix=TOKENIZER
// TOKENIZER: mxc-compile: cannot read tokenizer '{{.*}}none.bin'
// RUN: not mxc-compile %t/example/model.bin --emit=asm 2>&1 | FileCheck %s --check-prefix=EMIT
// EMIT: Cannot find option named 'asm'
// RUN: not mxc-compile %t/example/model.bin --emit=obj 2>&1 | FileCheck %s --check-prefix=OBJOUT
// OBJOUT: mxc-compile: give the compiled model's file with -o FILE

// A compiled model keeps its recipe; mxc-run says so. A file that is not a
// compiled model is refused.
// RUN: not mxc-run %t/alone/w4.mxc --recipe w8 2>&1 | FileCheck %s --check-prefix=FIXED
// FIXED: mxc-run: --recipe needs a checkpoint: '{{.*}}w4.mxc' is already compiled
// RUN: mxc-opt %s --emit-bytecode -o %t/plain.mlirbc
// RUN: not mxc-run %t/plain.mlirbc 2>&1 | FileCheck %s --check-prefix=NOTMODEL
// NOTMODEL: mxc-run: '{{.*}}plain.mlirbc' is not a model compiled by mxc-compile: no mxc.model attribute
// RUN: head -c 3000 %t/alone/w4.mxc > %t/truncated.mxc
// RUN: not mxc-run %t/truncated.mxc 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// TRUNCATED: mxc-run: cannot read the compiled model '{{.*}}truncated.mxc'

// --help lists mxc-compile's own options and the presets.
// RUN: mxc-compile --help | FileCheck %s --check-prefix=HELP
// HELP: mxc-compile options:
// HELP-NOT: amdgpu
// HELP: --emit
// HELP: w4a8-smooth-gptq-sm2
// HELP-NOT: amdgpu
