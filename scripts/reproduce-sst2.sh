#!/usr/bin/env bash
# Paper 3's SST-2 stage alone: the ablation ladder (LIF → CF → CF + learnable surrogate →
# CF + learnable surrogate + PNB) on SST-2 with the text Spikformer, i.e. the `sst2-*` variants of
# papers/zhou2026-circulate-firing/configs/protocol.<scale>.json, then paper 3's report with only
# the SST-2 section filled, in runs/<scale>/sst2/zhou2026-circulate-firing/RESULTS.md.
# Usage: scripts/reproduce-sst2.sh [smoke|cpu|paper]   (default: cpu)
# Environment as for scripts/reproduce-cifar.sh (SWIFT, DATA_DIR, SWIFT_BUILD_FLAGS, WORKERS).
# cpu and paper read SST-2 from $DATA_DIR/sst2/SST-2 (train.tsv, dev.tsv), fetching the GLUE zip
# when missing (its MD5 is not pinned: the fetcher prints it as "not verified").
set -euo pipefail

scale="${1:-cpu}"
case "$scale" in
smoke | cpu | paper) ;;
*)
    echo "reproduce-sst2: unknown scale '$scale'; use smoke, cpu or paper" >&2
    exit 2
    ;;
esac

cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
read -r -a flags <<<"${SWIFT_BUILD_FLAGS:--c release -Xswiftc -enable-testing}"
"$SWIFT" build "${flags[@]}" --product snn-cf
bin="$("$SWIFT" build "${flags[@]}" --show-bin-path)"

# Its own registry and report folder, runs/<scale>/sst2/: the same variants also run as part of
# reproduce-cifar, whose registry (runs/<scale>/registry.sqlite) and report (papers/… for cpu and
# paper) this must neither duplicate runs in nor overwrite with a partial report.
out="runs/$scale/sst2"
mkdir -p "$out"
if [ "$scale" = smoke ]; then
    common=(--preset smoke --registry "$out/registry.sqlite" --output-dir "$out/artifacts" --data-dir "runs/smoke/data" --quiet)
else
    common=(--preset "$scale" --registry "$out/registry.sqlite" --output-dir "$out/artifacts")
    data="${DATA_DIR:-${SNN_DATA_DIR:-}}"
    if [ -n "$data" ]; then common+=(--data-dir "$data"); fi
fi
reports="$out"
workers=()
if [ -n "${WORKERS:-}" ]; then workers=(--workers "$WORKERS"); fi

start=$SECONDS
"$bin/snn-cf" reproduce "${common[@]}" "${workers[@]}" --only sst2- --report-dir "$reports"
echo
echo "reproduce-sst2 ($scale) finished in $((SECONDS - start)) s: $reports/zhou2026-circulate-firing/RESULTS.md"
