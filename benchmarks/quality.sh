#!/usr/bin/env bash
# Prints the quality table of the shared stories260K model: perplexity and
# mean KL from the float model on the dev text, per quantization recipe, all
# measured by mxc-run (compiled and run on the CPU).
#   bash benchmarks/quality.sh [build-dir] [max-windows]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
windows=${2:-0}
source benchmarks/model-common.sh

echo "| weights | method | SmoothQuant | activations | perplexity | mean KL (nats/token) |"
echo "|---------|--------|-------------|-------------|------------|----------------------|"
run() { # weights method smooth activations
  measure --weights "$1" --method "$2" --smooth "$3" --activations "$4" \
    --calibrate "$calib"
  local s="no"; [ "$3" != "0" ] && s="α=$3"
  echo "| $1 | $2 | $s | $4 | $ppl | $kl |"
}
run none rtn 0 none
for fmt in mxfp8_e4m3 mxint8 mxfp6_e2m3 mxfp6_e3m2 mxfp4; do
  run $fmt rtn 0 none
  run $fmt gptq 0 none
done
run mxfp4 rtn 0.5 none
run mxfp4 gptq 0.5 none
run mxfp4 gptq 0.5 mxfp8_e4m3
run mxfp4 gptq 0.5 mxint8
run mxfp6_e2m3 gptq 0.5 mxfp8_e4m3
