// mxc-compile --calibrate calibrates and quantizes one layer at a time: each
// layer is calibrated on the float model's activations, smoothed and
// quantized, and its statistics freed before the next (RTN recipes are
// quantized one layer at a time too). The compiled model
// equals the one from calibrating the whole model first (--layerwise=false):
// the same logits, bit for bit, for GPTQ with SmoothQuant, a kept matmul, a
// matmul in its own format, and softmax clips chosen from the statistics.

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null
// RUN: mxc-compile %t/example/model.bin --recipe "w4a8-smooth-gptq,keep=layers.1.w2;layers.0.wq:mxfp6_e2m3,softmax-bits=2,softmax-clip=samples" --calibrate %mxc_src_root/examples/story.txt --calibration-windows 3 -o %t/layers.mxc --mlir-timing 2> %t/layers.timing
// RUN: mxc-compile %t/example/model.bin --recipe "w4a8-smooth-gptq,keep=layers.1.w2;layers.0.wq:mxfp6_e2m3,softmax-bits=2,softmax-clip=samples" --calibrate %mxc_src_root/examples/story.txt --calibration-windows 3 -o %t/whole.mxc --layerwise=false --mlir-timing 2> %t/whole.timing
// RUN: mxc-run %t/layers.mxc --prompt "Once upon a time" --save-logits %t/layers.logits
// RUN: mxc-run %t/whole.mxc --prompt "Once upon a time" --save-logits %t/whole.logits
// RUN: cmp %t/layers.logits %t/whole.logits
// RUN: FileCheck %s --check-prefix=LAYERS < %t/layers.timing
// RUN: FileCheck %s --check-prefix=WHOLE < %t/whole.timing
// LAYERS: calibrate, one layer at a time
// LAYERS: quantizing
// LAYERS-NEXT: SmoothQuant
// LAYERS-NEXT: weight passes
// WHOLE: calibrate (with the float model's JIT compile)

// GPTQ alone, and the kept matmul stays float in both.
// RUN: mxc-compile %t/example/model.bin --recipe "w4-gptq,keep=classifier" --calibrate %mxc_src_root/examples/story.txt --calibration-windows 2 -o %t/gptq-layers.mxc
// RUN: mxc-compile %t/example/model.bin --recipe "w4-gptq,keep=classifier" --calibrate %mxc_src_root/examples/story.txt --calibration-windows 2 -o %t/gptq-whole.mxc --layerwise=false
// RUN: mxc-run %t/gptq-layers.mxc --prompt "Once upon a time" --save-logits %t/gptq-layers.logits
// RUN: mxc-run %t/gptq-whole.mxc --prompt "Once upon a time" --save-logits %t/gptq-whole.logits
// RUN: cmp %t/gptq-layers.logits %t/gptq-whole.logits

// A bf16 HuggingFace checkpoint: its layers' weights are converted to float
// one layer at a time too (the rows of q and k unpermuted then).
// RUN: mxc-example-model %t/hf --format hf-bf16 > /dev/null
// RUN: mxc-compile %t/hf --recipe w4a8-smooth-gptq --calibrate %mxc_src_root/examples/story.txt --calibration-windows 3 -o %t/hf-layers.mxc
// RUN: mxc-compile %t/hf --recipe w4a8-smooth-gptq --calibrate %mxc_src_root/examples/story.txt --calibration-windows 3 -o %t/hf-whole.mxc --layerwise=false
// RUN: mxc-run %t/hf-layers.mxc --prompt "Once upon a time" --save-logits %t/hf-layers.logits
// RUN: mxc-run %t/hf-whole.mxc --prompt "Once upon a time" --save-logits %t/hf-whole.logits
// RUN: cmp %t/hf-layers.logits %t/hf-whole.logits

// RTN needs no statistics: only the weight passes run one layer at a time.
// RUN: mxc-compile %t/hf --recipe w4 -o %t/rtn-layers.mxc --mlir-timing 2> %t/rtn.timing
// RUN: mxc-compile %t/hf --recipe w4 -o %t/rtn-whole.mxc --layerwise=false
// RUN: mxc-run %t/rtn-layers.mxc --prompt "Once upon a time" --save-logits %t/rtn-layers.logits
// RUN: mxc-run %t/rtn-whole.mxc --prompt "Once upon a time" --save-logits %t/rtn-whole.logits
// RUN: cmp %t/rtn-layers.logits %t/rtn-whole.logits
// RUN: FileCheck %s --check-prefix=RTN < %t/rtn.timing
// RTN-NOT: calibrate
// RTN: quantizing
// RTN-NEXT: weight passes

// The mxc IR after the passes: every layer's weights in MX, the statistics
// gone with their layer, the kept classifier in float.
// RUN: mxc-compile %t/example/model.bin --recipe "w4-gptq,keep=classifier" --calibrate %mxc_src_root/examples/story.txt --calibration-windows 2 --emit=mxc | FileCheck %s --check-prefix=IR
// IR-NOT: hessian
// IR: mxc.matmul {{.*}}!mxc.mx<
// IR-NOT: hessian
// IR: mxc.matmul {{.*}}: tensor<?x{{[0-9]+}}xf32>, tensor<{{[0-9]+}}x{{[0-9]+}}xf32>
// IR-NOT: hessian

// What needs the whole model's statistics calibrates it whole.
// RUN: mxc-compile %t/example/model.bin --recipe w4-gptq --calibrate %mxc_src_root/examples/story.txt --calibration-windows 2 --save-calibration %t/s.mxcal -o %t/saved.mxc --mlir-timing 2>&1 | FileCheck %s --check-prefix=WHOLE
