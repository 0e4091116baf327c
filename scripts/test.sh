#!/usr/bin/env bash
# The project's test command: the whole workspace's tests, with the Verilated RTL built
# for the data widths the lockstep tests use.
set -euo pipefail
cd "$(dirname "$0")/.."
export TXOE_DATA_WIDTHS="${TXOE_DATA_WIDTHS:-64,256}"
exec cargo test --workspace -j 2 "$@"
