#!/usr/bin/env bash
# Every snn-bench case of issue 21's targets, one JSON line each, in one sitting: gemm, conv2d,
# elementwise, cnn-step, shd-step per neuron and input density, exact-step per neuron, cifar-step
# per neuron, sst2-step. Run it on a quiet machine (nothing else building): the ratios are only
# as good as the machine is still.
# Environment: BIN (snn-bench's directory), PEER (a Python with torch, optional), CASES,
# NEURONS (default: lif dqif cf), SHD_DENSITIES (default: 0.02 0.05 0.1), EXACT_NEURONS (qif lif).
set -euo pipefail
bench="${BIN:-.build/release}/snn-bench"
peer=(); [ -n "${PEER:-}" ] && peer=(--peer "$PEER")
for c in ${CASES:-gemm conv2d elementwise cnn-step shd-step exact-step cifar-step sst2-step}; do
    case $c in
    shd-step)
        for n in ${NEURONS:-lif dqif cf}; do
            for d in ${SHD_DENSITIES:-0.02 0.05 0.1}; do "$bench" $c --json --neuron "$n" --density "$d" "${peer[@]}"; done
        done ;;
    cifar-step) for n in ${NEURONS:-lif dqif cf}; do "$bench" $c --json --neuron "$n" "${peer[@]}"; done ;;
    exact-step) for n in ${EXACT_NEURONS:-qif lif}; do "$bench" $c --json --neuron "$n"; done ;;
    *) "$bench" $c --json "${peer[@]}" ;;
    esac
done
