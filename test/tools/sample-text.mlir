// scripts/sample-text.sh: stories sampled from the float model, to tune on
// beside the calibration text (docs/tuning.md). Fixed seeds: the same text
// twice; each sample its own seed: different stories; a compiled float model
// gives what its checkpoint gives; untruncated sampling; prompts from a text
// file's lines.

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null
// RUN: MXC_BIN=%mxc_tools_dir MXC_SAMPLE_STEPS=40 bash %mxc_src_root/scripts/sample-text.sh %t/example/model.bin 3 %t/a.txt 2>&1 | FileCheck %s --check-prefix=LOG
// LOG: sample-text: 3 samples, {{[1-9][0-9]*}} bytes in {{.*}}a.txt
// RUN: MXC_BIN=%mxc_tools_dir MXC_SAMPLE_STEPS=40 bash %mxc_src_root/scripts/sample-text.sh %t/example/model.bin 3 %t/b.txt 2> /dev/null
// RUN: cmp %t/a.txt %t/b.txt
// RUN: mxc-compile %t/example/model.bin --recipe float --quiet -o %t/float.mxc
// RUN: MXC_BIN=%mxc_tools_dir MXC_SAMPLE_STEPS=40 bash %mxc_src_root/scripts/sample-text.sh %t/float.mxc 3 %t/c.txt 2> /dev/null
// RUN: cmp %t/a.txt %t/c.txt
// A sample is mxc-run's at temperature 1 from the whole distribution: no
// top-k, top-p or min-p (mxc-run's defaults would sharpen it).
// RUN: MXC_BIN=%mxc_tools_dir MXC_SAMPLE_STEPS=40 bash %mxc_src_root/scripts/sample-text.sh %t/float.mxc 1 %t/e.txt 2> /dev/null
// RUN: (mxc-run %t/float.mxc --prompt "Once upon a time" --steps 40 --temperature 1 --top-k 0 --top-p 1 --min-p 0 --seed 1 2> /dev/null; echo) > %t/whole.txt
// RUN: cmp %t/e.txt %t/whole.txt
// RUN: (mxc-run %t/float.mxc --prompt "Once upon a time" --steps 40 --temperature 1 --seed 1 2> /dev/null; echo) > %t/sharpened.txt
// RUN: not cmp -s %t/e.txt %t/sharpened.txt
// Three samples, each after the prompt, not all the same.
// RUN: grep -c '^Once upon a time' %t/a.txt | FileCheck %s --check-prefix=THREE
// THREE: 3
// RUN: grep '^Once upon a time' %t/a.txt | sort -u | wc -l | FileCheck %s --check-prefix=DIFFERENT
// DIFFERENT: {{[23]}}
// RUN: printf 'Lily and Tom went out\n\nThe dog ran\n' > %t/prompts.txt
// RUN: MXC_BIN=%mxc_tools_dir MXC_SAMPLE_STEPS=8 bash %mxc_src_root/scripts/sample-text.sh %t/float.mxc 3 %t/d.txt %t/prompts.txt 2> /dev/null
// RUN: FileCheck %s --check-prefix=PROMPTS < %t/d.txt
// PROMPTS: {{^}}Lily and Tom
// PROMPTS: {{^}}The dog ran
// PROMPTS: {{^}}Lily and Tom
// Without its arguments: the usage.
// RUN: not bash %mxc_src_root/scripts/sample-text.sh 2>&1 | FileCheck %s --check-prefix=USAGE
// USAGE: usage: bash scripts/sample-text.sh MODEL COUNT OUT [PROMPTS]
