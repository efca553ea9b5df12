// Global tuning (tune=): the quantized model distilled toward the float
// model on the calibration windows. On the example model: the KL from the
// float model falls (the report's tuning section, and the compiled tuned
// model measured on the same text against plain RTN), the plot is written
// next to the JSON report, the tuned model runs, and what tuning needs is
// asked for by name.

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null
// RUN: mxc-compile %t/example/model.bin --recipe w4 --calibrate %s --eval %s --report-json %t/rtn.json -o %t/rtn.mxc
// RUN: mxc-compile %t/example/model.bin --recipe w4,tune=12,tune-lr=0.003 --calibrate %s --eval %s --report --report-json %t/tuned.json -o %t/tuned.mxc | FileCheck %s --check-prefix=REPORT
// REPORT: recipe: weights=mxfp4,method=rtn,{{.*}},tune=12,tune-lr=0.003
// REPORT: ## Global tuning (12 steps of the weights, norm and input gains, {{[0-9.]+}} s)
// REPORT: KL from the float model on the calibration windows: [[START:[0-9.]+]] -> {{[0-9.]+}} nats/token (step {{[0-9]+}} kept)
// REPORT: | layers.0.wq | {{[0-9.E+-]+}} | {{[0-9.E+-]+}} |

// The tuned model's KL on the text is below RTN's, and tuning's own
// measure fell.
// RUN: %python -c "import json, sys; r, t = (json.load(open(p)) for p in sys.argv[1:]); k = t['tuning']; assert k['final_kl'] < k['start_kl'], k; assert t['global']['compiled']['mean_kl'] < r['global']['compiled']['mean_kl'], (t['global'], r['global']); print('OK')" %t/rtn.json %t/tuned.json | FileCheck %s --check-prefix=FELL
// FELL: OK
// RUN: FileCheck %s --check-prefix=SVG < %t/tuned.tuning.svg
// SVG: <svg xmlns="http://www.w3.org/2000/svg"
// SVG: <polyline
// RUN: mxc-run %t/tuned.mxc --perplexity %s | FileCheck %s --check-prefix=PPL
// PPL: perplexity {{[0-9.]+}} over

// tune-batch=: windows per step. The evaluations come after every pass
// over the text's windows, every ceil(windows / batch) steps, and after the
// last step.
// RUN: mxc-compile %t/example/model.bin --recipe w4,tune=12,tune-batch=4 --calibrate %s --report-json %t/batch4.json -o %t/x.mxc
// RUN: %python -c "import json, sys; ts = [json.load(open(p)) for p in sys.argv[1:]]; [print(t['recipe'].split(',')[-1], t['tuning']['windows'], [e['step'] for e in t['tuning']['evaluations']] == sorted(set(range(0, 13, -(-t['tuning']['windows'] // b))) | {12})) for t, b in zip(ts, (2, 4))]" %t/tuned.json %t/batch4.json | FileCheck %s --check-prefix=BATCH
// BATCH: tune-damping=0.001 [[WINDOWS:[0-9]+]] True
// BATCH-NEXT: tune-batch=4 [[WINDOWS]] True

// Tuning the gains (tune-what=norms, and both, the default) also tunes
// factors on the inputs of wo and w2, which no norm produces; the compiled
// model applies them: its KL on the tuning text is the tuner's (without the
// factors it is 10-20 % off). The weights alone add none.
// RUN: mxc-compile %t/example/model.bin --recipe w4,tune=12,tune-lr=0.03,tune-what=norms --calibrate %s --eval %s --report-json %t/gains.json -o %t/x.mxc
// RUN: %python -c "import json, sys; t = json.load(open(sys.argv[1])); k, c = t['tuning']['final_kl'], t['global']['compiled']['mean_kl']; assert k < t['tuning']['start_kl'] and abs(c - k) < 0.01 * k, (k, c); print('OK')" %t/gains.json | FileCheck %s --check-prefix=FELL
// A zero floor (softmax-floor=zero) reaches the tuner's EXAQ softmax: with
// tune-softmax=quantized the compiled model's KL on the tuning text is the
// tuner's.
// RUN: mxc-compile %t/example/model.bin --recipe w4,softmax-bits=2,softmax-clip=-3,softmax-floor=zero,tune=4,tune-softmax=quantized --calibrate %s --eval %s --report-json %t/zero.json -o %t/x.mxc
// RUN: %python -c "import json, sys; t = json.load(open(sys.argv[1])); k, c = t['tuning']['final_kl'], t['global']['compiled']['mean_kl']; assert abs(c - k) < 0.01 * k, (k, c); print('OK')" %t/zero.json | FileCheck %s --check-prefix=FELL
// So do the layers' fitted tables (softmax-table=fit).
// RUN: mxc-compile %t/example/model.bin --recipe w4,softmax-bits=2,softmax-clip=-3,softmax-floor=zero,softmax-table=fit,tune=4,tune-softmax=quantized --calibrate %s --eval %s --report-json %t/fit.json -o %t/x.mxc
// RUN: %python -c "import json, sys; t = json.load(open(sys.argv[1])); k, c = t['tuning']['final_kl'], t['global']['compiled']['mean_kl']; assert abs(c - k) < 0.01 * k, (k, c); print('OK')" %t/fit.json | FileCheck %s --check-prefix=FELL
// The report's local errors count the factors as part of wo and w2: tuning
// the gains alone leaves every other matmul's error where it started.
// RUN: %python -c "import json, sys; ms = json.load(open(sys.argv[1]))['tuning']['matmuls']; moved = sorted({m['name'].split('.')[-1] for m in ms if m['weight_sqnr_db_after'] != m['weight_sqnr_db_before']}); print(moved)" %t/gains.json | FileCheck %s --check-prefix=LOCAL
// LOCAL: ['w2', 'wo']
// RUN: mxc-compile %t/example/model.bin --recipe w4,tune=2,tune-what=norms --calibrate %s --emit=mxc --quiet | FileCheck %s --check-prefix=GAINS
// GAINS-DAG: dense_resource<layers.0.wo_input_scale>
// GAINS-DAG: dense_resource<layers.1.w2_input_scale>
// RUN: mxc-compile %t/example/model.bin --recipe w4,tune=2,tune-what=weights --calibrate %s --emit=mxc --quiet | FileCheck %s --check-prefix=WEIGHTS
// WEIGHTS-NOT: input_scale

// With a 2-bit EXAQ softmax the tuner's forward takes the exact softmax
// (tune-softmax=exact, the default), the EXAQ one (quantized), or the exact
// one for the first half of the steps (exact-then-quantized): quantized
// starts further from the float model, and exact-then-quantized, whose
// evaluations take the EXAQ softmax, from the same point. A clip chosen
// from statistics tunes with the exact softmax; with the others it is
// refused.
// RUN: mxc-compile %t/example/model.bin --recipe w4,softmax-bits=2,tune=2 --calibrate %s --report-json %t/sm-exact.json -o %t/x.mxc
// RUN: mxc-compile %t/example/model.bin --recipe w4,softmax-bits=2,tune=2,tune-softmax=quantized --calibrate %s --report-json %t/sm-quantized.json -o %t/x.mxc
// RUN: mxc-compile %t/example/model.bin --recipe w4,softmax-bits=2,tune=2,tune-softmax=exact-then-quantized --calibrate %s --report-json %t/sm-switch.json -o %t/x.mxc
// RUN: %python -c "import json, sys; e, q, s = (json.load(open(p))['tuning']['start_kl'] for p in sys.argv[1:]); assert e < q == s, (e, q, s); print('OK')" %t/sm-exact.json %t/sm-quantized.json %t/sm-switch.json | FileCheck %s --check-prefix=FELL
// RUN: mxc-compile %t/example/model.bin --recipe w4,softmax-bits=2,softmax-clip=pooled,tune=2 --calibrate %s --report -o %t/x.mxc | FileCheck %s --check-prefix=POOLED
// POOLED: recipe: {{.*}}softmax-bits=2,softmax-clip=pooled,{{.*}}tune=2,tune-lr=0.001,tune-damping=0.001,tune-softmax=exact
// RUN: not mxc-compile %t/example/model.bin --recipe w4,softmax-bits=2,softmax-clip=pooled,tune=2,tune-softmax=quantized --calibrate %s -o %t/x.mxc 2>&1 | FileCheck %s --check-prefix=POOLEDQ
// POOLEDQ: tune-softmax=quantized cannot be combined with a softmax clip chosen from statistics yet

// RUN: not mxc-compile %t/example/model.bin --recipe w4,tune=4 -o %t/x.mxc 2>&1 | FileCheck %s --check-prefix=NOTEXT
// NOTEXT: needs calibration statistics
// RUN: mxc-compile %t/example/model.bin --recipe w4 --calibrate %s --save-calibration %t/stats.mxcal -o %t/x.mxc
// RUN: not mxc-compile %t/example/model.bin --recipe w4,tune=4 --calibration %t/stats.mxcal -o %t/x.mxc 2>&1 | FileCheck %s --check-prefix=MXCAL
// MXCAL: recipe: tune needs the calibration text itself (--calibrate FILE); statistics from an .mxcal file carry no text to tune on

Once upon a time there was a little dog. He liked to run in the park.
One day he saw a big red ball and he ran to it. "Can I play?" he asked.
The girl smiled and said yes. They played all day in the sun and were happy.
