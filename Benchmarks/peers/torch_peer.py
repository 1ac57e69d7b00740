"""PyTorch peers for snn-bench: the same cases, on the CPU, with the same thread count.

Run by snn-bench in the same invocation (never by tests). Prints one JSON line with median_ms.
"""
import argparse
import json
import statistics
import time

import torch


def measure(fn, warmup, iterations):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def conv2d(args):
    torch.manual_seed(2)
    x = torch.randn(32, 64, 32, 32, requires_grad=True)
    w = (torch.randn(64, 64, 3, 3) * 0.05).requires_grad_()

    def step():
        y = torch.nn.functional.conv2d(x, w, padding=1)
        y.sum().backward()
        x.grad = None
        w.grad = None

    return measure(step, args.warmup, args.iterations)


def elementwise(args):
    x = torch.rand(args.count) * 2 - 1

    def step():
        # Five separate ops, as in the Swift case.
        y = x * 1.5
        y = y + 0.5
        y = torch.tanh(y)
        y = y * x
        torch.relu(y)

    return measure(step, args.warmup, args.iterations)


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

    return measure(step, args.warmup, args.iterations)


CASES = {"cnn-step": cnn_step, "conv2d": conv2d, "elementwise": elementwise}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--count", type=int, default=16 * 1024 * 1024)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with torch.no_grad() if args.case == "elementwise" else torch.enable_grad():
        median = CASES[args.case](args)
    print(json.dumps({"case": args.case, "median_ms": median, "threads": args.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
