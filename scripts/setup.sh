#!/usr/bin/env bash
# Installs what txoe needs on a fresh Debian 12 machine: Verilator (the RTL simulator),
# tshark (independent frame and checksum validation of the pcap output), GTKWave with a
# virtual X display (xvfb, xauth) to open waveforms headless in the tests, ImageMagick
# (`import`, for screenshots of the waveform view in docs/), the C/C++ libraries the
# Verilated model links, and a Rust toolchain if none is present.
# Safe to run again: installed packages are skipped.
set -euo pipefail

need=()
command -v verilator >/dev/null 2>&1 || need+=(verilator)
command -v tshark    >/dev/null 2>&1 || need+=(tshark)
command -v gtkwave   >/dev/null 2>&1 || need+=(gtkwave)
command -v xvfb-run  >/dev/null 2>&1 || need+=(xvfb)
command -v xauth     >/dev/null 2>&1 || need+=(xauth)
command -v import    >/dev/null 2>&1 || need+=(imagemagick)
dpkg -s zlib1g-dev  >/dev/null 2>&1 || need+=(zlib1g-dev)
dpkg -s liblz4-dev  >/dev/null 2>&1 || need+=(liblz4-dev)
command -v g++       >/dev/null 2>&1 || need+=(g++)
command -v make      >/dev/null 2>&1 || need+=(make)

if ((${#need[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: installing Rust (rustup)"
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi

echo "setup: $(verilator --version)"
echo "setup: $(tshark --version 2>/dev/null | head -n 1)"
echo "setup: gtkwave $(dpkg-query -W -f '${Version}' gtkwave 2>/dev/null)"
echo "setup: $(cargo --version)"
