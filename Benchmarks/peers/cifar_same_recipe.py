"""The same-recipe check of issue 18: train the toolkit's spiking CIFAR network in plain PyTorch and
compare its learning curve with `snn-dqif train` on the same CIFAR binary files.

The PyTorch side is what a plain PyTorch user writes for the recipe the paper presets use:

  network   small-vgg: conv3x3(w) -> BN -> LIF -> avgpool2 -> conv3x3(2w) -> BN -> LIF -> avgpool2
            -> conv3x3(4w) -> BN -> LIF -> avgpool2 -> flatten -> linear(classes)   (`--head flatten`)
            or global average pool -> linear (`--head global-average`, the toolkit's small-vgg-gap);
            convolutions without bias (BN follows), BatchNorm2d over the T*B samples of a step
            sequence (tdBN with alpha = V_th = 1: statistics over time, batch and space),
            momentum 0.1, eps 1e-5, running statistics at evaluation.
  neuron    LIF v = 0.5 v + x, spike = H(v - 1), hard reset v = v (1 - spike) with the gradient
            through the spike (not detached), atan surrogate d spike / dv = (alpha/2) / (1 + (pi/2 alpha (v - 1))^2),
            alpha = 2 (SpikingJelly's ATan). Note: SpikingJelly's LIFNode(tau=2) charges
            v + (x - v)/tau = 0.5 v + 0.5 x (decay_input=True); "decay 0.5" here is v = 0.5 v + x,
            the toolkit's `lif` plugin.
  encoding  direct: the stem conv's output is the input current at each of T = 4 steps.
  loss      cross-entropy of the time-averaged output.
  training  SGD lr 0.05, momentum 0.9, weight decay 5e-4 on every parameter (torch.optim.SGD's
            default), no Nesterov, cosine to 0 stepped per iteration (as the toolkit; `--schedule epoch`
            steps it per epoch as CosineAnnealingLR usually is), batch 64, pad-4 random crop + flip,
            CIFAR-10 channel mean/std normalisation (padding is black before normalisation).
  init      `--init torch` (default): PyTorch's own defaults (kaiming-uniform a = sqrt(5), i.e.
            U(+-1/sqrt(fan_in)) for conv and linear weights and biases), which the toolkit's
            `model.initialization = torch` reproduces; `--init kaiming-normal` draws conv weights from
            N(0, 2/fan_in) (the toolkit's earlier choice).

Usage:
  cifar_same_recipe.py --data DIR [--epochs 6 --width 16 --seeds 1 2]        PyTorch curves only
  cifar_same_recipe.py --data DIR --ours .build/release/snn-dqif [...]       both, and the verdict

DIR holds the official binary layout (data_batch_1..5.bin, test_batch.bin). Every image in the files
is used (the toolkit's trainSubset is set to the file's count, so both train on the same images).
The toolkit's synthetic CIFAR (colour and stripes per class) is learnt perfectly in one epoch by
both, which shows that both train but cannot show a gap; `--harden NOISE` first writes DIR-hard<NOISE>,
the same images with their colour channels permuted, their brightness scaled at random and Gaussian
pixel noise of std NOISE added (seeded, per image), so that only the stripes tell the class and the
curves stay below 100 %; both frameworks then train on those files.
Never run by tests.
"""
import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)


def read_split(folder, names):
    images, labels = [], []
    for name in names:
        raw = np.fromfile(os.path.join(folder, name), dtype=np.uint8)
        if raw.size % 3073:
            sys.exit(f"{os.path.join(folder, name)}: {raw.size} bytes is not a whole number "
                     "of 3073-byte CIFAR-10 records")
        records = raw.reshape(-1, 3073)
        labels.append(records[:, 0].astype(np.int64))
        images.append(records[:, 1:].reshape(-1, 3, 32, 32))
    return np.concatenate(images), np.concatenate(labels)


def harden(folder, noise):
    """Writes folder-hard<noise> (see the module doc) and returns its path; files already there are kept."""
    target = f"{folder.rstrip('/')}-hard{noise:g}"
    if os.path.isdir(target):
        return target
    os.makedirs(target)
    generator = np.random.default_rng(7)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    permutations = np.array([[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
    for name in names:
        images, labels = read_split(folder, [name])
        n = len(images)
        shuffled = images[np.arange(n)[:, None], permutations[generator.integers(0, 6, n)]].astype(np.float64)
        shuffled *= generator.uniform(0.5, 1.5, (n, 1, 1, 1))
        shuffled += generator.normal(0, noise, shuffled.shape)
        pixels = np.clip(np.rint(shuffled), 0, 255).astype(np.uint8).reshape(n, -1)
        np.concatenate([labels.astype(np.uint8)[:, None], pixels], axis=1).tofile(os.path.join(target, name))
    return target


def normalise(images):
    return (images.astype(np.float32) / 255 - MEAN[:, None, None]) / STD[:, None, None]


def augment(images, generator):
    """Pad-4 random crop (black padding in pixel space) and horizontal flip, per image."""
    n = images.shape[0]
    padded = np.zeros((n, 3, 40, 40), dtype=np.uint8)
    padded[:, :, 4:36, 4:36] = images
    rows = generator.integers(0, 9, n)
    columns = generator.integers(0, 9, n)
    flips = generator.random(n) < 0.5
    out = np.empty_like(images)
    for i in range(n):
        crop = padded[i, :, rows[i]:rows[i] + 32, columns[i]:columns[i] + 32]
        out[i] = crop[:, :, ::-1] if flips[i] else crop
    return out


class ATanSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        a = ctx.alpha
        return grad * (a / 2) / (1 + (math.pi / 2 * a * x) ** 2), None


class LIF(nn.Module):
    """[T, B, ...] -> spikes; v = decay v + x, hard reset to 0 with the gradient through the spike."""

    def __init__(self, decay=0.5, threshold=1.0, alpha=2.0):
        super().__init__()
        self.decay, self.threshold, self.alpha = decay, threshold, alpha

    def forward(self, x):
        v = torch.zeros_like(x[0])
        spikes = []
        for t in range(x.shape[0]):
            v = self.decay * v + x[t]
            s = ATanSpike.apply(v - self.threshold, self.alpha)
            v = v * (1 - s)
            spikes.append(s)
        return torch.stack(spikes)


class PerStep(nn.Module):
    """Applies a 4-D module to [T, B, C, H, W] by folding T into the batch (BN statistics over T and B)."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        y = self.module(x.flatten(0, 1))
        return y.view(x.shape[0], x.shape[1], *y.shape[1:])


class SmallVGG(nn.Module):
    def __init__(self, width, classes, timesteps, head, alpha):
        super().__init__()
        self.timesteps = timesteps
        w = width
        self.stem = nn.Conv2d(3, w, 3, padding=1, bias=False)
        self.body = nn.Sequential(
            PerStep(nn.BatchNorm2d(w)), LIF(alpha=alpha), PerStep(nn.AvgPool2d(2)),
            PerStep(nn.Conv2d(w, 2 * w, 3, padding=1, bias=False)), PerStep(nn.BatchNorm2d(2 * w)), LIF(alpha=alpha),
            PerStep(nn.AvgPool2d(2)),
            PerStep(nn.Conv2d(2 * w, 4 * w, 3, padding=1, bias=False)), PerStep(nn.BatchNorm2d(4 * w)),
            LIF(alpha=alpha), PerStep(nn.AvgPool2d(2)))
        self.head = head
        self.classifier = nn.Linear(4 * w * (16 if head == "flatten" else 1), classes)

    def forward(self, images):
        current = self.stem(images)
        x = self.body(current.unsqueeze(0).expand(self.timesteps, *current.shape))
        x = x.flatten(2) if self.head == "flatten" else x.mean(dim=(3, 4))
        return self.classifier(x)  # [T, B, classes]


def initialise(model, scheme):
    if scheme == "kaiming-normal":
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                nn.init.normal_(m.weight, std=math.sqrt(2 / fan_in))
    # "torch": the layers' own reset_parameters, already applied.


def evaluate(model, images, labels):
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), 100):
            x = torch.from_numpy(normalise(images[start:start + 100]))
            correct += (model(x).mean(0).argmax(1).numpy() == labels[start:start + 100]).sum()
    model.train()
    return correct / len(images)


def train_torch(args, train, test, seed):
    torch.manual_seed(seed)
    generator = np.random.default_rng(seed)
    model = SmallVGG(args.width, 10, args.timesteps, args.head, args.alpha)
    initialise(model, args.init)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=args.weight_decay)
    images, labels = train
    batches = math.ceil(len(images) / args.batch_size)
    total = batches * args.epochs
    curve = []
    for epoch in range(args.epochs):
        order = generator.permutation(len(images))
        for index in range(batches):
            step = epoch * batches + index
            per_epoch = args.schedule == "epoch"
            progress = epoch / args.epochs if per_epoch else step / total
            for group in optimizer.param_groups:
                group["lr"] = args.lr * (1 + math.cos(math.pi * progress)) / 2
            chosen = order[index * args.batch_size:(index + 1) * args.batch_size]
            x = torch.from_numpy(normalise(augment(images[chosen], generator)))
            y = torch.from_numpy(labels[chosen])
            loss = F.cross_entropy(model(x).mean(0), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        curve.append(evaluate(model, *test))
        print(f"  pytorch seed {seed} epoch {epoch + 1}: test accuracy {100 * curve[-1]:.2f} %", flush=True)
    return curve


def train_ours(args, folder, train_count, test_count, seed):
    """Runs `snn-dqif train` with the same recipe in a scratch registry; returns its per-epoch test accuracy."""
    scratch = tempfile.mkdtemp(prefix="cifar-same-recipe-")
    data_root = tempfile.mkdtemp(prefix="cifar-same-recipe-data-")
    os.makedirs(os.path.join(data_root, "cifar10"))
    os.symlink(os.path.abspath(folder), os.path.join(data_root, "cifar10", "cifar-10-batches-bin"))
    sets = {
        "model.architecture": "small-vgg" if args.head == "flatten" else "small-vgg-gap",
        "model.width": args.width, "model.initialization": args.init, "timesteps": args.timesteps,
        "data.dataset": "cifar10", "data.trainSubset": train_count, "data.validationSubset": 0,
        "data.testSubset": test_count, "data.cropPadding": 4, "data.flip": "true", "data.cutout": 0,
        "training.epochs": args.epochs, "training.optimizer": "sgd", "training.learningRate": args.lr,
        "training.weightDecay": args.weight_decay, "training.batchSize": args.batch_size,
        "training.loss": "mean-output", "neuron.name": "lif", "neuron.surrogate": "atan",
        "neuron.sharpnessMode": "fixed", "neuron.sharpness": args.alpha, "seed": seed,
    }
    command = [args.ours, "train", "--preset", "cpu", "--registry", os.path.join(scratch, "registry.sqlite"),
               "--output-dir", os.path.join(scratch, "out"), "--data-dir", data_root]
    for key, value in sets.items():
        command += ["--set", f"{key}={value}"]
    process = subprocess.run(command, capture_output=True, text=True)
    if process.returncode != 0:
        sys.exit(f"snn-dqif train failed ({process.returncode}):\n{process.stderr[-3000:]}")
    # The per-epoch progress lines ("epoch 3/6  …  test/accuracy 0.85 …"), not the closing summary.
    lines = process.stdout + process.stderr
    curve = [float(m) for m in re.findall(r"^epoch \d+/\d+ .*?test/accuracy (\S+)", lines, re.M)]
    if len(curve) != args.epochs:
        sys.exit(f"expected {args.epochs} epoch lines with test/accuracy from snn-dqif, found {len(curve)}")
    for epoch, value in enumerate(curve):
        print(f"  ours    seed {seed} epoch {epoch + 1}: test accuracy {100 * value:.2f} %", flush=True)
    return curve


def percent(curve):
    return " ".join(f"{100 * v:.2f}" for v in curve)


def mean_curve(curves):
    return [statistics.mean(values) for values in zip(*curves)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder with data_batch_1..5.bin and test_batch.bin")
    parser.add_argument("--ours", help="the snn-dqif executable: also train the toolkit's network and compare")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--timesteps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--alpha", type=float, default=2.0, help="atan surrogate sharpness")
    parser.add_argument("--head", choices=["flatten", "global-average"], default="flatten")
    parser.add_argument("--init", choices=["torch", "kaiming-normal"], default="torch")
    parser.add_argument("--schedule", choices=["iteration", "epoch"], default="iteration")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--harden", type=float, help="train on a hardened copy of DIR with this pixel noise std")
    parser.add_argument("--bar", type=float, default=1.5,
                        help="allowed mean gap (points) over the last half of the epochs")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.harden is not None:
        args.data = harden(args.data, args.harden)

    train = read_split(args.data, [f"data_batch_{i}.bin" for i in range(1, 6)])
    test = read_split(args.data, ["test_batch.bin"])
    print(f"{args.data}: {len(train[0])} training and {len(test[0])} test images; small-vgg width {args.width}, "
          f"{args.head} head, T = {args.timesteps}, {args.epochs} epochs, init {args.init}, seeds {args.seeds}",
          flush=True)
    start = time.time()
    torch_curves = [train_torch(args, train, test, seed) for seed in args.seeds]
    torch_seconds = time.time() - start
    print(f"pytorch  mean test accuracy per epoch (%): {percent(mean_curve(torch_curves))}   ({torch_seconds:.0f} s)")
    if not args.ours:
        return
    start = time.time()
    our_curves = [train_ours(args, args.data, len(train[0]), len(test[0]), seed) for seed in args.seeds]
    our_seconds = time.time() - start
    ours, theirs = mean_curve(our_curves), mean_curve(torch_curves)
    print(f"pytorch  mean test accuracy per epoch (%): {percent(theirs)}   ({torch_seconds:.0f} s)")
    print(f"toolkit  mean test accuracy per epoch (%): {percent(ours)}   ({our_seconds:.0f} s)")
    half = args.epochs // 2
    gap = 100 * statistics.mean(t - o for t, o in zip(theirs[half:], ours[half:]))
    verdict = "within" if gap <= args.bar else "NOT within"
    print(f"last {args.epochs - half} epochs: PyTorch − toolkit = {gap:+.2f} points on average "
          f"({verdict} the {args.bar} point bar)")
    sys.exit(0 if gap <= args.bar else 1)


if __name__ == "__main__":
    main()
