#!/usr/bin/env python3
"""A benchmark peer for `npm run bench -- --peers`: trains the same networks as
digitnet's bench, in numpy (matrix form, float32, whatever BLAS numpy has) or
PyTorch (CPU, float32), on the same MNIST images, and reports samples per
second. Not part of digitnet: a yardstick. Speaks JSON lines on stdin/stdout
so the bench can interleave it with digitnet's own runs:

    in:  {"net": "784-30-10", "batch": 10, "seconds": 1}
         {"net": "conv 20 5x5 relu, pool 2, ..., softmax 10", "batch": 10, "seconds": 1, "lambda": 0.1}
    out: {"samples_per_second": 123456.7}

Usage: trainer.py numpy|torch THREADS MNIST_DIR. The thread count must also be
in the environment (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS) before numpy loads:
the bench sets it. The step is the one digitnet times: gather a shuffled
mini-batch (bytes to [0, 1]), feedforward, backprop, and the SGD update
(w <- w - (eta/m) grad, with L2 (1 - eta*lambda/n) when given)."""

import json
import os
import sys
import time

FRAMEWORK, THREADS, MNIST = sys.argv[1], int(sys.argv[2]), sys.argv[3]

import numpy as np  # noqa: E402  (after the thread count is in the environment)


def idx(path, header):
    with open(path, "rb") as f:
        data = f.read()
    return np.frombuffer(data, dtype=np.uint8, offset=header)


IMAGES = idx(os.path.join(MNIST, "train-images-idx3-ubyte"), 16).reshape(-1, 784)[:50000]
LABELS = idx(os.path.join(MNIST, "train-labels-idx1-ubyte"), 8)[:50000]
ORDER = np.random.RandomState(1).permutation(len(LABELS))


class Batches:
    def __init__(self, m):
        self.m, self.at = m, 0

    def next(self):
        if self.at + self.m > len(ORDER):
            self.at = 0
        pick = ORDER[self.at:self.at + self.m]
        self.at += self.m
        return pick


class NumpyFc:
    """network.py's network in matrix form: sigmoid layers, quadratic cost, one sample per column."""

    def __init__(self, sizes, m):
        rs = np.random.RandomState(1)
        self.w = [rs.randn(o, i).astype(np.float32) for i, o in zip(sizes[:-1], sizes[1:])]
        self.b = [rs.randn(o, 1).astype(np.float32) for o in sizes[1:]]
        self.batches, self.m = Batches(m), m
        self.eye = np.eye(10, dtype=np.float32)

    def step(self, eta=0.1):
        pick = self.batches.next()
        x = IMAGES[pick].T.astype(np.float32) / np.float32(255)
        y = self.eye[:, LABELS[pick]]
        acts = [x]
        for w, b in zip(self.w, self.b):
            acts.append(1 / (1 + np.exp(-(w @ acts[-1] + b))))
        delta = (acts[-1] - y) * acts[-1] * (1 - acts[-1])  # BP1, quadratic cost
        k = np.float32(eta / self.m)
        for l in range(len(self.w) - 1, -1, -1):
            gw = delta @ acts[l].T  # BP4
            gb = delta.sum(axis=1, keepdims=True)  # BP3
            if l > 0:
                delta = (self.w[l].T @ delta) * acts[l] * (1 - acts[l])  # BP2
            self.w[l] -= k * gw
            self.b[l] -= k * gb


def torch_model(spec, torch):
    nn = torch.nn
    layers, shape = [], (1, 28, 28)
    acts = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
    for part in [p.strip() for p in spec.split(",")]:
        w = part.split()
        if w[0] == "conv":
            k = int(w[2].split("x")[0])
            layers += [nn.Conv2d(shape[0], int(w[1]), k), acts[w[3] if len(w) > 3 else "sigmoid"]()]
            shape = (int(w[1]), shape[1] - k + 1, shape[2] - k + 1)
        elif w[0] == "pool":
            layers.append(nn.MaxPool2d(2))
            shape = (shape[0], shape[1] // 2, shape[2] // 2)
        elif w[0] == "dropout":
            layers.append(nn.Dropout(float(w[1])))
        elif w[0] in ("fc", "softmax", "sigmoid"):
            if len(shape) == 3:
                layers.append(nn.Flatten())
            n_in = shape[0] * shape[1] * shape[2] if len(shape) == 3 else shape[0]
            layers.append(nn.Linear(n_in, int(w[1])))
            if w[0] == "fc":
                layers.append(acts[w[2] if len(w) > 2 else "sigmoid"]())
            elif w[0] == "sigmoid":
                layers.append(nn.Sigmoid())
            shape = (int(w[1]),)
    return nn.Sequential(*layers), spec.split(",")[-1].split()[0] == "softmax"


class TorchNet:
    def __init__(self, spec, m, lam):
        import torch
        self.torch = torch
        torch.manual_seed(1)
        if spec[0].isdigit():  # 784-30-10: sigmoid layers, quadratic cost, as digitnet's bench
            sizes = [int(s) for s in spec.split("-")]
            spec = ", ".join([f"fc {s} sigmoid" for s in sizes[1:-1]] + [f"sigmoid {sizes[-1]}"])
            self.image = False
        else:
            self.image = True
        self.model, self.softmax = torch_model(spec, torch)
        self.batches, self.m, self.lam = Batches(m), m, lam
        self.images = torch.from_numpy(IMAGES.copy())
        self.labels = torch.from_numpy(LABELS.astype(np.int64))

    def step(self, eta=0.1):
        torch = self.torch
        pick = torch.from_numpy(self.batches.next())
        x = self.images[pick].float() / 255
        if self.image:
            x = x.view(-1, 1, 28, 28)
        label = self.labels[pick]
        out = self.model(x)
        if self.softmax:
            loss = torch.nn.functional.cross_entropy(out, label, reduction="sum")
        else:
            y = torch.nn.functional.one_hot(label, 10).float()
            loss = 0.5 * ((out - y) ** 2).sum()
        self.model.zero_grad(set_to_none=False)
        loss.backward()
        with torch.no_grad():
            decay = 1 - eta * self.lam / 50000
            for p in self.model.parameters():
                if self.lam and p.dim() > 1:
                    p.mul_(decay)
                p.add_(p.grad, alpha=-eta / self.m)


def main():
    if FRAMEWORK == "torch":
        import torch
        torch.set_num_threads(THREADS)
    nets = {}
    for line in sys.stdin:
        req = json.loads(line)
        key = (req["net"], req["batch"])
        if key not in nets:
            if FRAMEWORK == "numpy":
                if not req["net"][0].isdigit():
                    print(json.dumps({"error": "numpy trains fully-connected nets only"}), flush=True)
                    continue
                nets[key] = NumpyFc([int(s) for s in req["net"].split("-")], req["batch"])
            else:
                nets[key] = TorchNet(req["net"], req["batch"], req.get("lambda", 0))
            net = nets[key]
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < 0.3:  # warm up
                net.step()
        net = nets[key]
        steps, t0 = 0, time.perf_counter()
        while True:
            net.step()
            steps += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= req["seconds"]:
                break
        print(json.dumps({"samples_per_second": steps * req["batch"] / elapsed}), flush=True)


main()
