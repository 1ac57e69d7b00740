#!/usr/bin/env bash
# Keeps docs/tutorial.md from rotting: runs every code block that follows a
# `<!-- tutorial: run -->` marker, in order, in one shell from the repository root, and fails on
# the first command that fails. The tutorial's outputs go to runs/tutorial (cleared first).
set -euo pipefail
cd "$(dirname "$0")/.."
tutorial=docs/tutorial.md
script=$(awk '
    /<!-- tutorial: run -->/ { marked = 1; next }
    /^```/ { if (inside) { inside = 0; marked = 0 } else if (marked) { inside = 1 }; next }
    inside { print }
' "$tutorial")
[ -n "$script" ] || { echo "check-tutorial: no '<!-- tutorial: run -->' blocks in $tutorial" >&2; exit 1; }
rm -rf runs/tutorial
echo "check-tutorial: running the marked blocks of $tutorial"
if ! bash -euo pipefail -x -c "$script" > runs/tutorial.log 2>&1; then
    tail -n 40 runs/tutorial.log >&2
    echo "check-tutorial: a command of $tutorial failed (full log: runs/tutorial.log)" >&2
    exit 1
fi
echo "check-tutorial: every marked command of $tutorial ran"
