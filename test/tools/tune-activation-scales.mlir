// activation-scales=ceil: MXFP8 activation blocks whose maximum the spec's
// shared exponent clips take one more exponent, in the compiled model (CPU
// and GPU paths) and in the tuner's forward alike. On the example model
// with MXINT8 weights (so that the activations dominate the error): the
// compiled KL with the ceil rule is well below the spec's, the tuner's
// start KL is the compiled model's (to the float rounding of the two
// forward passes) and so is its final one. A tuner that kept the spec's
// rule would start at the spec's KL. Not under the sanitizers: the tuner's
// code runs in tune.mlir and the unit tests.
// UNSUPPORTED: sanitized

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null
// RUN: mxc-run %t/example/model.bin --recipe weights=mxint8,activations=mxfp8_e4m3 --perplexity %s --kl > %t/spec.txt
// RUN: mxc-run %t/example/model.bin --recipe weights=mxint8,activations=mxfp8_e4m3,activation-scales=ceil --perplexity %s --kl > %t/ceil.txt
// RUN: mxc-run %t/example/model.bin --recipe weights=mxint8,activations=mxfp8_e4m3,activation-scales=ceil,tune=4 --calibrate %s --perplexity %s --kl > %t/tuned.txt 2>&1
// RUN: %python -c "import re, sys; kl = lambda t: float(re.search(r'^mean KL from the float model ([0-9.]+)', t, re.M).group(1)); spec, ceil, tuned = (open(p).read() for p in sys.argv[1:]); s, f = map(float, re.search(r'KL from the float model ([0-9.]+) -> ([0-9.]+) on the calibration windows', tuned).groups()); c = kl(ceil); assert c < 0.9 * kl(spec), (c, kl(spec)); assert abs(s - c) <= 0.01 * c, (s, c); assert abs(kl(tuned) - f) <= 0.02 * f, (kl(tuned), f); print('OK')" %t/spec.txt %t/ceil.txt %t/tuned.txt | FileCheck %s
// CHECK: OK

// The GPU path's kernels (run as CPU loops) follow it too: the same KL as
// the CPU path's, not the spec's.
// RUN: mxc-compile %t/example/model.bin --recipe weights=mxint8,activations=mxfp8_e4m3,activation-scales=ceil --target=cuda-on-cpu -o %t/gpu.mxc
// RUN: mxc-run %t/gpu.mxc --perplexity %s --kl-reference %t/example/model.bin > %t/gpu.txt
// RUN: %python -c "import re, sys; kl = lambda p: float(re.search(r'^mean KL from the float model ([0-9.]+)', open(p).read(), re.M).group(1)); g, c = kl(sys.argv[1]), kl(sys.argv[2]); assert abs(g - c) <= 0.01 * c, (g, c); print('OK')" %t/gpu.txt %t/ceil.txt | FileCheck %s

// Every activation quantize of the compiled model carries the rule.
// RUN: mxc-compile %t/example/model.bin --recipe w4a8,activation-scales=ceil --emit=mxc | FileCheck %s --check-prefix=IR
// IR-NOT: mxc.quantize %{{[0-9]+}} :
// IR: mxc.quantize %{{[0-9]+}} scale ceil : tensor<?x64xf32> -> !mxc.mx<?x64xf8E4M3FN>
// IR-NOT: mxc.quantize %{{[0-9]+}} :

Once upon a time there was a little dog. He liked to run in the park.
One day he saw a big red ball and he ran to it. "Can I play?" he asked.
The girl smiled and said yes. They played all day in the sun and were happy.
