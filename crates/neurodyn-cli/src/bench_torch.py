"""PyTorch reference for `neurodyn bench`: the NeuroGym/nn-brain tutorial CTRNN (or nn.GRU), eager.

Usage: python bench_torch.py '{"n_in":3,"n_rec":64,"n_out":3,"batch":16,"steps":100,"reps":20,"dale":false,"threads":1}'
"threads" (default 1) goes to torch.set_num_threads; `neurodyn bench` passes the engine's thread
count for the configuration, sets OMP_NUM_THREADS and MKL_NUM_THREADS to it and pins the process to
as many CPUs with taskset.
Prints one JSON line: {"median_ms": ..., "times_ms": [...]}. With "serve": true it instead reads a
number of steps per line on stdin and answers each with {"times_ms": [...]} (how `neurodyn bench`
interleaves it with the engine). One training step = forward over all time steps (a Python loop,
as in the tutorial), cross-entropy over every step, backward, Adam.

With "cnn": true the network is seed 000's CNN instead (one step: forward, cross-entropy,
backward, Adam 1e-3). With "crnn": {...} it is the default `conv-ctrnn` recipe's network
(crates/neurodyn-nn/src/layers/conv_ctrnn, two areas, readout `last`) on random 1x28x28 images,
the recipe's numbers in the object (`neurodyn bench` fills them from the recipe):

  stem    s  = avgpool_pool(conv_stem(x))                 (no bias)
  area 0  r0 <- (1 - a) r0 + a relu(rec0(r0) + b0 + ff0(s))
  area 1  r1 <- (1 - a) r1 + a relu(rec1(r1) + b1 + ff1(relu(r0) + skip0(s)))
  logits  fc(mean_hw(relu(r1)))

every convolution without bias (rec and ff 3x3 pad 1, ff1 and skip0 with area 0's / area 1's
strides as in the engine), b0, b1 one value per unit starting at zero, both areas reading the
previous step's states. One step, as `ConvRnnNet::loss_grad` and an optimizer update: the
spontaneous state under a blank image from rest, batch of one, `spont_steps` steps under
torch.no_grad; from it (broadcast to the batch) `steps` steps with the images, s, ff0(s) + b0 and
skip0(s) computed once (the image does not change); the loss sum_k w_k CE_k over the last
len(w) steps (`loss_weights`, the log ramp); backward through time; Adam at `lr`.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

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


class ConvCTRNN(nn.Module):
    """The default conv-ctrnn recipe's network (two areas, readout `last`); see the docstring."""

    def __init__(self, spec, n_out):
        super().__init__()
        (c_s, k_s, stride_s, pad_s, self.pool), ((c0, st0), (c1, st1)) = spec["stem"], spec["areas"]
        # Map sides: the stem's convolution, its pool, area 0, area 1.
        h = (28 + 2 * pad_s - k_s) // stride_s + 1
        h0 = (h // self.pool - 1) // st0 + 1
        h1 = (h0 - 1) // st1 + 1
        self.alpha = spec["alpha"]
        self.stem = nn.Conv2d(1, c_s, k_s, stride_s, pad_s, bias=False)
        self.ff0 = nn.Conv2d(c_s, c0, 3, st0, 1, bias=False)
        self.skip0 = nn.Conv2d(c_s, c0, 3, st0, 1, bias=False)
        self.rec0 = nn.Conv2d(c0, c0, 3, 1, 1, bias=False)
        self.b0 = nn.Parameter(torch.zeros(c0, h0, h0))
        self.ff1 = nn.Conv2d(c0, c1, 3, st1, 1, bias=False)
        self.rec1 = nn.Conv2d(c1, c1, 3, 1, 1, bias=False)
        self.b1 = nn.Parameter(torch.zeros(c1, h1, h1))
        self.fc = nn.Linear(c1, n_out)

    def run(self, x, r0, r1, steps, n_read):
        """`steps` steps from (r0, r1) with the images x; the logits of the last n_read steps."""
        s = self.stem(x)
        if self.pool > 1:
            s = F.avg_pool2d(s, self.pool)
        u0 = self.ff0(s) + self.b0
        k0 = self.skip0(s)
        a = self.alpha
        logits = []
        for t in range(steps):
            z0 = self.rec0(r0) + u0
            z1 = self.rec1(r1) + self.b1 + self.ff1(torch.relu(r0) + k0)
            r0 = (1 - a) * r0 + a * torch.relu(z0)
            r1 = (1 - a) * r1 + a * torch.relu(z1)
            if t >= steps - n_read:
                logits.append(self.fc(torch.relu(r1).mean(dim=(2, 3))))
        return logits, r0, r1

    def spontaneous(self, spont_steps):
        """The state after `spont_steps` steps from rest under a blank image, batch of one."""
        r0 = torch.zeros(1, *self.b0.shape)
        r1 = torch.zeros(1, *self.b1.shape)
        if spont_steps > 0:
            _, r0, r1 = self.run(torch.zeros(1, 1, 28, 28), r0, r1, spont_steps, 0)
        return r0, r1


crit = nn.CrossEntropyLoss()
if cfg.get("crnn"):
    spec = cfg["crnn"]
    net = ConvCTRNN(spec, cfg["n_out"])
    opt = torch.optim.Adam(net.parameters(), lr=spec["lr"])
    x = torch.randn(cfg["batch"], 1, 28, 28)
    y = torch.randint(0, cfg["n_out"], (cfg["batch"],))
elif cfg.get("cnn"):
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
    if cfg.get("crnn"):
        with torch.no_grad():
            r0, r1 = net.spontaneous(spec["spont_steps"])
        b = x.shape[0]
        w = spec["loss_weights"]
        logits, _, _ = net.run(x, r0.expand(b, -1, -1, -1), r1.expand(b, -1, -1, -1),
                               spec["steps"], len(w))
        loss = sum(wk * crit(lk, y) for wk, lk in zip(w, logits))
    else:
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
