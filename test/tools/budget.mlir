// --budget=BITS: per-layer weight formats under a size budget, chosen by
// the KL of each layer alone, greedily by KL saved per bit. On the example
// model: the table, the greedy path with each state measured (with
// --report-json), the plot, the chosen recipe compiled; and the errors.

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null
// RUN: mxc-compile %t/example/model.bin --recipe w4 --budget 5 --calibrate %s --report-json %t/r.json -o %t/b.mxc | FileCheck %s
// CHECK: ## Formats under a budget of 5.00 bits per weight
// CHECK: | layer | params | mxfp4 | mxfp6_e2m3 | mxfp8_e4m3 | none | chosen |
// CHECK: | layers.0. | {{[0-9]+}} | [[KL:[0-9.]+]] |
// CHECK: | classifier |
// CHECK: | 4.250 | {{[0-9.]+}} | {{[0-9.]+}} | weights=mxfp4,
// CHECK: chosen recipe: weights=mxfp4,{{.*}},keep=
// RUN: FileCheck %s --check-prefix=SVG < %t/r.budget.svg
// SVG: <svg
// SVG: <polyline
// The chosen recipe is what was compiled.
// RUN: %python -c "import json, sys; r = json.load(open(sys.argv[1])); print(r['recipe'])" %t/r.json | FileCheck %s --check-prefix=RECIPE
// RECIPE: weights=mxfp4,{{.*}},keep=
// RUN: mxc-run %t/b.mxc --perplexity %s | FileCheck %s --check-prefix=PPL
// PPL: perplexity

// RUN: not mxc-compile %t/example/model.bin --recipe w4 --budget 4 --calibrate %s -o %t/x.mxc 2>&1 | FileCheck %s --check-prefix=LOW
// LOW: mxc-compile: --budget 4: the cheapest format, mxfp4, takes 4.25 bits per weight already
// RUN: not mxc-compile %t/example/model.bin --recipe w4 --budget 5 -o %t/x.mxc 2>&1 | FileCheck %s --check-prefix=NOTEXT
// NOTEXT: mxc-compile: --budget measures each layer's KL on the calibration text: add --calibrate FILE
// RUN: not mxc-compile %t/example/model.bin --budget 5 --calibrate %s -o %t/x.mxc 2>&1 | FileCheck %s --check-prefix=FLOAT
// FLOAT: give a recipe with quantized weights

Once upon a time there was a little dog. He liked to run in the park.
One day he saw a big red ball and he ran to it. "Can I play?" he asked.
