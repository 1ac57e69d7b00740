#!/usr/bin/env bash
# Paper 3's SST-2 stage alone (make reproduce-sst2): the `sst2-*` variants of
# papers/zhou2026-circulate-firing/configs/protocol.<scale>.json — the ablation ladder on SST-2
# with the text Spikformer — and paper 3's report with only that section filled, in
# runs/<scale>/sst2/zhou2026-circulate-firing/RESULTS.md. Usage: scripts/reproduce-sst2.sh [smoke|cpu|paper]
# Environment as for scripts/reproduce-cifar.sh, which does the work (with ONLY=sst2).
ONLY=sst2 exec "$(dirname "$0")/reproduce-cifar.sh" "${1:-cpu}"
