#!/usr/bin/env bash
# make reproduce-shd: paper 1 (QIF vs LIF under exact gradients on SHD), every stage.
#   scripts/reproduce-shd.sh SCALE     SCALE = smoke | cpu | paper
# Environment: SWIFT (the swift binary), SWIFT_BUILD_FLAGS (default: optimised, as `make test`
# builds, so the two share one build), DATA_DIR, TRAIN_FILE + TEST_FILE (any SHD-layout pair).
#
# smoke runs on synthetic SHD-layout data and writes everything under runs/smoke/ (its report
# too: runs/smoke/wenig2026-qif-shd/RESULTS.md). cpu and paper download and verify SHD into the
# data directory when absent, keep their registry in runs/<scale>/, and write the report to
# papers/wenig2026-qif-shd/. Every stage resumes where an interrupted run stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-cpu}
case "$scale" in
smoke | cpu | paper) ;;
*) echo "reproduce-shd: SCALE must be smoke, cpu or paper (got '$scale')" >&2; exit 2 ;;
esac
swift=${SWIFT:-swift}
read -r -a flags <<<"${SWIFT_BUILD_FLAGS:--c release -Xswiftc -enable-testing}"
"$swift" build "${flags[@]}" --product snn-shd
bin="$("$swift" build "${flags[@]}" --show-bin-path)/snn-shd"

out="runs/$scale"
report="papers/wenig2026-qif-shd"
data=()
if [[ "$scale" == smoke ]]; then
    report="$out/wenig2026-qif-shd"
    data=(--data-dir "${DATA_DIR:-$out/data}")
elif [[ -n "${DATA_DIR:-}" ]]; then
    data=(--data-dir "$DATA_DIR")
fi
files=()
if [[ -n "${TRAIN_FILE:-}" || -n "${TEST_FILE:-}" ]]; then
    files=(--train-file "${TRAIN_FILE:?TRAIN_FILE and TEST_FILE go together}" --test-file "${TEST_FILE:?TRAIN_FILE and TEST_FILE go together}")
fi
mkdir -p "$out"
exec "$bin" reproduce --preset "$scale" --registry "$out/registry.sqlite" --output-dir "$out/artifacts" \
    --report-dir "$report" "${data[@]}" "${files[@]}"
