// Every tool's --version names the tool, mxc's version and commit, then the
// LLVM it is built on.
// RUN: mxc-compile --version | FileCheck %s -DTOOL=compile
// RUN: mxc-run --version | FileCheck %s -DTOOL=run
// RUN: mxc-opt --version | FileCheck %s -DTOOL=opt
// RUN: mxc-kernels --version | FileCheck %s -DTOOL=kernels
// RUN: mxc-example-model --version | FileCheck %s -DTOOL=example-model
// CHECK: mxc-[[TOOL]] (mxc {{[0-9]+\.[0-9]+\.[0-9]+}}, git {{([0-9a-f]{12}(-modified)?|unknown)}})
// CHECK-NEXT: built on LLVM/MLIR 22.

// mxc-gpu-runner (plain C++) too, and --help is a success.
// RUN: %if ptxas %{ mxc-gpu-runner --version | FileCheck %s --check-prefix=RUNNER %}
// RUNNER: mxc-gpu-runner (mxc {{[0-9]+\.[0-9]+\.[0-9]+}}, git
// RUN: %if ptxas %{ mxc-gpu-runner --help | FileCheck %s --check-prefix=HELP %}
// HELP: usage: mxc-gpu-runner test|bench|probe|model
