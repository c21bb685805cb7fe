#!/usr/bin/env python3
"""PyTorch CPU side of `brittle-bench`: the same workloads, timed the same way.

A benchmark reference only (never a test dependency). `brittle-bench` runs this script in the
same invocation as its own measurement and prints the ratio; it can also be run by hand:

    python bench.py train  --threads 2 --batch-size 128
    python bench.py attack --threads 2 --batch-size 128 --steps 10 --epsilon 0.1
    python bench.py invert --threads 2 --batch-size 250
    python bench.py epoch  --threads 2 --data-dir /usr/share/datasets/fashion-mnist

Each mode prints one JSON line. The models and loops mirror Brittle's: cnn-small (conv3x3->32,
ReLU, maxpool 2, conv3x3->64, ReLU, maxpool 2, linear->128, ReLU, linear->10), SGD with momentum
0.9 and weight decay 5e-4 on weights only, cosine learning rate per iteration; PGD-Linf with the
per-example best iterate kept; representation inversion by normalised L2 steps clamped to [0, 1].
Timing: one warm-up, batches sized to at least `--min-batch` seconds, best of `--repeats`.
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def cnn_small(classes=10):
    features = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU())
    return features, nn.Linear(128, classes)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.features, self.head = cnn_small()

    def forward(self, x):
        return self.head(self.features(x))


def sgd(model, lr):
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    plain = [p for n, p in model.named_parameters() if p.dim() <= 1]
    return torch.optim.SGD([{"params": decay, "weight_decay": 5e-4},
                            {"params": plain, "weight_decay": 0.0}], lr=lr, momentum=0.9)


def best_time(body, repeats, min_batch):
    """Best seconds per call: warm up, size a batch to `min_batch` seconds, keep the best batch."""
    body()
    t0 = time.perf_counter()
    body()
    reps = max(1, math.ceil(min_batch / max(time.perf_counter() - t0, 1e-9)))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(reps):
            body()
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def random_images(n, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 10


def bench_train(a):
    model = Classifier().train()
    opt = sgd(model, 0.01)
    x, y = random_images(a.batch_size * 8)
    state = {"i": 0}

    def step():
        i = state["i"] % 8
        state["i"] += 1
        xb, yb = x[i * a.batch_size:(i + 1) * a.batch_size], y[i * a.batch_size:(i + 1) * a.batch_size]
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(xb), yb).backward()
        opt.step()

    for _ in range(3):
        step()
    t = best_time(lambda: [step() for _ in range(a.steps)], a.repeats, a.min_batch) / a.steps
    return {"seconds_per_step": t, "images_per_second": a.batch_size / t}


def bench_attack(a):
    model = Classifier().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    g = torch.Generator().manual_seed(3)
    x = (torch.rand(a.batch_size, 1, 28, 28, generator=g) - 0.5) + 0.5
    y = torch.arange(a.batch_size) % 10
    eps, alpha = a.epsilon, 2.5 * a.epsilon / a.steps

    def pgd():
        xa = x.clone()
        best, best_loss = x.clone(), torch.full((a.batch_size,), -float("inf"))
        for _ in range(a.steps):
            xa.requires_grad_(True)
            losses = F.cross_entropy(model(xa), y, reduction="none")
            grad, = torch.autograd.grad(losses.sum(), xa)
            with torch.no_grad():
                better = losses > best_loss
                best[better] = xa[better]
                best_loss = torch.where(better, losses, best_loss)
                xa = xa + alpha * grad.sign()
                xa = torch.min(torch.max(xa, x - eps), x + eps).clamp(0, 1)
        with torch.no_grad():
            losses = F.cross_entropy(model(xa), y, reduction="none")
            better = losses > best_loss
            best[better] = xa[better]
            model(best).argmax(1)

    t = best_time(pgd, a.repeats, a.min_batch)
    return {"seconds_per_batch": t, "images_per_second": a.batch_size / t}


def bench_invert(a):
    """`a.steps` inversion steps as invert-representation runs them: the best iterate of each
    example is kept, and a last forward pass scores the final iterate."""
    model = Classifier().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x, _ = random_images(2 * a.batch_size, seed=5)
    target = model.features(x[:a.batch_size])

    def invert():
        xr = x[a.batch_size:].clone()
        best, best_loss = xr.clone(), torch.full((a.batch_size,), float("inf"))
        for _ in range(a.steps):
            xr.requires_grad_(True)
            loss = ((model.features(xr) - target) ** 2).sum(1)
            grad, = torch.autograd.grad(loss.sum(), xr)
            with torch.no_grad():
                better = loss < best_loss
                best[better] = xr[better]
                best_loss = torch.where(better, loss, best_loss)
                n = grad.flatten(1).norm(dim=1).clamp_min(1e-30).view(-1, 1, 1, 1)
                xr = (xr - 0.1 * grad / n).clamp(0, 1)
        with torch.no_grad():
            loss = ((model.features(xr) - target) ** 2).sum(1)
            better = loss < best_loss
            best[better] = xr[better]

    t = best_time(invert, a.repeats, a.min_batch) / a.steps
    return {"seconds_per_step": t, "images_per_second": a.batch_size / t}


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).view(*shape)


def bench_epoch(a):
    """One whole epoch as `brittle train --epochs 1` runs it: load, train, test, save."""
    t0 = time.perf_counter()
    d = a.data_dir
    xtr = read_idx(os.path.join(d, "train-images-idx3-ubyte.gz")).float().div_(255).unsqueeze(1)
    ytr = read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz")).long()
    xte = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz")).float().div_(255).unsqueeze(1)
    yte = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).long()
    torch.manual_seed(0)
    model = Classifier().train()
    opt = sgd(model, 0.05)
    n, bs = len(xtr), a.batch_size
    steps = math.ceil(n / bs)
    order = torch.randperm(n)
    for i in range(steps):
        for group in opt.param_groups:
            group["lr"] = 0.05 * 0.5 * (1 + math.cos(math.pi * i / steps))
        idx = order[i * bs:(i + 1) * bs]
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        correct = sum((model(xte[i:i + 500]).argmax(1) == yte[i:i + 500]).sum().item()
                      for i in range(0, len(xte), 500))
    if a.out:
        torch.save(model.state_dict(), a.out)
    return {"seconds": time.perf_counter() - t0, "test_accuracy": correct / len(xte)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["train", "attack", "invert", "epoch", "version"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--epsilon", type=float, default=0.1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--min-batch", type=float, default=0.3)
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--out", default=None)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    defaults = {"train": (128, 40), "attack": (128, 10), "invert": (250, 10), "epoch": (128, 0)}
    bs, steps = defaults.get(a.mode, (128, 1))
    a.batch_size = a.batch_size or bs
    a.steps = a.steps or steps
    info = {"torch": torch.__version__, "threads": torch.get_num_threads(),
            "isa": torch.backends.cpu.get_cpu_capability()}
    if a.mode != "version":
        info.update({"train": bench_train, "attack": bench_attack,
                     "invert": bench_invert, "epoch": bench_epoch}[a.mode](a))
    print(json.dumps(info))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
