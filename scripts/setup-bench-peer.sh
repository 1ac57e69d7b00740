#!/usr/bin/env bash
# Creates .venv with a CPU-only PyTorch for the optional benchmark peers (never needed by tests).
set -euo pipefail
venv=${1:-.venv}
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import torch" 2>/dev/null; then
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "torch==2.13.0+cpu" numpy || "$venv/bin/pip" install --quiet torch numpy
