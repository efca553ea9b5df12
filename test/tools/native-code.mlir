// mxc-compile stores native code in a CPU artifact (an object file for this
// architecture and a portable CPU); mxc-run links it instead of JIT-compiling
// the model, and runs it to the same text as the JIT. --native=false leaves
// it out.

// RUN: rm -rf %t && mkdir -p %t && mxc-example-model %t/example > /dev/null
// RUN: mxc-compile %t/example/model.bin --recipe w4 --mlir-timing -o %t/native.mxc 2>&1 | FileCheck %s --check-prefix=COMPILE
// COMPILE: write the output
// COMPILE-NEXT: compile native code
// RUN: mxc-compile %t/example/model.bin --recipe w4 --native=false --mlir-timing -o %t/jit.mxc 2>&1 | FileCheck %s --check-prefix=NOCOMPILE
// NOCOMPILE: write the output
// NOCOMPILE-NOT: native code

// The object and its triple are module attributes of the artifact.
// RUN: mxc-opt %t/native.mxc | FileCheck %s --check-prefix=ATTRS
// ATTRS: module attributes {{{.*}}mxc.native_object = dense_resource<mxc_native_object> : tensor<{{[0-9]+}}xi8>, mxc.native_triple = "{{.+}}"
// RUN: mxc-opt %t/jit.mxc | FileCheck %s --check-prefix=NOATTRS
// NOATTRS-NOT: mxc.native

// RUN: mxc-run %t/native.mxc --prompt "Hi!" --steps 12 > %t/native.txt 2> %t/native.err
// RUN: FileCheck %s --check-prefix=LINK < %t/native.err
// LINK: model ready after {{[0-9.]+}} s (native code)
// RUN: mxc-run %t/jit.mxc --prompt "Hi!" --steps 12 > %t/jit.txt 2> %t/jit.err
// RUN: FileCheck %s --check-prefix=JIT < %t/jit.err
// JIT: model ready after {{[0-9.]+}} s (JIT)
// RUN: diff %t/native.txt %t/jit.txt

// --json names the kernels' variant; MXC_CPU_KERNELS picks another one this
// CPU runs (generic always), and says so when it cannot.
// RUN: env MXC_CPU_KERNELS=generic mxc-run %t/native.mxc --prompt "Hi!" --steps 4 --json 2>&1 >/dev/null | FileCheck %s --check-prefix=GENERIC
// GENERIC: "code":"native code","cpu_kernels":"generic"
// RUN: env MXC_CPU_KERNELS=sse9 mxc-run %t/native.mxc --prompt "Hi!" --steps 4 --json 2>&1 >/dev/null | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: mxc: MXC_CPU_KERNELS=sse9 is not a kernel variant this CPU runs (avx512, avx2, generic); using the best one
// UNKNOWN: "cpu_kernels":"{{avx512|avx2|generic}}"
