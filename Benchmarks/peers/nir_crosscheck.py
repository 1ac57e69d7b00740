"""Cross-check of `snn nir export`: the `nir` package reads our file and snnTorch simulates it.

Usage: nir_crosscheck.py MODEL.nir INPUT.f32 T B N OUTPUT.f32

INPUT.f32 holds the input spikes [T, B, N] as raw little-endian float32. The script reads the
graph with `nir.read`, builds snnTorch's network with `snntorch.import_nir.import_from_nir`, steps
it over T, and writes the output node's spikes [T, B, M] to OUTPUT.f32 the same way. Used by
Tests/NIRTests (skipped when this venv is missing); never a CI dependency.
"""
import sys

import nir
import numpy as np
import torch
from snntorch import utils
from snntorch.import_nir import import_from_nir


def main() -> None:
    model, input_path, steps, batch, features, output_path = sys.argv[1:7]
    steps, batch, features = int(steps), int(batch), int(features)
    graph = nir.read(model)
    net = import_from_nir(graph)
    utils.reset(net)
    x = torch.from_numpy(np.fromfile(input_path, dtype="<f4").reshape(steps, batch, features))
    outputs = []
    with torch.no_grad():
        for t in range(steps):
            out = net(x[t])
            if isinstance(out, tuple):
                out = out[0]
            outputs.append(out)
    torch.stack(outputs).numpy().astype("<f4").tofile(output_path)


if __name__ == "__main__":
    main()
