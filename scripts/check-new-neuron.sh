#!/usr/bin/env bash
# Keeps `make new-neuron` from rotting: scaffolds a plugin from every template (discrete with one and
# with two state variables, event-driven) in place into the working tree, builds with `make test`'s
# flags so that its .build is reused incrementally, runs the conformance suites and the scaffolded
# tests, and restores the tree exactly afterwards, also on failure or interrupt. It refuses to run
# over a scaffold left behind or over uncommitted changes to the files it edits.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
read -r -a flags <<< "${SWIFT_BUILD_FLAGS:--c release -Xswiftc -enable-testing}"

probes=(ScaffoldProbe ScaffoldProbeTwo ScaffoldProbeExact)
created=(
    Modules/Neurons/Plugins/ScaffoldProbe.swift Tests/NeuronsTests/Plugins/ScaffoldProbeTests.swift
    Modules/Neurons/Plugins/ScaffoldProbeTwo.swift Tests/NeuronsTests/Plugins/ScaffoldProbeTwoTests.swift
    Modules/EventSim/ScaffoldProbeExact.swift Tests/EventSimTests/ScaffoldProbeExactTests.swift
)
edited=(Modules/Neurons/Plugins/Registration.swift Modules/EventSim/EventDrivenNeuron.swift)
for file in "${created[@]}"; do
    if [ -e "$file" ]; then
        echo "error: $file exists; remove the scaffold probe (left by an interrupted check?) before checking" >&2
        exit 1
    fi
done
if [ -n "$(git status --porcelain -- "${edited[@]}")" ]; then
    echo "error: uncommitted changes in ${edited[*]}; commit or stash them, the check restores these files" >&2
    exit 1
fi
testDirectoryExisted=$([ -d Tests/NeuronsTests/Plugins ] && echo yes || echo no)

backup=$(mktemp -d "${TMPDIR:-/tmp}/snn-scaffold.XXXXXX")
cp -p "${edited[@]}" "$backup/"
restore() {
    rm -f "${created[@]}"
    [ "$testDirectoryExisted" = yes ] || rmdir Tests/NeuronsTests/Plugins 2>/dev/null || true
    for file in "${edited[@]}"; do cp -p "$backup/$(basename "$file")" "$file"; done
    rm -rf "$backup"
}
trap restore EXIT
trap 'exit 130' INT TERM

scripts/new-neuron.sh ScaffoldProbe
STATES=2 scripts/new-neuron.sh ScaffoldProbeTwo
KIND=event scripts/new-neuron.sh ScaffoldProbeExact
"$SWIFT" build "${flags[@]}" --build-tests
filter="NeuronConformanceTests|$(IFS='|'; echo "${probes[*]/%/Tests}")"
"$SWIFT" test "${flags[@]}" --skip-build --filter "$filter"
