#!/usr/bin/env bash
# The quality report's predicted perplexity increase (the PTQ scaling-law
# fit from RTN weight SQNR: KL = 19.13 NSR^1.02, increase = exp(KL) - 1)
# against the measured one, for every preset on the shared stories260K
# model: calibrated on all of tinystories_calib.txt, measured by mxc-run on
# tinystories_dev.txt.
#   bash benchmarks/prediction.sh [build-dir] [max-windows]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
windows=${2:-0}
source benchmarks/model-common.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/bin/mxc-compile" "$model" --recipe w4 --calibrate "$calib" \
  --save-calibration "$tmp/stats.mxcal" -o "$tmp/x.mxc" 2>/dev/null

float_ppl=4.5845
echo "| preset | predicted increase | measured increase | error (points) | measured KL |"
echo "|--------|--------------------|-------------------|----------------|-------------|"
for preset in w8 wint8 w6 w6-gptq w6a8-smooth-gptq w6a8-smooth-gptq-sm2 \
              w4 w4-gptq w4-smooth-gptq w4a8 w4a8-smooth-gptq \
              w4a8-smooth-gptq-sm2; do
  "$build/bin/mxc-compile" "$model" --recipe "$preset" \
    --calibration "$tmp/stats.mxcal" --report-json "$tmp/r.json" \
    --emit=mxc -o /dev/null 2>/dev/null
  predicted=$(python3 -c "import json, sys; print(100 * json.load(open(sys.argv[1]))['predicted']['perplexity_increase'])" "$tmp/r.json")
  measure --recipe "$preset" --calibrate "$calib" 2>/dev/null
  awk -v p="$preset" -v pr="$predicted" -v m="$ppl" -v f="$float_ppl" -v kl="$kl" \
    'BEGIN { me = 100 * (m / f - 1);
             printf "| %s | %+.1f %% | %+.1f %% | %+.1f | %s |\n", p, pr, me, pr - me, kl }'
done
