#!/usr/bin/env bash
# Make a Docker engine usable and build the project's offline base image.
#
# Usage (as root, from anywhere; idempotent, safe to run again):
#     bash .ci/setup_docker.sh
# Installs docker.io and debootstrap when missing, starts dockerd in the background when no engine
# answers (no systemd needed; log in /tmp/dockerd.log), then builds srl-trainer/base:<suite>-<hash>
# from a debootstrap rootfs (cached in ~/.cache/srl-trainer, so later runs take seconds).
# Needs the Debian mirror of /etc/apt (apt-get) and nothing else from the network.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dockerd >/dev/null 2>&1 || docker info >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup_docker: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

wait_for_engine() {
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && return 0
        kill -0 "$1" 2>/dev/null || return 1
        sleep 0.5
    done
    return 1
}

if ! docker info >/dev/null 2>&1; then
    echo "setup_docker: starting dockerd"
    dockerd >/tmp/dockerd.log 2>&1 &
    pid=$!
    if ! wait_for_engine "$pid"; then
        # Machines without iptables/bridge support (nested containers): our sandboxes run with
        # networking off anyway, so the engine does not need them.
        echo "setup_docker: dockerd failed ($(tail -n 1 /tmp/dockerd.log)); retrying without iptables/bridge"
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        dockerd --iptables=false --bridge=none >/tmp/dockerd.log 2>&1 &
        pid=$!
        wait_for_engine "$pid" || { echo "setup_docker: dockerd did not start; see /tmp/dockerd.log" >&2; exit 1; }
    fi
fi

echo "setup_docker: engine $(docker version --format '{{.Server.Version}}'), building the base image"
python3 -m env.images
