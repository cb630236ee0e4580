#!/usr/bin/env bash
# Fill ./wheelhouse with this project's wheel and every dependency, so `docker build` needs no network.
# Usage: bash scripts/build_wheelhouse.sh [PYTHON]   (PYTHON: the interpreter whose pip resolves; it
# must match the image's Python minor version, 3.11 for the Debian bookworm base)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3}
mkdir -p wheelhouse
# torch first and pinned: the CPU build that is installed on the build machine.
"$python" -m pip wheel --quiet --wheel-dir wheelhouse "torch==2.13.0"
"$python" -m pip wheel --quiet --wheel-dir wheelhouse --find-links wheelhouse -c <(echo "torch==2.13.0") .
echo "wheelhouse: $(ls wheelhouse | wc -l) wheels, $(du -sh wheelhouse | cut -f1)"
