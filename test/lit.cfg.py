# -*- Python -*- lit configuration for the mxc test suite.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "MXC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "lib"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.mxc_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
config.substitutions.append(("%mlir_lib_dir", config.mlir_lib_dir))
config.substitutions.append(("%mxc_src_root", config.mxc_src_root))
config.substitutions.append(("%mxc_tools_dir", config.mxc_tools_dir))
config.substitutions.append(("%python", config.python_executable))

llvm_config.add_tool_substitutions(
    [
        ToolSubst("mxc-opt", unresolved="fatal"),
        ToolSubst("mxc-testgen", unresolved="fatal"),
        ToolSubst("mlir-runner", unresolved="fatal"),
        ToolSubst("mxc-run", unresolved="fatal"),
        ToolSubst("mxc-compile", unresolved="fatal"),
        ToolSubst("mxc-kernels", unresolved="fatal"),
        ToolSubst("mxc-gpu-runner", unresolved="ignore"),
        ToolSubst("mxc-example-model", unresolved="fatal"),
    ],
    [config.mxc_tools_dir, config.llvm_tools_dir],
)

# A build with sanitizers (the `sanitize` preset): the tools report any
# error and stop. libMLIR.so and the JIT-compiled code are not instrumented:
# leaks, std container annotations and the allocators' poisoning (LLVM's
# inline BumpPtrAllocator code runs on both sides) are not checked. ASan
# installs no alternate signal stacks: where LLVM's signal handling finds
# ASan's too small for this CPU's signal frames, it installs its own, and
# ASan's thread exit then fails to unmap that one ("failed to deallocate
# ... error code: 22", seen on a Zen 3; llvm/llvm-project#194868).
if config.sanitizers:
    config.available_features.add("sanitized")
    config.environment["ASAN_OPTIONS"] = (
        "detect_leaks=0:detect_container_overflow=0:allow_user_poisoning=0:"
        "use_sigaltstack=0")
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"

# Runs the @main of a module lowered by mxc-lower-to-llvm on the CPU.
runner_libs = ",".join(
    os.path.join(config.mlir_lib_dir, lib)
    for lib in ["libmlir_c_runner_utils.so", "libmlir_runner_utils.so"]
)
config.substitutions.append(
    (
        "%run-cpu",
        "mlir-runner -e main -entry-point-result=void -shared-libs=" + runner_libs,
    )
)

# The same, with mxc's CPU kernels (mxc-lower-to-llvm{matmul-kernels}). Not
# in the sanitized build: the instrumented library cannot load into the
# uninstrumented mlir-runner (the kernels' unit tests run there instead).
config.substitutions.append(
    (
        "%run-kernels",
        "mlir-runner -e main -entry-point-result=void -shared-libs="
        + runner_libs + ","
        + os.path.join(config.mxc_obj_root, "lib", "libmxc_cpu_kernels.so"),
    )
)

# The shared model and data (../shared next to the checkout), when present.
shared = os.path.normpath(os.path.join(config.mxc_src_root, "..", "shared"))
config.substitutions.append(("%shared", shared))
if os.path.isdir(os.path.join(shared, "models", "stories260K")):
    config.available_features.add("shared-models")

# llama.cpp as a peer: node-llama-cpp's prebuilt CPU backend, installed in
# peer/ by .ci/install-deps (npm ci --prefix peer). Not in the sanitized
# build: node is not instrumented, and the plain build runs those checks.
node = shutil.which("node")
peer = os.path.join(config.mxc_src_root, "peer")
if (node and "sanitized" not in config.available_features and
        os.path.isdir(os.path.join(peer, "node_modules", "node-llama-cpp"))):
    config.available_features.add("llama-cpp")
    config.substitutions.append(
        ("%llama_logits", node + " " + os.path.join(peer, "llama-logits.mjs")))
    config.substitutions.append(
        ("%llama_tokenize",
         node + " " + os.path.join(peer, "llama-tokenize.mjs")))

# The CUDA toolkit's ptxas (cubins are assembled on machines without a GPU).
cuda_root = os.environ.get("MXC_CUDA_TOOLKIT", "/usr/local/cuda")
ptxas = os.path.join(cuda_root, "bin", "ptxas")
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
config.substitutions.append(("%cuda_toolkit", cuda_root))
# gpu-module-to-binary needs the toolkit's libdevice even for PTX.
if os.path.isdir(os.path.join(cuda_root, "nvvm", "libdevice")):
    config.available_features.add("cuda-toolkit")

# A CUDA driver with a device: GPU execution tests run only there.
def has_cuda_gpu():
    try:
        import ctypes
        cuda = ctypes.CDLL("libcuda.so.1")
        count = ctypes.c_int(0)
        return (cuda.cuInit(0) == 0 and
                cuda.cuDeviceGetCount(ctypes.byref(count)) == 0 and
                count.value > 0)
    except OSError:
        return False

if has_cuda_gpu():
    config.available_features.add("cuda-gpu")

# mxc's CUDA runtime (dlopen of libcuda; it links everywhere).
config.substitutions.append(
    ("%mxc_cuda_runtime",
     os.path.join(config.mxc_obj_root, "lib", "libmxc_cuda_runtime.so")))

# A CPU stand-in for libcuda.so.1 (test/lib/FakeCuda).
config.substitutions.append(
    ("%fake_cuda_dir", os.path.join(config.mxc_obj_root, "test", "fake-cuda")))
