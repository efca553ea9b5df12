#!/usr/bin/env bash
# Newcomer's first command: install the dependencies, build mxc, and run it on
# the bundled example.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/install-deps
cmake --preset default
cmake --build build

echo
echo "== mxc-opt examples/mx-layer.mlir (parsed, verified, CSE'd, printed) =="
build/bin/mxc-opt examples/mx-layer.mlir --cse
