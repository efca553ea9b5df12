// Global tuning with SmoothQuant (tune= with smooth=): the tuner starts from
// the smoothed weights (its forward applies the factors on the inputs of wo
// and w2 that no norm absorbs), and the compiled model is that model. On the
// example model and this text, which is also the calibration text: the
// tuner's start KL is the untuned recipe's compiled KL (its smoothing and
// GPTQ are the passes'), the compiled tuned model's KL is the tuner's own
// final KL (both to the float rounding of the two forward passes), below the
// untuned one. Smoothing twice, or losing a factor, would move them far off.
// Not under the sanitizers: two tuned runs cost minutes there, and the
// tuner's code runs in tune.mlir and the unit tests.
// UNSUPPORTED: sanitized

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null
// RUN: mxc-run %t/example/model.bin --recipe w4a8-smooth-gptq --calibrate %s --perplexity %s --kl > %t/smooth.txt
// RUN: mxc-run %t/example/model.bin --recipe w4a8-smooth-gptq,tune=12,tune-lr=0.003 --calibrate %s --perplexity %s --kl > %t/smooth-tuned.txt 2>&1
// RUN: %python -c "import re, sys; kl = lambda t: float(re.search(r'^mean KL from the float model ([0-9.]+)', t, re.M).group(1)); u, t = (open(p).read() for p in sys.argv[1:]); s, f = map(float, re.search(r'KL from the float model ([0-9.]+) -> ([0-9.]+) on the calibration windows', t).groups()); c = kl(t); u = kl(u); assert f < s, (s, f); assert abs(c - f) <= 0.02 * f, (c, f); assert abs(s - u) <= 0.01 * u, (s, u); assert c < u, (c, u); print('OK')" %t/smooth.txt %t/smooth-tuned.txt | FileCheck %s --check-prefix=SMOOTH
// SMOOTH: OK

Once upon a time there was a little dog. He liked to run in the park.
One day he saw a big red ball and he ran to it. "Can I play?" he asked.
The girl smiled and said yes. They played all day in the sun and were happy.
