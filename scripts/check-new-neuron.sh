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
source scripts/scaffold-guard.sh

scripts/new-neuron.sh ScaffoldProbe
STATES=2 scripts/new-neuron.sh ScaffoldProbeTwo
KIND=event scripts/new-neuron.sh ScaffoldProbeExact
"$SWIFT" build "${flags[@]}" --build-tests
filter="NeuronConformanceTests|$(IFS='|'; echo "${probes[*]/%/Tests}")"
"$SWIFT" test "${flags[@]}" --skip-build --filter "$filter"
