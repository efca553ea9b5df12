// Calibration statistics saved once (--save-calibration) and reused
// (--calibration) give the same compiled model as calibrating again, and are
// refused for another model or when corrupt.

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null
// RUN: mxc-example-model %t/other --seed 9 > /dev/null
// RUN: mxc-compile %t/example/model.bin --recipe w4a8-smooth-gptq --calibrate %mxc_src_root/examples/story.txt --calibration-windows 2 --save-calibration %t/stats.mxcal -o %t/calibrated.mxc
// RUN: mxc-compile %t/example/model.bin --recipe w4a8-smooth-gptq --calibration %t/stats.mxcal -o %t/reused.mxc
// The same logits, bit for bit.
// RUN: mxc-run %t/calibrated.mxc --prompt "Once upon a time" --save-logits %t/calibrated.logits
// RUN: mxc-run %t/reused.mxc --prompt "Once upon a time" --save-logits %t/reused.logits
// RUN: cmp %t/calibrated.logits %t/reused.logits
// ... and the statistics reached GPTQ (a recipe without them is refused).
// RUN: mxc-compile %t/example/model.bin --recipe w4a8-smooth-gptq --calibration %t/stats.mxcal --emit=mxc | FileCheck %s
// CHECK: mxc.matmul {{.*}}hessian = dense_resource

// RUN: not mxc-compile %t/other/model.bin --recipe w4-gptq --calibration %t/stats.mxcal -o %t/x.mxc 2>&1 | FileCheck %s --check-prefix=OTHER
// OTHER: mxc-compile: {{.*}}stats.mxcal: these statistics were gathered on another model or tokenizer than '{{.*}}other{{/|\\}}model.bin'; calibrate again (--calibrate)
// RUN: head -c 1000 %t/stats.mxcal > %t/cut.mxcal
// RUN: not mxc-compile %t/example/model.bin --recipe w4-gptq --calibration %t/cut.mxcal -o %t/x.mxc 2>&1 | FileCheck %s --check-prefix=CUT
// CUT: mxc-compile: {{.*}}cut.mxcal: truncated or corrupt calibration file
// RUN: not mxc-compile %t/example/model.bin --recipe w4-gptq --calibration %t/example/model.bin -o %t/x.mxc 2>&1 | FileCheck %s --check-prefix=MAGIC
// MAGIC: not an mxc calibration file (no MXCCALIB magic)
// RUN: not mxc-compile %t/example/model.bin --recipe w4-gptq --calibration %t/stats.mxcal --calibrate %s -o %t/x.mxc 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH: mxc-compile: give --calibrate FILE (calibrate now) or --calibration FILE.mxcal (reuse saved statistics), not both
// RUN: not mxc-compile %t/example/model.bin --save-calibration %t/y.mxcal -o %t/x.mxc 2>&1 | FileCheck %s --check-prefix=SAVE
// SAVE: mxc-compile: --save-calibration saves what --calibrate gathers: add --calibrate FILE
