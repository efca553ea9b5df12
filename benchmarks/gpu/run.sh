#!/usr/bin/env bash
# On the GPU machine, in the bundle that scripts/gpu-bundle.sh builds:
#   bash run.sh [RESULTS_DIR]       (default: results, next to this script)
# Each step runs under its own time limit (all of them together: under 10
# minutes) and writes RESULTS_DIR/STEP.txt; RESULTS_DIR/summary.txt lists
# every step's exit status and seconds. In order: the probe (no GPU: stop),
# the kernel tests, the SASS of the kernels (cuobjdump), the benchmark
# tables and the GEMVs' predicted instructions per block (counted at bundle
# time), the PyTorch peers, each model compiled for CUDA (checked against
# the CPU path's logits, then timed; the float model once more under
# compute-sanitizer), the same model in PyTorch (float32, eager), and an
# Nsight Compute pass over the MXFP4 GEMV (load efficiency, bank conflicts,
# DRAM throughput). A tool the machine lacks or refuses is noted, not fatal.
set -uo pipefail
cd "$(dirname "$0")"
out=${1:-results}
mkdir -p "$out"
: > "$out/summary.txt"
status=0

# step NAME SECONDS COMMAND...: runs COMMAND into $out/NAME.txt, prints its
# tail, and notes its exit status (124: out of time).
step() {
  local name=$1 seconds=$2 start=$SECONDS rc
  shift 2
  echo "== $name (limit ${seconds} s): $*"
  timeout -k 5 "$seconds" "$@" > "$out/$name.txt" 2>&1
  rc=$?
  tail -n 30 "$out/$name.txt"
  printf '%-40s exit %3d  %4d s\n' "$name" "$rc" $((SECONDS - start)) |
    tee -a "$out/summary.txt"
  return $rc
}

# A CUDA tool on the PATH or in the toolkit.
tool() {
  command -v "$1" 2> /dev/null && return
  local p
  for p in "${CUDA_HOME:-/usr/local/cuda}/bin/$1" /opt/nvidia/nsight-compute/*/"$1"; do
    [[ -x $p ]] && echo "$p" && return
  done
  return 1
}

step probe 30 ./mxc-gpu-runner probe || {
  echo "no usable GPU: stopping (see $out/probe.txt)"
  exit 1
}
step test 120 ./mxc-gpu-runner test || status=1

if cuobjdump=$(tool cuobjdump); then
  # The GEMV and decode attention kernels as the machine runs them.
  step sass 30 "$cuobjdump" --dump-sass kernels-sm90.cubin
  grep -c 'LDG.E.128' "$out/sass.txt" | sed 's/^/128-bit global loads in the SASS: /'
else
  echo "(no cuobjdump: SASS skipped)" | tee -a "$out/summary.txt"
fi

step bench 120 ./mxc-gpu-runner bench || status=1
# Beside the bench's GEMV table: what the PTX predicts per MX block.
step ptx-count 5 cat ptx-count.txt
step torch-baseline 60 python3 torch_baseline.py

for model in models/*.so; do
  [[ -e $model ]] || continue
  name=$(basename "${model%.so}")
  # The runner's options for this model, where gpu-bundle.sh wrote some
  # (MODEL.args: the prefill limit of a weight-only model).
  args=()
  [[ -f ${model%.so}.args ]] && read -r -a args < "${model%.so}.args"
  step "model-$name" 45 ./mxc-gpu-runner model "$model" "${model%.so}.ref" \
    ${args[@]+"${args[@]}"} || status=1
done
if sanitizer=$(tool compute-sanitizer) && [[ -e models/stories260K-float.so ]]; then
  # Every device access of a whole model's kernels, checked (memcheck).
  step memcheck-float 60 "$sanitizer" --tool memcheck --error-exitcode 3 \
    ./mxc-gpu-runner model models/stories260K-float.so \
    models/stories260K-float.ref
fi
if [[ -f models/stories260K.bin ]]; then
  step torch-model 45 python3 torch_model.py models/stories260K.bin \
    models/stories260K-float.ref
fi

if ncu=$(tool ncu); then
  # The MXFP4 decode GEMV of the benchmark (4096 x 4096 and 14336 x 4096),
  # with the clocks left alone.
  step ncu-gemv-mxfp4 90 "$ncu" --clock-control none \
    --kernel-name regex:'^mx_gemv_mxfp4_b1$' --launch-count 4 \
    --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,l1tex__t_requests_pipe_lsu_mem_global_op_ld.sum,l1tex__t_sectors_pipe_lsu_mem_global_op_ld.sum,l1tex__data_bank_conflicts_pipe_lsu_mem_shared.sum,smsp__inst_executed.sum,sm__warps_active.avg.pct_of_peak_sustained_active \
    ./mxc-gpu-runner bench
else
  echo "(no ncu: profile skipped)" | tee -a "$out/summary.txt"
fi

echo "== summary ($out/summary.txt)"
cat "$out/summary.txt"
exit $status
