// The EXAQ table tuned with the weights (softmax-table=tune) on the example
// model; this file is the calibration text.
// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null
// FELL: OK

// Tuned tables (softmax-table=tune) start at the fitted ones and move with
// the weights; the compiled model takes the tuned ones: its KL is the
// tuner's, and its tables are not the fitted ones.
// RUN: mxc-compile %t/example/model.bin --recipe w4,softmax-bits=2,softmax-clip=-3,softmax-floor=zero,softmax-table=tune,tune=4,tune-lr=0.003,tune-softmax=quantized --calibrate %s --eval %s --report-json %t/tunedtable.json -o %t/x.mxc
// RUN: %python -c "import json, sys; t = json.load(open(sys.argv[1])); k, c = t['tuning']['final_kl'], t['global']['compiled']['mean_kl']; assert k < t['tuning']['start_kl'] and abs(c - k) < 0.01 * k, (k, c); print('OK')" %t/tunedtable.json | FileCheck %s --check-prefix=FELL
// RUN: mxc-compile %t/example/model.bin --recipe w4,softmax-bits=2,softmax-clip=-3,softmax-floor=zero,softmax-table=tune,tune=4,tune-lr=0.003,tune-softmax=quantized --calibrate %s --emit=mxc --quiet -o %t/tunedtable.mlir
// RUN: mxc-compile %t/example/model.bin --recipe w4,softmax-bits=2,softmax-clip=-3,softmax-floor=zero,softmax-table=fit --calibrate %s --emit=mxc --quiet -o %t/fittable.mlir
// RUN: FileCheck %s --check-prefix=TUNEDTABLE < %t/tunedtable.mlir
// TUNEDTABLE: mxc.attention {{.*}} quantized <bits = 2, clip = -3.000000e+00, zero_floor = true, table = [0.000000e+00, {{[0-9.e+-]+}}, {{[0-9.e+-]+}}, 1.000000e+00]>
// RUN: %python -c "import re, sys; t, f = [re.findall(r'table = \[([^]]*)\]', open(p).read()) for p in sys.argv[1:]]; assert len(t) == len(f) > 0 and all(a != b for a, b in zip(t, f)), (t, f); print('OK')" %t/tunedtable.mlir %t/fittable.mlir | FileCheck %s --check-prefix=FELL
// The report's tables are the IR's: fitted, then tuned, per layer.
// RUN: %python -c "import json, re, sys; t = json.load(open(sys.argv[1]))['tuning']['softmax_tables']; ir = [[[float(v) for v in m.split(',')] for m in re.findall(r'table = \[([^]]*)\]', open(p).read())] for p in sys.argv[2:]]; close = lambda a, b: len(a) == len(b) and all(abs(x - y) <= 1e-6 * max(1.0, abs(y)) for x, y in zip(a, b)); assert [e['layer'] for e in t] == list(range(len(ir[0]))), t; assert all(close(e['tuned'], i) and close(e['fitted'], f) for e, i, f in zip(t, *ir)), (t, ir); print('OK')" %t/tunedtable.json %t/tunedtable.mlir %t/fittable.mlir | FileCheck %s --check-prefix=FELL
// RUN: mxc-compile %t/example/model.bin --recipe w4,softmax-bits=2,softmax-clip=-3,softmax-floor=zero,softmax-table=tune,tune=4,tune-lr=0.003,tune-softmax=quantized --calibrate %s --report --emit=mxc -o /dev/null | FileCheck %s --check-prefix=REPORT
// REPORT: EXAQ tables (softmax-table=tune), fitted -> tuned:
// REPORT: | 0 | 0.0000, {{[0-9.]+}}, {{[0-9.]+}}, 1.0000 | 0.0000, {{[0-9.]+}}, {{[0-9.]+}}, 1.0000 |
