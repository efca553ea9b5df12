// mxc-compile --cpu / --cpu-features: the CPU an artifact's native code is
// compiled for. The artifact records it; mxc-run links the code when this CPU
// has every instruction-set feature it needs, and otherwise compiles the
// model itself, with a warning that names what is missing. The results are
// the same either way. Unknown names are refused before any work.

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null

// The default, a portable CPU, and x86-64-v2 (SSE4.2, POPCNT: every x86-64
// machine CI runs on) run as native code with the same perplexity.
// RUN: mxc-compile %t/example/model.bin --recipe w4 --quiet -o %t/generic.mxc
// RUN: mxc-compile %t/example/model.bin --recipe w4 --cpu=x86-64-v2 --quiet -o %t/v2.mxc
// RUN: mxc-run %t/generic.mxc --prompt "Hi" --steps 2 --json 2>&1 > /dev/null | FileCheck %s --check-prefix=NATIVE
// RUN: mxc-run %t/v2.mxc --prompt "Hi" --steps 2 --json 2>&1 > /dev/null | FileCheck %s --check-prefix=NATIVE
// NATIVE: "code":"native code"
// RUN: mxc-run %t/generic.mxc --perplexity %s | sed 's/;.*//' > %t/generic.txt
// RUN: mxc-run %t/v2.mxc --perplexity %s | sed 's/;.*//' > %t/v2.txt
// RUN: diff %t/generic.txt %t/v2.txt

// The artifact records the CPU and features (resolved: "native" becomes
// this machine's name).
// RUN: mxc-compile %t/example/model.bin --recipe w4 --cpu=native --quiet -o %t/native.mxc
// RUN: mxc-opt %t/v2.mxc | FileCheck %s --check-prefix=RECORD
// RECORD: mxc.native_cpu = "x86-64-v2"
// RUN: mxc-opt %t/native.mxc | FileCheck %s --check-prefix=RESOLVED
// RESOLVED-NOT: mxc.native_cpu = "native"
// RESOLVED: mxc.native_cpu =

// Code for a feature this CPU lacks (TBM: only AMD's 2012-2015 Piledriver
// cores had it, neither Intel nor Zen) is not run; mxc-run compiles the
// model, says why, and gets the same result.
// RUN: mxc-compile %t/example/model.bin --recipe w4 --cpu-features=+tbm --quiet -o %t/tbm.mxc
// RUN: mxc-run %t/tbm.mxc --perplexity %s 2> %t/tbm.err | sed 's/;.*//' > %t/tbm.txt
// RUN: FileCheck %s --check-prefix=LACKS < %t/tbm.err
// RUN: mxc-run %t/tbm.mxc --prompt "Hi" --steps 2 --json 2>&1 > /dev/null | FileCheck %s --check-prefix=JIT
// JIT: "code":"JIT"
// LACKS: mxc: warning: the model's native code was compiled for CPU 'generic' with +tbm, which needs tbm that this CPU lacks; compiling the model for this CPU instead
// RUN: diff %t/generic.txt %t/tbm.txt

// Errors.
// RUN: not mxc-compile %t/example/model.bin --recipe w4 --cpu=pentium9 -o %t/x 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: mxc-compile: unknown CPU 'pentium9' for x86_64{{.*}}(an LLVM CPU name: generic, x86-64-v3, znver3, sapphirerapids, ..., or native)
// RUN: not mxc-compile %t/example/model.bin --recipe w4 --cpu-features=avx2 -o %t/x 2>&1 | FileCheck %s --check-prefix=SIGN
// SIGN: mxc-compile: unknown CPU feature 'avx2' (LLVM features with + or -: +avx2,+fma,-avx512f)
// RUN: not mxc-compile %t/example/model.bin --recipe w4 --cpu-features=+warp-drive -o %t/x 2>&1 | FileCheck %s --check-prefix=FEATURE
// FEATURE: unknown CPU feature '+warp-drive'
// RUN: not mxc-compile %t/example/model.bin --recipe w4 --cpu=znver3 --emit=mxc 2>&1 | FileCheck %s --check-prefix=STAGE
// STAGE: mxc-compile: --cpu and --cpu-features choose the native code of a CPU artifact
// RUN: test ! -e %t/x

Once upon a time there was a little dog. The dog liked to run in the park.
One day the dog saw a big red ball. It was happy and played all day long.
