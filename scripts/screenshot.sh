#!/usr/bin/env bash
# Makes docs/mismatch-view.png, the picture of the mismatch view in docs/waveforms.md: the
# default scenario run with a deliberate difference (the model's IPv4 ID of frame 2), its
# mismatch window opened in GTKWave on a virtual display (xvfb-run), and a screenshot of
# that display (ImageMagick's import). Needs what scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cargo build -q --release --bin txoe
# The run fails on purpose (exit status 1): its report names the window.
"$CARGO_TARGET_DIR/release/txoe" run --inject-mismatch 2 --window-dir "$out" > "$out/report.txt" || true
grep -E "^MISMATCH|gtkwave" "$out/report.txt"
dump="$(ls "$out"/mismatch-*.fst)"
png="$PWD/docs/mismatch-view.png"
xvfb-run -a -s "-screen 0 1680x1000x24" bash -c '
  gtkwave "$1" "$1.gtkw" >/dev/null 2>&1 &
  pid=$!
  sleep 5
  import -window root "$2"
  kill "$pid"
' _ "$dump" "$png"
echo "wrote $png"
