#!/usr/bin/env bash
# Benchmark check (not a test) that a plugin scaffolded by `make new-neuron` gets the engine's
# vectorised loops: scaffolds one (one state variable) into a temporary copy of the working tree,
# builds snn-bench there in release mode, runs `shd-step` for lif and for it alternately (three
# rounds each, to share the machine's drift) and fails when the scaffold's median exceeds
# LIMIT (default 1.3) times lif's. The copy is a fresh package (SwiftPM's build products name
# their absolute paths), so this is a full release build: minutes, hence opt-in.
# Usage: [LIMIT=1.3] [ITERATIONS=10] scripts/bench-scaffold.sh
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${LIMIT:-1.3}
iterations=${ITERATIONS:-10}
copy=$(mktemp -d "${TMPDIR:-/tmp}/snn-bench-scaffold.XXXXXX")
trap 'rm -rf "$copy"' EXIT
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$copy"
make -C "$copy" --no-print-directory new-neuron NAME=BenchProbe >/dev/null
cd "$copy"
swift build -c release --product snn-bench 2>&1 | tail -3
median() { .build/release/snn-bench shd-step --json --neuron "$1" --iterations "$iterations" |
    sed -E 's/.*"median_ms": ([0-9.]+).*/\1/'; }
lif=() probe=()
for _ in 1 2 3; do lif+=("$(median lif)"); probe+=("$(median bench-probe)"); done
mid() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
python3 - "$(mid "${lif[@]}")" "$(mid "${probe[@]}")" "$limit" <<'PY'
import sys
lif, probe, limit = map(float, sys.argv[1:])
ratio = probe / lif
print(f"shd-step median of three rounds: lif {lif:.2f} ms, scaffolded bench-probe {probe:.2f} ms, ratio {ratio:.3f} "
      f"(limit {limit})")
sys.exit(0 if ratio <= limit else 1)
PY
