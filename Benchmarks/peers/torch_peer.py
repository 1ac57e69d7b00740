"""PyTorch peers for snn-bench: the same cases, on the CPU, with the same thread count.

Run by snn-bench in the same invocation (never by tests). Each case builds its training step and
returns it; main warms it up and then either times it and prints one JSON line with median_ms, or
with --serve answers snn-bench's requests: a line "N" on stdin runs N timed iterations and prints
one JSON line with their samples, so that snn-bench can alternate its own rounds with the peer's
(ABAB) and drift on a shared machine hits both sides.
"""
import argparse
import json
import resource
import statistics
import sys
import time

import torch


def timed(fn, iterations):
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def conv2d(args):
    torch.manual_seed(2)
    x = torch.randn(32, 64, 32, 32, requires_grad=True)
    w = (torch.randn(64, 64, 3, 3) * 0.05).requires_grad_()

    def step():
        y = torch.nn.functional.conv2d(x, w, padding=1)
        y.sum().backward()
        x.grad = None
        w.grad = None

    return step


def elementwise(args):
    x = torch.rand(args.count) * 2 - 1

    def step():
        # Five separate ops, as in the Swift case.
        y = x * 1.5
        y = y + 0.5
        y = torch.tanh(y)
        y = y * x
        torch.relu(y)

    return step


def cnn_step(args):
    torch.manual_seed(5)
    layers, channels = [], 3
    for width in (64, 128, 256):
        layers += [torch.nn.Conv2d(channels, width, 3, padding=1, bias=False), torch.nn.BatchNorm2d(width),
                   torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
        channels = width
    layers += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(channels, 10)]
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    images = torch.randn(32, 3, 32, 32)
    labels = torch.arange(32) % 10

    def step():
        # The same training step as the Swift case: forward, cross-entropy, backward, SGD.
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(images), labels).backward()
        optimizer.step()

    return step


class SpikeFunction(torch.autograd.Function):
    """Heaviside forward, sigmoid surrogate (sharpness alpha) backward: the Swift default."""

    alpha = 4.0

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return (z >= 0).to(z.dtype)

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        s = torch.sigmoid(SpikeFunction.alpha * z)
        return grad * SpikeFunction.alpha * s * (1 - s)


def neuron_step(kind, u, x):
    """One step of the Swift plugins' default dynamics; returns (spikes, next state)."""
    spike = SpikeFunction.apply
    if kind == "lif":  # H = 0.5 U + X, hard reset to 0, threshold 1
        h = 0.5 * u + x
        s = spike(h - 1.0)
        return s, h * (1 - s)
    if kind == "dqif":  # H = U + 0.25 U (U - 0.5) + X, hard reset to 0, threshold 1
        h = u + 0.25 * u * (u - 0.5) + x
        s = spike(h - 1.0)
        return s, h * (1 - s)
    if kind == "cf":  # H = 0.5 U + X, bipolar spikes at ±1, soft reset
        h = 0.5 * u + x
        s = spike(h - 1.0) - spike(-h - 1.0)
        return s, h - s
    if kind == "alif":  # Bellec et al. 2018: threshold 1 + 1.8 a, soft reset, a ← ρ a + (1 − ρ) S
        v, a = u
        h = 0.95 * v + x
        threshold = 1.0 + 1.8 * a
        s = spike(h - threshold)
        return s, (h - threshold * s, 0.998572 * a + (1 - 0.998572) * s)
    if kind == "cuba-lif":  # Norse LIFCell: V += 0.1 (I − V), I ← 0.8 I + X, detached hard reset
        v, i = u
        h = v + 0.1 * (i - v)
        s = spike(h - 1.0)
        return s, ((1 - s.detach()) * h, 0.8 * i + x)
    raise ValueError(f"no peer for neuron {kind}")


def initial_state(kind, batch, hidden):
    """Zeros for every state variable of `kind` (a tuple when it has several)."""
    if kind in ("alif", "cuba-lif"):
        return torch.zeros(batch, hidden), torch.zeros(batch, hidden)
    return torch.zeros(batch, hidden)


def shd_events(args):
    """The Swift case's input: a Bernoulli(density) frame [T, B, 700], listed as spike events
    (row t·B + b, channel) sample by sample, as a spike data loader delivers them."""
    frame = torch.rand(args.steps, args.batch, 700) < args.density
    rows, channels = frame.view(-1, 700).nonzero(as_tuple=True)
    order = torch.argsort((rows % args.batch) * args.steps + rows // args.batch, stable=True)
    return frame.float(), rows[order], channels[order]


class SparseInput(torch.nn.Module):
    """PyTorch's own sparse path for a linear layer on spike events: embedding_bag(mode="sum") over
    each row's active channels (measured faster than torch.sparse.mm on COO and CSR inputs for
    this shape at 2-10 % density), plus the bias. Like the Swift case's SparseSpikeLinear it
    starts from the events: sorting them into rows is part of the step."""

    def __init__(self, linear, rows_total):
        super().__init__()
        self.weight = torch.nn.Parameter(linear.weight.detach().t().contiguous())
        self.bias = torch.nn.Parameter(linear.bias.detach().clone())
        self.rows_total = rows_total

    def forward(self, rows, channels):
        order = torch.argsort(rows, stable=True)
        counts = torch.bincount(rows, minlength=self.rows_total)
        offsets = torch.cumsum(counts, 0) - counts
        return torch.nn.functional.embedding_bag(channels[order], self.weight, offsets, mode="sum") + self.bias


def shd_step(args):
    torch.manual_seed(5)
    fc1 = torch.nn.Linear(700, args.hidden)
    fc2 = torch.nn.Linear(args.hidden, 20)
    frame, rows, channels = shd_events(args)
    if args.sparse:
        sparse = SparseInput(fc1, args.steps * args.batch)
        parameters = list(sparse.parameters())

        def first_layer():
            return sparse(rows, channels).view(args.steps, args.batch, args.hidden)
    else:
        parameters = list(fc1.parameters())

        def first_layer():
            return fc1(frame)
    optimizer = torch.optim.Adam(parameters + list(fc2.parameters()), lr=1e-3)
    labels = torch.arange(args.batch) % 20

    def step():
        # Forward over all steps with BPTT, cross-entropy on the max over time of a leaky
        # readout (decay 0.9), Adam: the same training step as the Swift case.
        optimizer.zero_grad()
        currents = first_layer()
        u = initial_state(args.neuron, args.batch, args.hidden)
        spikes = []
        for t in range(args.steps):
            s, u = neuron_step(args.neuron, u, currents[t])
            spikes.append(s)
        out = fc2(torch.stack(spikes))
        m = torch.zeros(args.batch, 20)
        membrane = []
        for t in range(args.steps):
            m = 0.9 * m + out[t]
            membrane.append(m)
        logits = torch.stack(membrane).max(dim=0).values
        torch.nn.functional.cross_entropy(logits, labels).backward()
        optimizer.step()

    return step


class TDBatchNorm(torch.nn.BatchNorm2d):
    """tdBN (alpha = 1, V_th = 1) on [T, B, C, H, W]: BatchNorm2d over [T·B, C, H, W] reduces over
    time, batch and space, which is tdBN's statistics."""

    def forward(self, x):
        return super().forward(x.flatten(0, 1)).view(x.shape)


class Neurons(torch.nn.Module):
    """A spiking layer over [T, B, ...], stepping neuron_step through time."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind

    def forward(self, x):
        u = torch.zeros_like(x[0])
        spikes = []
        for t in range(x.shape[0]):
            s, u = neuron_step(self.kind, u, x[t])
            spikes.append(s)
        return torch.stack(spikes)


class TimeConv(torch.nn.Conv2d):
    """A conv applied to every step of [T, B, C, H, W]."""

    def forward(self, x):
        y = super().forward(x.flatten(0, 1))
        return y.view(x.shape[0], x.shape[1], *y.shape[1:])


class SpikingBlock(torch.nn.Module):
    def __init__(self, kind, inputs, outputs, stride):
        super().__init__()
        self.conv1 = TimeConv(inputs, outputs, 3, stride=stride, padding=1, bias=False)
        self.norm1, self.act1 = TDBatchNorm(outputs), Neurons(kind)
        self.conv2 = TimeConv(outputs, outputs, 3, padding=1, bias=False)
        self.norm2, self.act2 = TDBatchNorm(outputs), Neurons(kind)
        self.shortcut = None
        if stride != 1 or inputs != outputs:
            self.shortcut = torch.nn.Sequential(TimeConv(inputs, outputs, 1, stride=stride, bias=False), TDBatchNorm(outputs))

    def forward(self, x):
        residual = self.norm2(self.conv2(self.act1(self.norm1(self.conv1(x)))))
        return self.act2(residual + (x if self.shortcut is None else self.shortcut(x)))


def cifar_step(args):
    torch.manual_seed(5)
    w = args.width
    stem = torch.nn.Conv2d(3, w, 3, padding=1, bias=False)
    body = torch.nn.Sequential(TDBatchNorm(w), Neurons(args.neuron), SpikingBlock(args.neuron, w, w, 1),
                               SpikingBlock(args.neuron, w, 2 * w, 2))
    head = torch.nn.Linear(2 * w, 10)
    optimizer = torch.optim.Adam(list(stem.parameters()) + list(body.parameters()) + list(head.parameters()), lr=1e-3)
    images = torch.randn(args.batch, 3, 32, 32)
    labels = (torch.arange(args.batch) % 10).repeat(args.steps)

    def step():
        # The Swift case's step: stem once, repeated over T (direct encoding), spiking ResNet,
        # average pool, linear, TET (cross-entropy of every step's output), Adam.
        optimizer.zero_grad()
        current = stem(images)
        features = body(current.unsqueeze(0).expand(args.steps, *current.shape)).mean(dim=(3, 4))
        logits = head(features)
        torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels).backward()
        optimizer.step()

    return step


class TokenBatchNorm(torch.nn.BatchNorm1d):
    """tdBN (alpha = 1, V_th = 1) on tokens [T, B, N, D]: statistics per channel over time, batch and
    tokens, as the Swift TDBatchNorm on the channels-first [T, B, D, N]."""

    def forward(self, x):
        return super().forward(x.flatten(0, 2)).view(x.shape)


class SpikingSelfAttention(torch.nn.Module):
    """The Swift SpikingSelfAttention: input fires; Q, K, V = spikes of tdBN(W x); per head
    Y = (Q K^T) V / d_head (no softmax); tdBN -> spikes -> linear -> tdBN."""

    def __init__(self, kind, width, heads):
        super().__init__()
        self.heads, self.scale = heads, 1.0 / (width // heads)
        self.input = Neurons(kind)
        self.query, self.key, self.value = (
            torch.nn.Sequential(torch.nn.Linear(width, width, bias=False), TokenBatchNorm(width), Neurons(kind))
            for _ in range(3))
        self.attention = torch.nn.Sequential(TokenBatchNorm(width), Neurons(kind))
        self.projection = torch.nn.Sequential(torch.nn.Linear(width, width, bias=False), TokenBatchNorm(width))

    def forward(self, x):
        s = self.input(x)
        t, b, n, d = x.shape

        def split(y):  # [T, B, N, D] -> [T, B, h, N, d]
            return y.view(t, b, n, self.heads, d // self.heads).transpose(2, 3)

        q, k, v = split(self.query(s)), split(self.key(s)), split(self.value(s))
        y = (q @ k.transpose(-1, -2) * self.scale) @ v
        return self.projection(self.attention(y.transpose(2, 3).reshape(t, b, n, d)))


def sst2_step(args):
    torch.manual_seed(5)
    w = args.width
    embedding = torch.nn.Embedding(args.vocabulary, w, padding_idx=0)
    layers = [TokenBatchNorm(w)]
    for _ in range(args.blocks):
        layers.append(SpikingSelfAttention(args.neuron, w, args.heads))
        layers.append(torch.nn.Sequential(
            Neurons(args.neuron), torch.nn.Linear(w, 4 * w, bias=False), TokenBatchNorm(4 * w), Neurons(args.neuron),
            torch.nn.Linear(4 * w, w, bias=False), TokenBatchNorm(w)))
    head = torch.nn.Linear(w, 2)
    modules = torch.nn.ModuleList([embedding, head] + layers)
    optimizer = torch.optim.Adam(modules.parameters(), lr=1e-3)
    # The Swift case's ids (SentenceBatch): sentence b has 8 + (7b mod (L - 7)) words, then padding.
    ids = torch.zeros(args.batch, args.tokens, dtype=torch.long)
    for b in range(args.batch):
        length = min(args.tokens, 8 + (7 * b) % max(1, args.tokens - 7))
        for position in range(length):
            ids[b, position] = 2 + (131 * b + 17 * position) % (args.vocabulary - 2)
    labels = (torch.arange(args.batch) % 2).repeat(args.steps)

    def step():
        # Embedding, the same input at every step (direct encoding), tdBN, residual SSA and MLP
        # blocks, mean over tokens, linear, TET (cross-entropy of every step's logits), Adam.
        optimizer.zero_grad()
        current = embedding(ids)
        x = layers[0](current.unsqueeze(0).expand(args.steps, *current.shape))
        for block in layers[1:]:
            x = x + block(x)
        logits = head(x.mean(dim=2))
        torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels).backward()
        optimizer.step()

    return step


CASES = {"cnn-step": cnn_step, "shd-step": shd_step, "conv2d": conv2d, "elementwise": elementwise,
         "cifar-step": cifar_step, "sst2-step": sst2_step}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--count", type=int, default=16 * 1024 * 1024)
    parser.add_argument("--neuron", default="lif")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--density", type=float, default=0.02)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--blocks", type=int, default=1)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--vocabulary", type=int, default=4000)
    parser.add_argument("--sparse", action="store_true", help="shd-step: PyTorch's sparse path for the input layer")
    parser.add_argument("--serve", action="store_true", help="answer snn-bench's timing requests on stdin")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with torch.no_grad() if args.case == "elementwise" else torch.enable_grad():
        step = CASES[args.case](args)
        for _ in range(args.warmup):
            step()
        fields = {"case": args.case, "threads": args.threads, "torch": torch.__version__}
        if not args.serve:
            median = statistics.median(timed(step, args.iterations))
            print(json.dumps({**fields, "median_ms": median, "peak_rss_mb": peak_rss_mb()}))
            return
        print(json.dumps({**fields, "ready": True}), flush=True)
        for line in sys.stdin:
            samples = timed(step, int(line))
            print(json.dumps({**fields, "samples_ms": samples, "peak_rss_mb": peak_rss_mb()}), flush=True)


if __name__ == "__main__":
    main()
