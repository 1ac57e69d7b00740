#!/usr/bin/env bash
# Keeps `make new-neuron` from rotting: scaffolds a plugin from each template (one and two state
# variables) into a temporary copy of the working tree, builds it, and runs the conformance suite
# and the scaffolded tests there.
set -euo pipefail
cd "$(dirname "$0")/.."
copy=$(mktemp -d "${TMPDIR:-/tmp}/snn-scaffold.XXXXXX")
trap 'rm -rf "$copy"' EXIT
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$copy"
make -C "$copy" --no-print-directory new-neuron NAME=ScaffoldProbe
make -C "$copy" --no-print-directory new-neuron NAME=ScaffoldProbeTwo STATES=2
cd "$copy"
swift build --build-tests
swift test --skip-build --filter 'NeuronConformanceTests|ScaffoldProbeTests|ScaffoldProbeTwoTests'
