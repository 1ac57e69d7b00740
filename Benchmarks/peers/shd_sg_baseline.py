"""A plain PyTorch surrogate-gradient LIF on any pair of SHD-layout HDF5 files.

The baseline every SHD paper quotes, untuned, as a yardstick for the discrete comparison row of
`snn-shd` (paper 1, papers/wenig2026-qif-shd/README.md): 700 channels binned into 100 steps over
the 1.4 s recording (spike counts per bin), 700 -> 256 LIF -> classes, a non-spiking leaky
readout whose maximum over time is the logits, PyTorch's default nn.Linear initialisation, Adam
2e-3, 15 epochs, batch 64. The LIF step is the one snn-shd's `lif` plugin runs:

    H[t] = beta U[t-1] + W x[t] + b;  S[t] = step(H[t] - 1);  U[t] = H[t] - S[t]  (soft reset)

with a fast-sigmoid surrogate dS/dH = alpha / (2 (1 + alpha |H - 1|)^2) and the reset
detached from the gradient (snnTorch's default). Never run by tests; prints one line per epoch
and a final JSON line.

    python shd_sg_baseline.py --train-file shd_train.h5 --test-file shd_test.h5
"""
import argparse
import json
import time

import h5py
import numpy as np
import torch


def load(path, channels, steps, seconds):
    """[samples, steps, channels] spike counts over [0, seconds) and the labels."""
    with h5py.File(path, "r") as f:
        times = f["spikes"]["times"]
        units = f["spikes"]["units"]
        labels = np.asarray(f["labels"], dtype=np.int64)
        frames = np.zeros((len(labels), steps, channels), dtype=np.float32)
        for i in range(len(labels)):
            t = np.asarray(times[i], dtype=np.float64)
            u = np.asarray(units[i], dtype=np.int64)
            keep = (t >= 0) & (t < seconds) & (u < channels)
            b = np.minimum((t[keep] * steps / seconds).astype(np.int64), steps - 1)
            np.add.at(frames[i], (b, u[keep]), 1.0)
    return torch.from_numpy(frames), torch.from_numpy(labels)


class FastSigmoidStep(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, alpha):
        ctx.save_for_backward(z)
        ctx.alpha = alpha
        return (z >= 0).to(z.dtype)

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        a = ctx.alpha
        return grad * a / (2 * (1 + a * z.abs()) ** 2), None


class Network(torch.nn.Module):
    def __init__(self, inputs, hidden, classes, beta, readout_beta, alpha):
        super().__init__()
        self.fc1 = torch.nn.Linear(inputs, hidden)
        self.fc2 = torch.nn.Linear(hidden, classes)
        self.beta, self.readout_beta, self.alpha = beta, readout_beta, alpha

    def forward(self, x):  # x: [T, B, inputs]
        current = self.fc1(x)
        u = torch.zeros_like(current[0])
        spikes = []
        for t in range(current.shape[0]):
            h = self.beta * u + current[t]
            s = FastSigmoidStep.apply(h - 1.0, self.alpha)
            u = h - s.detach()
            spikes.append(s)
        drive = self.fc2(torch.stack(spikes))
        m = torch.zeros_like(drive[0])
        best = None
        for t in range(drive.shape[0]):
            m = self.readout_beta * m + drive[t]
            best = m if best is None else torch.maximum(best, m)
        return best


def accuracy(net, x, y, batch):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            logits = net(x[i:i + batch].transpose(0, 1))
            correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
    net.train()
    return correct / len(y)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train-file", required=True)
    p.add_argument("--test-file", required=True)
    p.add_argument("--channels", type=int, default=700)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--seconds", type=float, default=1.4)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--beta", type=float, default=0.9, help="hidden LIF decay per step")
    p.add_argument("--readout-beta", type=float, default=0.9, help="leaky readout decay per step")
    p.add_argument("--alpha", type=float, default=10.0, help="surrogate sharpness")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    start = time.time()
    x_train, y_train = load(args.train_file, args.channels, args.steps, args.seconds)
    x_test, y_test = load(args.test_file, args.channels, args.steps, args.seconds)
    classes = int(max(y_train.max(), y_test.max())) + 1
    net = Network(args.channels, args.hidden, classes, args.beta, args.readout_beta, args.alpha)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    generator = torch.Generator().manual_seed(args.seed)
    test_accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(len(y_train), generator=generator)
        total = 0.0
        for i in range(0, len(order), args.batch):
            index = order[i:i + args.batch]
            logits = net(x_train[index].transpose(0, 1))
            loss = torch.nn.functional.cross_entropy(logits, y_train[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        test_accuracy = accuracy(net, x_test, y_test, 256)
        print(f"epoch {epoch:3d}  train loss {total / len(y_train):.4f}  test accuracy {test_accuracy:.4f}", flush=True)
    print(json.dumps({
        "model": "pytorch-sg-lif", "train_file": args.train_file, "test_file": args.test_file,
        "train_samples": len(y_train), "test_samples": len(y_test), "classes": classes,
        "epochs": args.epochs, "test_accuracy": test_accuracy, "seconds": round(time.time() - start, 1)}))


if __name__ == "__main__":
    main()
