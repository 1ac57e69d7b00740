#!/usr/bin/env bash
# Papers 2 and 3 (DQIF; circulate-firing neurons) end to end: build, run both protocols, write
# both reports. Usage: scripts/reproduce-cifar.sh [smoke|cpu|paper]   (default: cpu)
#
# Environment:
#   SWIFT          the swift driver (default: swift)
#   DATA_DIR       where CIFAR-10/100 live or are downloaded to (default: $SNN_DATA_DIR, else
#                  ~/.cache/snn-toolkit); smoke ignores it and writes synthetic CIFAR-format
#                  files into runs/smoke/data
#   SWIFT_BUILD_FLAGS  swift build flags (default: the Makefile's test flags, -c release -Xswiftc
#                  -enable-testing, so that after `make test` nothing is compiled again)
#   WORKERS        worker processes per paper (default: the protocol's)
#   ONLY           a variant-name prefix of paper 3 (e.g. sst2): runs only those variants of
#                  paper 3, with their own registry and partial report in runs/<scale>/<ONLY>/,
#                  so the full report is never overwritten by a partial one (make reproduce-sst2)
#
# When runs fail, both papers still run and report what finished; the script then exits with
# status 1 after listing, per paper, the runs that did not complete (each executable prints them).
#
# Each scale keeps its own registry, runs/<scale>/registry.sqlite (shared with reproduce-shd),
# so smoke results never mix with real ones; smoke writes runs/smoke/<paper>/RESULTS.md, cpu and
# paper write papers/<paper>/RESULTS.md. Rerunning a scale resumes it: finished runs are not
# repeated.
set -euo pipefail

scale="${1:-cpu}"
case "$scale" in
smoke | cpu | paper) ;;
*)
    echo "reproduce-cifar: unknown scale '$scale'; use smoke, cpu or paper" >&2
    exit 2
    ;;
esac

cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
read -r -a flags <<<"${SWIFT_BUILD_FLAGS:--c release -Xswiftc -enable-testing}"

only="${ONLY:-}"
papers=(snn-dqif snn-cf)
if [ -n "$only" ]; then papers=(snn-cf); fi
for product in "${papers[@]}"; do "$SWIFT" build "${flags[@]}" --product "$product"; done
bin="$("$SWIFT" build "${flags[@]}" --show-bin-path)"

out="runs/$scale${only:+/$only}"
mkdir -p "$out"
if [ "$scale" = smoke ]; then
    common=(--preset smoke --registry "$out/registry.sqlite" --output-dir "$out/artifacts" --data-dir runs/smoke/data --quiet)
    reports="$out"
else
    common=(--preset "$scale" --registry "$out/registry.sqlite" --output-dir "$out/artifacts")
    data="${DATA_DIR:-${SNN_DATA_DIR:-}}"
    if [ -n "$data" ]; then common+=(--data-dir "$data"); fi
    reports="${only:+$out}"
    reports="${reports:-papers}"
fi
if [ -n "$only" ]; then common+=(--only "$only-"); fi
workers=()
if [ -n "${WORKERS:-}" ]; then workers=(--workers "$WORKERS"); fi

start=$SECONDS
failed=()
for product in "${papers[@]}"; do
    "$bin/$product" reproduce "${common[@]}" "${workers[@]}" --report-dir "$reports" || failed+=("$product")
done

echo
echo "reproduce-cifar ($scale${only:+, only $only}) finished in $((SECONDS - start)) s."
for paper in jahns2025-dqif zhou2026-circulate-firing; do
    if [ -f "$reports/$paper/RESULTS.md" ]; then echo "  $reports/$paper/RESULTS.md  (figures: $reports/$paper/figures/)"; fi
done
echo "  registry: $out/registry.sqlite"
if [ ${#failed[@]} -gt 0 ]; then
    echo "reproduce-cifar ($scale${only:+, only $only}): runs failed in ${failed[*]} (listed above); the reports cover the runs that finished." >&2
    exit 1
fi
