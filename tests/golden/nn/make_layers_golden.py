"""Golden values for the engine's feed-forward layers (crates/neurodyn-nn/src/layers) from PyTorch.

Run: .venv/bin/python tests/golden/nn/make_layers_golden.py  (needs torch; writes layers.json here)

Inputs, parameters and output gradients are closed-form sequences, so the Rust test rebuilds them
without reading arrays: x[i] = sin(0.37 i + 0.11), θ[i] = 0.3 cos(0.23 i + 0.7) (weight then
bias, PyTorch's layouts), dy[i] = sin(0.19 i + 0.5). Everything in float64. For each case the
file holds the output y, and dx, d_weight, d_bias from backpropagating dy (sum(y * dy)).
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


def case(name, layer, batch, in_shape, spec):
    x = xs(batch * math.prod(in_shape)).reshape(batch, *in_shape).requires_grad_(True)
    params = list(layer.parameters())
    n_params = sum(p.numel() for p in params)
    theta = thetas(n_params)
    with torch.no_grad():
        off = 0
        for p in params:
            p.copy_(theta[off:off + p.numel()].reshape(p.shape))
            off += p.numel()
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
    return out


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
    case("global_avgpool", nn.AdaptiveAvgPool2d(1), 2, (3, 4, 5), {"kind": "global-avgpool"}),
    case("relu", nn.ReLU(), 2, (2, 3, 3), {"kind": "relu"}),
    case("tanh", nn.Tanh(), 1, (3, 2, 2), {"kind": "tanh"}),
]
out = {"torch": torch.__version__, "cases": cases}
path = pathlib.Path(__file__).with_name("layers.json")
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path} ({len(cases)} cases)")
