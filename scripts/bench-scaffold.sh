#!/usr/bin/env bash
# Benchmark check (not a test) that a plugin scaffolded by `make new-neuron` gets the engine's
# vectorised loops: scaffolds one (one state variable) in place into the working tree, builds
# snn-bench incrementally in the existing .build (`make test`'s flags, or SWIFT_BUILD_FLAGS),
# runs `shd-step` for lif and for it alternately (three rounds each, to share the machine's
# drift) and fails when the scaffold's median exceeds LIMIT (default 1.3) times lif's. The tree
# is restored exactly afterwards, also on failure or interrupt; like scripts/check-new-neuron.sh
# it refuses to run over a scaffold left behind or over uncommitted changes to the file it edits.
# Usage: [LIMIT=1.3] [ITERATIONS=10] [SWIFT_BUILD_FLAGS=...] scripts/bench-scaffold.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
read -r -a flags <<< "${SWIFT_BUILD_FLAGS:--c release -Xswiftc -enable-testing}"
limit=${LIMIT:-1.3}
iterations=${ITERATIONS:-10}

probe=BenchProbe
created=(Modules/Neurons/Plugins/$probe.swift Tests/NeuronsTests/Plugins/${probe}Tests.swift)
edited=(Modules/Neurons/Plugins/Registration.swift)
source scripts/scaffold-guard.sh

scripts/new-neuron.sh "$probe" >/dev/null
"$SWIFT" build "${flags[@]}" --product snn-bench 2>&1 | tail -3
bin=$("$SWIFT" build "${flags[@]}" --show-bin-path)/snn-bench
median() {
    "$bin" shd-step --json --neuron "$1" --iterations "$iterations" | sed -E 's/.*"median_ms": ([0-9.]+).*/\1/'
}
lif=() scaffolded=()
for _ in 1 2 3; do lif+=("$(median lif)"); scaffolded+=("$(median bench-probe)"); done
mid() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
echo "shd-step rounds (ms): lif ${lif[*]}; bench-probe ${scaffolded[*]}"
python3 - "$(mid "${lif[@]}")" "$(mid "${scaffolded[@]}")" "$limit" <<'PY'
import sys
lif, probe, limit = map(float, sys.argv[1:])
ratio = probe / lif
print(f"shd-step median of three rounds: lif {lif:.2f} ms, scaffolded bench-probe {probe:.2f} ms, ratio {ratio:.3f} "
      f"(limit {limit})")
sys.exit(0 if ratio <= limit else 1)
PY
