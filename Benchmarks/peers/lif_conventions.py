"""Records the LIF of SpikingJelly, snnTorch and Norse on the cases of
Tests/NeuronsTests/LIFConventionTests.swift, for comparison with its hand-written references
(which state each library's update as its code computes it) and so with `lif` configured to each
convention: spikes, membrane before firing, and the gradient of sum(S * R) for the tests' fixed R
with respect to every input, one JSON object per line.

Usage: python Benchmarks/peers/lif_conventions.py > Benchmarks/peers/lif_conventions.recorded.jsonl
(pip install snntorch loguru; pip install --no-deps spikingjelly norse keeps a CPU torch). The recorded
file holds the output of snnTorch 1.0.0, SpikingJelly 2.0.0 and Norse 1.1.0 with torch 2.13 (CPU).

SpikingJelly 2.0 exposes no membrane before firing: its "membranes" are V after the reset.
snnTorch keeps θ as a float32 tensor, so θ = 0.7 differs from the Float64 references by ~1e-8.
Surrogates: SpikingJelly's and snnTorch's sigmoid with slope 4, the tests' α. Norse's LIFBoxCell
has no sigmoid surrogate; it is run with method="super" (SuperSpike, alpha=4), so only its spikes
and membranes compare with the tests' references, not its gradient.
"""
import json

import torch

torch.set_default_dtype(torch.float64)
INPUT = [0.6, 1.5, 0.9, -0.4, 1.2, 1.0, 2.5, 0.1]
WEIGHTS = torch.tensor([0.5, -1, 2, 1.5, -0.5, 1, 0.7, 3])
ALPHA = 4.0


def record(label, step, scale=1.0):
    """Runs `step(x_t) -> (spike, membrane)` over the case's inputs times `scale`."""
    x = torch.tensor([v * scale for v in INPUT], requires_grad=True)
    spikes, membranes = [], []
    for t in range(len(INPUT)):
        s, h = step(x[t:t + 1])
        spikes.append(s.reshape(()))
        membranes.append(h.reshape(()))
    s = torch.stack(spikes)
    (s * WEIGHTS).sum().backward()
    print(json.dumps({"case": label, "spikes": s.tolist(), "membranes": torch.stack(membranes).tolist(),
                      "gradient": x.grad.tolist()}))


def spikingjelly_cases():
    """SpikingJelly 2.0 keeps no membrane before firing, so its "membranes" are V after the reset."""
    from spikingjelly.activation_based import neuron, surrogate

    def run(label, scale=2.0, **kwargs):
        node = neuron.LIFNode(surrogate_function=surrogate.Sigmoid(alpha=ALPHA), step_mode="s", **kwargs)

        def step(x):
            s = node(x)
            return s, node.v
        record(label, step, scale)

    for detach in (False, True):
        run(f"spikingjelly hard, detach {detach}", tau=2.0, v_reset=0.0, detach_reset=detach)
        run(f"spikingjelly soft, detach {detach}", tau=2.0, v_reset=None, detach_reset=detach)
    run("spikingjelly tau 4, v_reset -0.3, threshold 0.8", tau=4.0, v_reset=-0.3, v_threshold=0.8)
    run("spikingjelly without decay_input, v_reset -0.3", tau=2.0, v_reset=-0.3, decay_input=False)


def snntorch_cases():
    import snntorch as snn
    from snntorch import surrogate

    def run(label, beta, threshold, mechanism):
        leaky = snn.Leaky(beta=beta, threshold=threshold, reset_mechanism=mechanism,
                          spike_grad=surrogate.sigmoid(slope=ALPHA))
        mem = leaky.init_leaky()
        state = {"mem": mem}

        def step(x):
            s, state["mem"] = leaky(x, state["mem"])
            return s, state["mem"]
        record(label, step)

    run("snntorch subtract", 0.8, 1.0, "subtract")
    run("snntorch zero", 0.8, 1.0, "zero")
    run("snntorch subtract, threshold 0.7", 0.9, 0.7, "subtract")


def norse_cases():
    from norse.torch import LIFBoxCell, LIFBoxParameters

    def run(label, scale, dt, **kwargs):
        cell = LIFBoxCell(LIFBoxParameters(method="super", alpha=torch.tensor(ALPHA), **kwargs), dt=dt)
        state = {"s": None}

        def step(x):
            v_before = state["s"].v if state["s"] is not None else kwargs.get("v_leak", torch.tensor(0.0))
            z, state["s"] = cell(x, state["s"])
            tau_inv = kwargs.get("tau_mem_inv", torch.tensor(100.0))
            leak = kwargs.get("v_leak", torch.tensor(0.0))
            decayed = v_before + dt * tau_inv * ((leak - v_before) + x)
            return z, decayed
        record(label, step, scale)

    run("norse LIFBoxCell", 6.0, 0.001)
    run("norse LIFBoxCell, dt/tau 0.5, v_leak = v_reset = -0.2", 2.0, 0.005,
        v_leak=torch.tensor(-0.2), v_reset=torch.tensor(-0.2))


if __name__ == "__main__":
    for cases in (spikingjelly_cases, snntorch_cases, norse_cases):
        try:
            cases()
        except ImportError as error:
            print(json.dumps({"skipped": cases.__name__, "reason": str(error)}))
