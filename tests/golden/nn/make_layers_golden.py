"""Golden values for the engine's feed-forward layers (crates/neurodyn-nn/src/layers) from PyTorch.

Run: .venv/bin/python tests/golden/nn/make_layers_golden.py  (needs torch; writes layers.json here)

Inputs, parameters and output gradients are closed-form sequences, so the Rust test rebuilds them
without reading arrays: x[i] = sin(0.37 i + 0.11), θ[i] = 0.3 cos(0.23 i + 0.7) (weight then
bias, PyTorch's layouts), dy[i] = sin(0.19 i + 0.5). Everything in float64. For each case the
file holds the output y, and dx, d_weight, d_bias from backpropagating dy (sum(y * dy)).

Batch norm cases (BatchNorm1d over (N, C), BatchNorm2d over (N, C, H, W)) run in training mode
from PyTorch's initial buffers, recording the buffers after the step (running_mean, running_var,
num_batches_tracked), or in evaluation mode from the closed-form running statistics
running_mean[c] = 0.2 sin(c + 1), running_var[c] = 0.5 + 0.3 c. Weight-normalised layers
(torch.nn.utils.weight_norm, dim=0) take θ in the engine's order weight_g, weight_v, bias, and
report their gradients in that order.
"""
import json
import math
import pathlib

import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)


def seq(n, f):
    return torch.tensor([f(i) for i in range(n)])


def xs(n):
    return seq(n, lambda i: math.sin(0.37 * i + 0.11))


def thetas(n):
    return seq(n, lambda i: 0.3 * math.cos(0.23 * i + 0.7))


def dys(n):
    return seq(n, lambda i: math.sin(0.19 * i + 0.5))


def case(name, layer, batch, in_shape, spec, params=None, training=None, buffers=None):
    x = xs(batch * math.prod(in_shape)).reshape(batch, *in_shape).requires_grad_(True)
    params = list(layer.parameters()) if params is None else params
    n_params = sum(p.numel() for p in params)
    theta = thetas(n_params)
    with torch.no_grad():
        off = 0
        for p in params:
            p.copy_(theta[off:off + p.numel()].reshape(p.shape))
            off += p.numel()
    bufs = list(layer.buffers())
    if buffers is not None:
        with torch.no_grad():
            off = 0
            for b in bufs:
                b.copy_(torch.tensor(buffers[off:off + b.numel()]).reshape(b.shape))
                off += b.numel()
    if training is not None:
        layer.train(training)
    buffers_in = [v for b in bufs for v in b.double().flatten().tolist()]
    y = layer(x)
    dy = dys(y.numel()).reshape(y.shape)
    (y * dy).sum().backward()
    out = {
        "name": name,
        "spec": spec,
        "batch": batch,
        "in_shape": list(in_shape),
        "out_shape": list(y.shape[1:]),
        "y": y.detach().flatten().tolist(),
        "dx": x.grad.flatten().tolist(),
        "d_params": [v for p in params for v in p.grad.flatten().tolist()],
    }
    if training is not None:
        out["training"] = training
        out["buffers_in"] = buffers_in
        out["buffers_out"] = [v for b in bufs for v in b.double().flatten().tolist()]
    return out


def running(c):
    """Closed-form running statistics of c channels, then num_batches_tracked."""
    return ([0.2 * math.sin(i + 1) for i in range(c)] + [0.5 + 0.3 * i for i in range(c)]
            + [7.0])


def wn(layer):
    layer = torch.nn.utils.weight_norm(layer, dim=0)
    params = [layer.weight_g, layer.weight_v] + ([layer.bias] if layer.bias is not None else [])
    return layer, params


cases = [
    case("linear", nn.Sequential(nn.Flatten(), nn.Linear(12, 5)), 3, (3, 2, 2),
         {"kind": "linear", "out": 5, "bias": True}),
    case("linear_nobias", nn.Sequential(nn.Flatten(), nn.Linear(6, 4, bias=False)), 2, (6, 1, 1),
         {"kind": "linear", "out": 4, "bias": False}),
    case("conv3x3_pad1", nn.Conv2d(2, 3, 3, padding=1), 2, (2, 5, 6),
         {"kind": "conv2d", "out": 3, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1],
          "dilation": [1, 1], "bias": True}),
    case("conv_strided_dilated", nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 2),
                                           dilation=(1, 2), bias=False), 2, (2, 7, 6),
         {"kind": "conv2d", "out": 4, "kernel": [3, 2], "stride": [2, 1], "padding": [1, 2],
          "dilation": [1, 2], "bias": False}),
    case("conv7x7_s2", nn.Conv2d(1, 2, 7, stride=2, padding=3), 1, (1, 11, 9),
         {"kind": "conv2d", "out": 2, "kernel": [7, 7], "stride": [2, 2], "padding": [3, 3],
          "dilation": [1, 1], "bias": True}),
    case("maxpool2", nn.MaxPool2d(2), 2, (3, 5, 6), {"kind": "maxpool2d", "k": 2, "pool_stride": 2}),
    case("maxpool3_s2", nn.MaxPool2d(3, stride=2), 1, (2, 7, 7),
         {"kind": "maxpool2d", "k": 3, "pool_stride": 2}),
    case("avgpool3_s2", nn.AvgPool2d(3, stride=2), 2, (2, 7, 8),
         {"kind": "avgpool2d", "k": 3, "pool_stride": 2}),
    case("avgpool3_s2_pad1", nn.AvgPool2d(3, stride=2, padding=1), 2, (2, 7, 8),
         {"kind": "avgpool2d", "k": 3, "pool_stride": 2, "pool_padding": 1}),
    case("global_avgpool", nn.AdaptiveAvgPool2d(1), 2, (3, 4, 5), {"kind": "global-avgpool"}),
    case("relu", nn.ReLU(), 2, (2, 3, 3), {"kind": "relu"}),
    case("tanh", nn.Tanh(), 1, (3, 2, 2), {"kind": "tanh"}),
    case("batchnorm1d_train", nn.BatchNorm1d(5), 4, (5,), {"kind": "batchnorm"}, training=True),
    case("batchnorm2d_train", nn.BatchNorm2d(3), 3, (3, 4, 5), {"kind": "batchnorm"},
         training=True),
    case("batchnorm1d_eval", nn.BatchNorm1d(4), 3, (4,), {"kind": "batchnorm"},
         training=False, buffers=running(4)),
    case("batchnorm2d_eval", nn.BatchNorm2d(2), 2, (2, 3, 3), {"kind": "batchnorm"},
         training=False, buffers=running(2)),
]
lin_wn, lin_wn_params = wn(nn.Linear(12, 5))
lin_wn_nb, lin_wn_nb_params = wn(nn.Linear(6, 3, bias=False))
conv_wn, conv_wn_params = wn(nn.Conv2d(2, 3, 3, padding=1))
conv_wn_s, conv_wn_s_params = wn(nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 2),
                                           dilation=(1, 2), bias=False))
cases += [
    case("linear_weight_norm", nn.Sequential(nn.Flatten(), lin_wn), 3, (3, 2, 2),
         {"kind": "linear", "out": 5, "bias": True, "weight_norm": True}, params=lin_wn_params),
    case("linear_weight_norm_nobias", nn.Sequential(nn.Flatten(), lin_wn_nb), 2, (6, 1, 1),
         {"kind": "linear", "out": 3, "bias": False, "weight_norm": True},
         params=lin_wn_nb_params),
    case("conv3x3_weight_norm", conv_wn, 2, (2, 5, 6),
         {"kind": "conv2d", "out": 3, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1],
          "dilation": [1, 1], "bias": True, "weight_norm": True}, params=conv_wn_params),
    case("conv_strided_weight_norm", conv_wn_s, 2, (2, 7, 6),
         {"kind": "conv2d", "out": 4, "kernel": [3, 2], "stride": [2, 1], "padding": [1, 2],
          "dilation": [1, 2], "bias": False, "weight_norm": True}, params=conv_wn_s_params),
]
path = pathlib.Path(__file__).with_name("layers.json")


def close(a, b):
    """Whether two cases differ only by rounding (≤ 1e-13 of the largest magnitude)."""
    if {k: v for k, v in a.items() if not isinstance(v, list) or k.endswith("shape")} != \
            {k: v for k, v in b.items() if not isinstance(v, list) or k.endswith("shape")}:
        return False
    for k, v in a.items():
        if isinstance(v, list) and not k.endswith("shape"):
            w = b.get(k, [])
            if len(v) != len(w):
                return False
            scale = max([abs(t) for t in w] + [1e-300])
            if any(abs(s - t) > 1e-13 * scale for s, t in zip(v, w)):
                return False
    return True


# A case already committed keeps its numbers when the new ones differ only in the last bits
# (matrix products round differently from one CPU to the next), so that a rerun to add cases
# does not rewrite the others.
old = {}
torch_version = torch.__version__
if path.exists():
    committed = json.loads(path.read_text())
    old = {c["name"]: c for c in committed["cases"]}
    torch_version = committed.get("torch", torch_version)
cases = [old[c["name"]] if c["name"] in old and close(c, old[c["name"]]) else c for c in cases]
kept = sum(c is old.get(c["name"]) for c in cases)
out = {"torch": torch_version, "cases": cases}
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path} ({len(cases)} cases, {kept} kept as committed)")
