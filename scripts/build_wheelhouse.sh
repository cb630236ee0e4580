#!/usr/bin/env bash
# Fill ./wheelhouse with this project's wheel and every dependency, so `docker build` needs no network.
# Usage: bash scripts/build_wheelhouse.sh [PYTHON] [TARGET_PYTHON_VERSION]
#   PYTHON: the interpreter whose pip does the work (default python3)
#   TARGET_PYTHON_VERSION: the image's Python (default 3.11.2, Debian bookworm's); wheels are picked
#   for it, not for the host, because some releases need a newer 3.11.x than Debian ships.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3}
target=${2:-3.11.2}
rm -rf wheelhouse && mkdir -p wheelhouse
"$python" -m pip wheel --quiet --no-deps --wheel-dir wheelhouse .
platforms=()
for tag in manylinux_2_36_x86_64 manylinux_2_34_x86_64 manylinux_2_28_x86_64 manylinux_2_27_x86_64 \
    manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_5_x86_64 manylinux1_x86_64 linux_x86_64; do
    platforms+=(--platform "$tag")
done
# torch pinned to the CPU build this machine installs; everything else resolved for the target.
"$python" -m pip download --quiet --only-binary=:all: --python-version "$target" --implementation cp \
    "${platforms[@]}" --dest wheelhouse -c <(echo "torch==2.13.0") wheelhouse/srl_trainer-*.whl
echo "wheelhouse: $(ls wheelhouse | wc -l) wheels, $(du -sh wheelhouse | cut -f1)"
