"""PyTorch reference for `neurodyn bench`: the NeuroGym/nn-brain tutorial CTRNN (or nn.GRU), eager.

Usage: python bench_torch.py '{"n_in":3,"n_rec":64,"n_out":3,"batch":16,"steps":100,"reps":20,"dale":false,"threads":1}'
"threads" (default 1) goes to torch.set_num_threads; `neurodyn bench` passes the engine's thread
count for the configuration, sets OMP_NUM_THREADS and MKL_NUM_THREADS to it and pins the process to
as many CPUs with taskset.
Prints one JSON line: {"median_ms": ..., "times_ms": [...]}. With "serve": true it instead reads a
number of steps per line on stdin and answers each with {"times_ms": [...]} (how `neurodyn bench`
interleaves it with the engine). One training step = forward over all time steps (a Python loop,
as in the tutorial), cross-entropy over every step, backward, Adam.
"""
import json
import sys
import time

import torch
import torch.nn as nn

cfg = json.loads(sys.argv[1])
torch.set_num_threads(int(cfg.get("threads", 1)))
torch.manual_seed(0)


class CTRNN(nn.Module):
    def __init__(self, n_in, n_rec, dt=20.0, tau=100.0, dale=False):
        super().__init__()
        self.n_rec = n_rec
        self.alpha = dt / tau
        self.input2h = nn.Linear(n_in, n_rec)
        self.h2h = nn.Linear(n_rec, n_rec)
        self.dale = dale
        if dale:
            n_exc = int(round(0.8 * n_rec))
            sign = torch.ones(n_rec)
            sign[n_exc:] = -1
            mask = torch.ones(n_rec, n_rec) - torch.eye(n_rec)
            self.register_buffer("mask", mask * sign[None, :])

    def forward(self, x):
        h = torch.zeros(x.shape[1], self.n_rec)
        w = torch.abs(self.h2h.weight) * self.mask if self.dale else self.h2h.weight
        out = []
        for t in range(x.shape[0]):
            pre = self.input2h(x[t]) + h @ w.t() + self.h2h.bias
            h = torch.relu(h * (1 - self.alpha) + pre * self.alpha)
            out.append(h)
        return torch.stack(out)


class Net(nn.Module):
    def __init__(self, n_in, n_rec, n_out, dale, gru):
        super().__init__()
        self.gru = gru
        self.rnn = nn.GRU(n_in, n_rec) if gru else CTRNN(n_in, n_rec, dale=dale)
        self.fc = nn.Linear(n_rec, n_out)

    def forward(self, x):
        h = self.rnn(x)[0] if self.gru else self.rnn(x)
        return self.fc(h)


crit = nn.CrossEntropyLoss()
if cfg.get("cnn"):
    # Seed 000's CNN on 1x28x28 images (the default of `neurodyn train --task Mnist`), Adam 1e-3.
    net = nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(784, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, cfg["n_out"]))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(cfg["batch"], 1, 28, 28)
    y = torch.randint(0, cfg["n_out"], (cfg["batch"],))
else:
    net = Net(cfg["n_in"], cfg["n_rec"], cfg["n_out"], cfg.get("dale", False), cfg.get("gru", False))
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    x = torch.randn(cfg["steps"], cfg["batch"], cfg["n_in"])
    y = torch.randint(0, cfg["n_out"], (cfg["steps"] * cfg["batch"],))


def step():
    opt.zero_grad()
    out = net(x)
    loss = crit(out.reshape(-1, cfg["n_out"]), y)
    loss.backward()
    opt.step()


for _ in range(3):
    step()


def warm(ms):
    # Untimed steps for at least `ms` milliseconds (at least one).
    t0 = time.perf_counter()
    step()
    while (time.perf_counter() - t0) * 1e3 < ms:
        step()


def timed(k):
    times = []
    for _ in range(k):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    return times


if cfg.get("serve"):
    # `neurodyn bench` alternates blocks of engine and reference steps: each line on stdin is a
    # number of steps to time; each answer is one JSON line. The first line says the import and
    # the warm-up steps are over, so that they never run beside the engine's timed steps. Each
    # block starts with `warm_ms` of untimed steps, as the engine's do: the first step after the
    # other side's block runs on a core that sat idle, with cold caches.
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        warm(cfg.get("warm_ms", 0.0))
        print(json.dumps({"times_ms": timed(int(line))}), flush=True)
else:
    times = sorted(timed(cfg["reps"]))
    print(json.dumps({"median_ms": times[len(times) // 2], "times_ms": times}))
