// mxc-run on the project's own example model: the compiled model's logits,
// of the prefill and of the KV-cached decode one token at a time, equal the
// C++ reference forward pass; an MXFP4 (RTN) run; clear errors.

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example | FileCheck %s --check-prefix=WRITE
// WRITE: wrote {{.*}}model.bin and {{.*}}tok259.bin
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --check-logits 1e-3 | FileCheck %s --check-prefix=LOGITS
// LOGITS: prefill logits of 4 tokens match the reference
// LOGITS: decode logits of 4 tokens match the reference
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --steps 4 --passes "mxc-rtn{format=mxfp4}" | FileCheck %s --check-prefix=RTN
// RTN: {{^}}Hi!
// The pass ran on the model: its matmuls read MXFP4 weights.
// RUN: mxc-run %t/example/model.bin --passes "mxc-rtn{format=mxfp4}" --emit-mlir | FileCheck %s --check-prefix=RTNIR
// RTNIR: mxc.assemble {{.*}} -> !mxc.mx<64x64xf4E2M1FN>
// RTNIR: mxc.matmul {{.*}}, !mxc.mx<64x64xf4E2M1FN> -> tensor<?x64xf32>

// Sampling: --temperature with --seed is reproducible; greedy ignores the
// seed.
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --steps 8 --temperature 1.5 --seed 3 > %t/sample3a.txt
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --steps 8 --temperature 1.5 --seed 3 > %t/sample3b.txt
// RUN: diff %t/sample3a.txt %t/sample3b.txt
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --steps 8 --seed 3 > %t/greedy3.txt
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --steps 8 --seed 4 > %t/greedy4.txt
// RUN: diff %t/greedy3.txt %t/greedy4.txt
// Without --seed the seed is random and printed; given back, it repeats the
// text.
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --steps 8 --temperature 1.5 > %t/random.txt 2> %t/random.err
// RUN: FileCheck %s --check-prefix=SEED < %t/random.err
// SEED: mxc-run: sampling with seed {{[0-9]+}}
// SEED: mxc-run: prompt 4 tokens in {{[0-9.]+}} s ({{[0-9.]+}} tokens/s), generation {{[0-9]+}} tokens in {{[0-9.]+}} s ({{[0-9.]+}} tokens/s), first token after {{[0-9.]+}} s
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --steps 8 --temperature 1.5 --seed $(sed -n 's/.*with seed //p' %t/random.err) > %t/again.txt
// RUN: diff %t/random.txt %t/again.txt
// --json gives the timings as one object; --quiet none.
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --steps 8 --json 2>&1 >/dev/null | FileCheck %s --check-prefix=JSON
// JSON: {"seed":{{[0-9]+}},"prompt_tokens":4,"prompt_seconds":{{.*}},"generated_tokens":8,{{.*}}"time_to_first_token_seconds":
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --steps 8 --quiet 2>&1 >/dev/null | count 0
// --interactive: with no line to read it is the plain run; each line read
// continues the same text (KV cache) with up to --steps more tokens.
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --steps 8 --seed 3 --interactive --quiet < /dev/null > %t/inter0.txt
// RUN: diff %t/greedy3.txt %t/inter0.txt
// RUN: printf 'Go on\nAnd on\n' | mxc-run %t/example/model.bin --prompt "Hi!" --steps 8 --interactive 2> %t/inter.err > %t/inter.txt
// RUN: FileCheck %s --check-prefix=INTER < %t/inter.err
// INTER: > > > mxc-run: prompt {{[0-9]+}} tokens in {{.*}}, generation {{[0-9]+}} tokens
// --prompt-file reads the prompt.
// RUN: printf 'Hi!' > %t/prompt.txt
// RUN: mxc-run %t/example/model.bin --prompt-file %t/prompt.txt --steps 8 --seed 3 > %t/file3.txt
// RUN: diff %t/greedy3.txt %t/file3.txt
// Top-k 1 is greedy whatever the temperature.
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --steps 8 --temperature 2 --top-k 1 > %t/topk1.txt
// RUN: diff %t/greedy3.txt %t/topk1.txt

// Perplexity with its standard error, as llama-perplexity prints it.
// RUN: mxc-run %t/example/model.bin --perplexity %s --max-windows 1 | FileCheck %s --check-prefix=PPLSE
// PPLSE: perplexity {{[0-9.]+}} over 255 tokens in 1 windows (+/- {{[0-9.]+}}; mean NLL {{[0-9.]+}} +/- {{[0-9.]+}} nats;
// A compiled model's KL from its float checkpoint (--kl-reference) equals
// what --kl measures when mxc-run compiles the checkpoint itself.
// RUN: mxc-compile %t/example/model.bin --recipe w4 -o %t/w4.mxc
// RUN: mxc-run %t/w4.mxc --perplexity %s --max-windows 1 --kl-reference %t/example/model.bin | sed 's/;.*tokens\/s)//' > %t/kl-compiled.txt
// RUN: mxc-run %t/example/model.bin --recipe w4 --perplexity %s --max-windows 1 --kl | sed 's/;.*tokens\/s)//' > %t/kl-here.txt
// RUN: diff %t/kl-compiled.txt %t/kl-here.txt
// RUN: FileCheck %s --check-prefix=KLREF < %t/kl-compiled.txt
// KLREF: mean KL from the float model {{[0-9]+\.[0-9]+}} nats per token
// With the reference, the comparison of the two on the same tokens: the
// reference's perplexity is its own run's, and the difference's standard
// error, clustered by window, is recomputed from each model's own runs over
// the first 1, 2 and 3 windows (Inputs/paired-difference.py).
// RUN: mxc-run %t/w4.mxc --perplexity %s --max-windows 3 --kl-reference %t/example/model.bin > %t/paired.txt
// RUN: mxc-run %t/w4.mxc --perplexity %s --max-windows 1 > %t/q1.txt
// RUN: mxc-run %t/w4.mxc --perplexity %s --max-windows 2 > %t/q2.txt
// RUN: mxc-run %t/w4.mxc --perplexity %s --max-windows 3 > %t/q3.txt
// RUN: mxc-run %t/example/model.bin --perplexity %s --max-windows 1 > %t/f1.txt
// RUN: mxc-run %t/example/model.bin --perplexity %s --max-windows 2 > %t/f2.txt
// RUN: mxc-run %t/example/model.bin --perplexity %s --max-windows 3 > %t/f3.txt
// RUN: %python %S/Inputs/paired-difference.py %t/paired.txt %t/q1.txt %t/q2.txt %t/q3.txt %t/f1.txt %t/f2.txt %t/f3.txt | FileCheck %s --check-prefix=PAIRED
// PAIRED: OK
// The next tokens that the difference comes from, recomputed in float64 from
// both models' logits of the same one-window text (Inputs/token-costs.py):
// the float model's own greedy text, on which quantization costs (this
// random model finds the file's text unlikely, w4 a little less so).
// RUN: mxc-run %t/example/model.bin --prompt "Hi!" --steps 150 --quiet > %t/short.txt
// RUN: mxc-run %t/w4.mxc --perplexity %t/short.txt --kl-reference %t/example/model.bin > %t/costs.txt
// RUN: mxc-run %t/w4.mxc --prompt-file %t/short.txt --save-logits %t/w4.logits
// RUN: mxc-run %t/example/model.bin --prompt-file %t/short.txt --save-logits %t/float.logits
// RUN: %python %S/Inputs/token-costs.py %t/costs.txt %t/w4.logits %t/float.logits | FileCheck %s --check-prefix=COSTS
// COSTS: OK
// RUN: not mxc-run %t/w4.mxc --perplexity %s --kl-reference %t/w4.mxc 2>&1 | FileCheck %s --check-prefix=KLCOMPILED
// KLCOMPILED: mxc-run: --kl-reference needs a float checkpoint, not a compiled model

// --max-windows limits the evaluated windows.
// RUN: mxc-run %t/example/model.bin --perplexity %s --max-windows 1 | FileCheck %s --check-prefix=WINDOWS
// WINDOWS: perplexity {{[0-9.]+}} over 255 tokens in 1 windows

// The single recipe options: --weights, --method (with --calibrate and
// --calibration-windows), --smooth, --activations.
// RUN: mxc-run %t/example/model.bin --weights mxint8 --emit-mlir | FileCheck %s --check-prefix=WEIGHTS
// WEIGHTS: mxc.matmul {{.*}}, !mxc.mx<64x64xi8> -> tensor<?x64xf32>
// RUN: mxc-run %t/example/model.bin --weights mxfp4 --method gptq --calibrate %s --calibration-windows 1 --report --emit-mlir 2>&1 | FileCheck %s --check-prefix=METHOD
// METHOD: [report] loc("layers.0.wq"): gptq mxfp4: output MSE
// SmoothQuant rescales the statistics with the weights: the first
// matmul's input maxima (2.6, 3.1, ... raw) become max|x_j| / s_j (below 2).
// RUN: mxc-run %t/example/model.bin --weights mxfp4 --calibrate %s --calibration-windows 1 --emit-mlir | FileCheck %s --check-prefix=RAW
// RAW: mxc.matmul {{.*}}act_absmax = dense<[{{[2-9]}}.{{[0-9]+}}, {{[2-9]}}.{{[0-9]+}},
// RUN: mxc-run %t/example/model.bin --weights mxfp4 --smooth 0.5 --calibrate %s --calibration-windows 1 --emit-mlir | FileCheck %s --check-prefix=SMOOTH
// SMOOTH: mxc.matmul {{.*}}act_absmax = dense<[{{[01]}}.{{[0-9]+}}, {{[01]}}.{{[0-9]+}},
// RUN: mxc-run %t/example/model.bin --weights mxfp6_e2m3 --activations mxfp8_e4m3 --emit-mlir | FileCheck %s --check-prefix=ACT
// ACT: mxc.quantize {{.*}} -> !mxc.mx<?x64xf8E4M3FN>
// ACT: mxc.matmul {{.*}} : !mxc.mx<?x64xf8E4M3FN>, !mxc.mx<64x64xf6E2M3FN> -> tensor<?x64xf32>
// Activations alone would do nothing: refused.
// RUN: not mxc-run %t/example/model.bin --activations mxfp8_e4m3 2>&1 | FileCheck %s --check-prefix=ACTONLY
// ACTONLY: mxc-run: recipe: activations=mxfp8_e4m3 needs quantized weights

// RUN: not mxc-run %t/missing.bin 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: mxc-run: cannot open checkpoint '{{.*}}missing.bin'
// RUN: head -c 1000 %t/example/model.bin > %t/truncated.bin
// RUN: not mxc-run %t/truncated.bin 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// TRUNCATED: mxc-run: {{.*}}truncated.bin: truncated checkpoint
// RUN: not mxc-run %t/example/model.bin --tokenizer %t/none.bin 2>&1 | FileCheck %s --check-prefix=TOKENIZER
// TOKENIZER: mxc-run: cannot read tokenizer
// RUN: not mxc-run %t/example/model.bin --passes "no-such-pass" 2>&1 | FileCheck %s --check-prefix=PASSES
// PASSES: mxc-run: invalid pass pipeline 'no-such-pass'
// RUN: not mxc-run %t/example/model.bin --no-such-flag 2>&1 | FileCheck %s --check-prefix=FLAG
// FLAG: Unknown command line argument '--no-such-flag'

// Calibration and a full recipe (SmoothQuant, GPTQ MXFP4 weights, MXFP8
// activations), with this file as calibration and evaluation text; the
// perplexity and the KL divergence from the float model are reported.
// RUN: mxc-run %t/example/model.bin --recipe w4a8-smooth-gptq --calibrate %s --perplexity %s --kl | FileCheck %s --check-prefix=RECIPE
// RECIPE: perplexity {{[0-9]+\.[0-9]+}} over {{[0-9]+}} tokens in {{[0-9]+}} windows
// RECIPE: mean KL from the float model {{([1-9][0-9]*\.[0-9]+|0\.0*[1-9][0-9]*)}} nats per token
// The float recipe has no KL to speak of.
// RUN: mxc-run %t/example/model.bin --recipe float --perplexity %s --kl | FileCheck %s --check-prefix=FLOAT
// FLOAT: mean KL from the float model 0.00000 nats per token

// RUN: not mxc-run %t/example/model.bin --recipe w4-gptq --perplexity %s 2>&1 | FileCheck %s --check-prefix=NOCALIB
// NOCALIB: mxc-run: the recipe 'weights=mxfp4,method=gptq,{{.*}}' needs calibration statistics (GPTQ, SmoothQuant or a softmax clip chosen from statistics): give a calibration text (--calibrate FILE; calibration= in Python)
// RUN: not mxc-run %t/example/model.bin --recipe w3 2>&1 | FileCheck %s --check-prefix=RECIPENAME
// RECIPENAME: mxc-run: recipe: unknown preset 'w3'; presets:
// RECIPENAME: w4a8-smooth-gptq-sm2
// Numbers out of range are one line each, before any work.
// RUN: not mxc-run %t/example/model.bin --temperature nan 2>&1 | FileCheck %s --check-prefix=TEMPNAN
// TEMPNAN: mxc-run: --temperature must be a finite number >= 0 (0 is greedy), not nan
// RUN: not mxc-run %t/example/model.bin --temperature -1 2>&1 | FileCheck %s --check-prefix=TEMPNEG
// TEMPNEG: mxc-run: --temperature must be a finite number >= 0 (0 is greedy), not -1
// RUN: not mxc-run %t/example/model.bin --top-p 0 2>&1 | FileCheck %s --check-prefix=TOPP
// TOPP: mxc-run: --top-p must be in (0, 1] (1: off), not 0
// RUN: not mxc-run %t/example/model.bin --repeat-penalty -1 2>&1 | FileCheck %s --check-prefix=PENALTY
// PENALTY: mxc-run: --repeat-penalty must be > 0 (1: off), not -1
// RUN: not mxc-run %t/example/model.bin --prompt a --prompt-file %s 2>&1 | FileCheck %s --check-prefix=TWOPROMPTS
// TWOPROMPTS: mxc-run: give the prompt with --prompt or --prompt-file, not both
// RUN: not mxc-run %t/example/model.bin --steps -5 2>&1 | FileCheck %s --check-prefix=STEPS
// STEPS: mxc-run: --steps must be >= 0, not -5
// A keep= that names no matmul is an error, not a no-op.
// RUN: not mxc-run %t/example/model.bin --recipe w4,keep=classifer --perplexity %s 2>&1 | FileCheck %s --check-prefix=KEEP
// KEEP: mxc-run: recipe: keep='classifer' names no matmul of this model
// --help lists every preset, the same list as mxc-compile's.
// RUN: mxc-run --help | FileCheck %s --check-prefix=PRESETS
// RUN: mxc-compile --help | FileCheck %s --check-prefix=PRESETS
// PRESETS: float no quantization
// PRESETS-NEXT: w8
// PRESETS-NEXT: wint8
// PRESETS-NEXT: w6
// PRESETS-NEXT: w6-gptq
// PRESETS-NEXT: w6a8-smooth-gptq
// PRESETS-NEXT: w6a8-smooth-gptq-sm2
// PRESETS-NEXT: w4
// PRESETS-NEXT: w4-gptq
// PRESETS-NEXT: w4-keep
// PRESETS-NEXT: w4-smooth-gptq
// PRESETS-NEXT: w4a8
// PRESETS-NEXT: w4a8-smooth-gptq
// PRESETS-NEXT: w4a8-smooth-gptq-sm2

// The report names each quantized matmul with its local error, GPTQ next to
// RTN.
// RUN: mxc-run %t/example/model.bin --recipe w4-gptq --calibrate %s --report --perplexity %s 2>&1 | FileCheck %s --check-prefix=REPORT
// REPORT: [report] loc("layers.0.wq"): gptq mxfp4: output MSE {{.*}} (rtn {{.*}}), weight SQNR {{.*}} dB (rtn {{.*}} dB)
// REPORT: [report] loc("classifier"): gptq mxfp4
// REPORT: perplexity

// The EXAQ softmax report on the model's real attention rows.
// RUN: mxc-run %t/example/model.bin --calibrate %s --softmax-report --max-windows 1 | FileCheck %s --check-prefix=SOFTMAX
// SOFTMAX: EXAQ softmax on {{[0-9]+}} real attention rows
// SOFTMAX: | 2 | optimal (Gaussian) |
// SOFTMAX: | 4 | fixed -8 | -8.00, -8.00 |
// SOFTMAX: | 4 | zero floor, optimal (pooled) | -{{[0-9.]+}}, -{{[0-9.]+}} | {{[0-9.]+}} | inf |

// The EXAQ softmax in the model: every attention carries the quantizer; a
// 2-bit run moves the next-token distributions away from the float model's.
// RUN: mxc-run %t/example/model.bin --softmax-bits 2 --emit-mlir | FileCheck %s --check-prefix=EXAQIR
// EXAQIR: mxc.attention {{.*}} quantized <bits = 2, clip = -8.000000e+00>
// RUN: mxc-run %t/example/model.bin --softmax-bits 2 --softmax-clip -6 --perplexity %s --kl | FileCheck %s --check-prefix=EXAQ
// EXAQ: mean KL from the float model 0.{{0*[1-9][0-9]*}} nats per token
// RUN: mxc-run %t/example/model.bin --softmax-bits 2 --softmax-clip analytic --calibrate %s --emit-mlir | FileCheck %s --check-prefix=EXAQCAL
// EXAQCAL: mxc.attention {{.*}} quantized <bits = 2, clip = -{{[0-9.e+-]+}}> {stats = #mxc.softmax_stats
// A zero floor (code 0 stands for 0) reaches the IR, with a fixed clip or
// one from statistics, and changes the model's distributions.
// RUN: mxc-run %t/example/model.bin --softmax-bits 2 --softmax-clip -4.5 --softmax-floor zero --emit-mlir | FileCheck %s --check-prefix=ZEROIR
// ZEROIR: mxc.attention {{.*}} quantized <bits = 2, clip = -4.500000e+00, zero_floor = true>
// RUN: mxc-run %t/example/model.bin --recipe softmax-bits=2,softmax-clip=analytic,softmax-floor=zero --calibrate %s --emit-mlir | FileCheck %s --check-prefix=ZEROCAL
// ZEROCAL: mxc.attention {{.*}} quantized <bits = 2, clip = -{{[0-9.e+-]+}}, zero_floor = true> {stats = #mxc.softmax_stats
// The -sm2 presets take the zero floor at -4.5; the flags give back EXAQ's
// clamp at -8.
// RUN: mxc-run %t/example/model.bin --recipe w4a8-smooth-gptq-sm2 --calibrate %s --emit-mlir | FileCheck %s --check-prefix=ZEROPRESET
// ZEROPRESET: mxc.attention {{.*}} quantized <bits = 2, clip = -4.500000e+00, zero_floor = true>
// RUN: mxc-run %t/example/model.bin --recipe w4a8-smooth-gptq-sm2 --softmax-floor clamp --softmax-clip -8 --calibrate %s --emit-mlir | FileCheck %s --check-prefix=CLAMPPRESET
// CLAMPPRESET: mxc.attention {{.*}} quantized <bits = 2, clip = -8.000000e+00>
// softmax-table=fit: each layer's table fitted to its calibration samples.
// RUN: mxc-run %t/example/model.bin --recipe w4a8-smooth-gptq-sm2,softmax-table=fit --calibrate %s --emit-mlir | FileCheck %s --check-prefix=FITTABLE
// FITTABLE: mxc.attention {{.*}} quantized <bits = 2, clip = -4.500000e+00, zero_floor = true, table = [0.000000e+00, {{[0-9.e+-]+}}, {{[0-9.e+-]+}}, 1.000000e+00]>
// RUN: mxc-run %t/example/model.bin --softmax-bits 2 --softmax-clip -4.5 --perplexity %s --kl | grep "mean KL" > %t/clamp-kl.txt
// RUN: mxc-run %t/example/model.bin --softmax-bits 2 --softmax-clip -4.5 --softmax-floor zero --perplexity %s --kl | grep "mean KL" > %t/zero-kl.txt
// RUN: not diff %t/clamp-kl.txt %t/zero-kl.txt
// RUN: not mxc-run %t/example/model.bin --softmax-floor zero 2>&1 | FileCheck %s --check-prefix=ZERONOBITS
// ZERONOBITS: mxc-run: recipe: softmax-floor=zero without a quantized softmax (softmax-bits=...) does nothing
// RUN: not mxc-run %t/example/model.bin --softmax-bits 9 2>&1 | FileCheck %s --check-prefix=EXAQBITS
// EXAQBITS: mxc-run: recipe: softmax-bits must be 0 (exact) to 8, not 9
// RUN: not mxc-run %t/example/model.bin --softmax-bits 2 --softmax-clip 1 2>&1 | FileCheck %s --check-prefix=EXAQCLIP
// EXAQCLIP: mxc-run: recipe: softmax-clip must be a negative number, analytic, samples or pooled, not '1'
// RUN: not mxc-run %t/example/model.bin --softmax-bits 2 --softmax-clip samples 2>&1 | FileCheck %s --check-prefix=EXAQNOCAL
// EXAQNOCAL: mxc-run: the recipe '{{.*}}softmax-clip=samples{{.*}}' needs calibration statistics (GPTQ, SmoothQuant or a softmax clip chosen from statistics): give a calibration text

// --help lists mxc-run's own options, not LLVM's hundreds.
// RUN: mxc-run --help | FileCheck %s --check-prefix=HELP
// HELP: mxc-run options:
// HELP-NOT: amdgpu
// HELP: --softmax-bits
// HELP-NOT: amdgpu
// RUN: mxc-example-model --help | FileCheck %s --check-prefix=HELPEX
// HELPEX: mxc-example-model options:
// HELPEX-NOT: amdgpu
