#!/usr/bin/env python3
"""Reference forward passes of neurodyn's recurrent cells, computed with PyTorch in float64.

Writes one JSON file per case next to this script. Each file holds the sizes, the inputs
(time-major, (T, B, n_in), flattened row-major), the initial state, every weight in PyTorch's own
layout and names, and the expected hidden states (T, B, H) and final state. The Rust test
`crates/neurodyn-nn/tests/golden_torch.rs` maps these weights onto neurodyn's cells explicitly and
compares.

Cases:
  rnn_tanh, rnn_relu      nn.RNN
  gru                     nn.GRU
  lstm                    nn.LSTM
  ctrnn_{rate,tutorial,state}[_softplus]
                          hand-written CTRNN loops (nn-brain, NeuroGym tutorial, Song et al. 2016)
  light_gru, light_gru_enu, light_gru_ei
                          the light-GRU of seed 001 §2.1 (nn.BatchNorm1d per step), one training
                          forward (batch statistics; running statistics updated) then one
                          evaluation forward (running statistics)

Run from anywhere:  python3 tests/golden/nn/make_golden.py   (needs numpy and torch)
"""

import json
import os

import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)
OUT = os.path.dirname(os.path.abspath(__file__))
T, B, N_IN, H = 7, 3, 3, 5


def flat(x):
    return [float(v) for v in x.detach().reshape(-1).tolist()]


def inputs(seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(T, B, N_IN, generator=g), torch.randn(B, H, generator=g) * 0.5


def write(name, case):
    case["torch_version"] = torch.__version__
    case.update({"n_steps": T, "batch": B, "n_in": N_IN, "n_rec": H})
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(case, f)
    print("wrote", name)


def rnn_case(nonlinearity, seed):
    torch.manual_seed(seed)
    m = nn.RNN(N_IN, H, nonlinearity=nonlinearity)
    x, h0 = inputs(seed + 1)
    with torch.no_grad():
        out, hn = m(x, h0.unsqueeze(0))
    params = {k: flat(v) for k, v in m.named_parameters()}
    write(f"rnn_{nonlinearity}", {
        "model": "rnn", "activation": nonlinearity, "inputs": flat(x), "h0": flat(h0),
        "params": params, "rates": flat(out), "final_h": flat(hn),
    })


def gru_case(seed):
    torch.manual_seed(seed)
    m = nn.GRU(N_IN, H)
    x, h0 = inputs(seed + 1)
    with torch.no_grad():
        # Larger weights so the gates leave their linear range.
        for p in m.parameters():
            p.mul_(2.0)
        out, hn = m(x, h0.unsqueeze(0))
    params = {k: flat(v) for k, v in m.named_parameters()}
    write("gru", {"model": "gru", "inputs": flat(x), "h0": flat(h0), "params": params,
                  "rates": flat(out), "final_h": flat(hn)})


def lstm_case(seed):
    torch.manual_seed(seed)
    m = nn.LSTM(N_IN, H)
    x, h0 = inputs(seed + 1)
    c0 = torch.randn(B, H, generator=torch.Generator().manual_seed(seed + 2))
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(2.0)
        out, (hn, cn) = m(x, (h0.unsqueeze(0), c0.unsqueeze(0)))
    params = {k: flat(v) for k, v in m.named_parameters()}
    write("lstm", {"model": "lstm", "inputs": flat(x), "h0": flat(h0), "c0": flat(c0),
                   "params": params, "rates": flat(out), "final_h": flat(hn), "final_c": flat(cn)})


class CTRNN(nn.Module):
    """The CTRNN of the nn-brain / NeuroGym tutorials, in three Euler forms."""

    def __init__(self, form, act, dt, tau):
        super().__init__()
        self.form, self.act = form, act
        self.alpha = dt / tau
        self.input2h = nn.Linear(N_IN, H)
        self.h2h = nn.Linear(H, H)

    def forward(self, x, s):
        a, f = self.alpha, self.act
        rates = []
        for t in range(x.shape[0]):
            if self.form == "rate":
                s = (1 - a) * s + a * f(self.input2h(x[t]) + self.h2h(s))
                r = s
            elif self.form == "tutorial":
                s = f((1 - a) * s + a * (self.input2h(x[t]) + self.h2h(s)))
                r = s
            else:  # state: x ← (1−α) x + α (W_rec f(x) + W_in u + b), r = f(x)
                s = (1 - a) * s + a * (self.h2h(f(s)) + self.input2h(x[t]))
                r = f(s)
            rates.append(r)
        return torch.stack(rates), s


def ctrnn_case(form, act_name, seed):
    torch.manual_seed(seed)
    dt = 20.0
    tau = torch.tensor([40.0, 60.0, 100.0, 150.0, 200.0])
    act = {"relu": torch.relu, "softplus": nn.functional.softplus, "tanh": torch.tanh}[act_name]
    m = CTRNN(form, act, dt, tau)
    x, s0 = inputs(seed + 1)
    with torch.no_grad():
        m.h2h.weight.mul_(3.0)
        m.input2h.weight.mul_(2.0)
        if form != "state":
            s0 = s0.abs()  # rates of a ReLU network are non-negative
        out, sn = m(x, s0)
    params = {k: flat(v) for k, v in m.named_parameters()}
    name = f"ctrnn_{form}" + ("" if act_name == "relu" else f"_{act_name}")
    write(name, {"model": "ctrnn", "form": form, "activation": act_name, "dt_ms": dt,
                 "tau_ms": flat(tau), "inputs": flat(x), "h0": flat(s0), "params": params,
                 "rates": flat(out), "final_h": flat(sn)})


class LightGRU(nn.Module):
    """Seed 001 §2.1: light-GRU, optionally ENU (eq. 15-17) or EI (eq. 18, create_ei_mask)."""

    def __init__(self, embed=0, e_size=None):
        super().__init__()
        self.embed = embed
        self.Wzx = nn.Parameter(torch.randn(H, N_IN) * 0.8)
        self.Uz = nn.Parameter(torch.randn(H, H) * 0.4)
        self.Uh = nn.Parameter(torch.randn(H, H) * 0.4)
        if embed:
            self.Whx_hat = nn.Parameter(torch.randn(H * embed, N_IN) * 0.8)
            self.b_hat = nn.Parameter(torch.randn(H * embed) * 0.3)
            self.W_hat_h = nn.Parameter(torch.randn(H, H * embed) * 0.8)
            mask = torch.zeros(H, H * embed)
            for i in range(H):
                mask[i, i * embed:(i + 1) * embed] = 1.0
            self.register_buffer("emb_mask", mask)
        else:
            self.Whx = nn.Parameter(torch.randn(H, N_IN) * 0.8)
        if e_size is not None:
            # The seed's signed mask; with non-negative U_h this is Dale's law with |U_h|.
            mask = torch.ones(H, H) - torch.eye(H)
            mask[:, e_size:] *= -1
            with torch.no_grad():
                self.Uh.abs_()
        else:
            mask = torch.ones(H, H)
        self.register_buffer("ei_mask", mask)
        self.bn_z = nn.BatchNorm1d(H)
        self.bn_h = nn.BatchNorm1d(H)
        with torch.no_grad():
            for bn in (self.bn_z, self.bn_h):
                bn.weight.copy_(1.0 + 0.3 * torch.randn(H))
                bn.bias.copy_(0.3 * torch.randn(H))

    def forward(self, x, h):
        out = []
        for t in range(x.shape[0]):
            if self.embed:
                e = torch.relu(x[t] @ self.Whx_hat.T + self.b_hat)
                a_h = e @ (self.W_hat_h * self.emb_mask).T
            else:
                a_h = x[t] @ self.Whx.T
            z = torch.sigmoid(self.bn_z(x[t] @ self.Wzx.T) + h @ self.Uz.T)
            hc = torch.relu(self.bn_h(a_h) + h @ (self.Uh * self.ei_mask).T)
            h = z * h + (1 - z) * hc
            out.append(h)
        return torch.stack(out), h


def light_gru_case(name, seed, embed=0, e_size=None):
    torch.manual_seed(seed)
    m = LightGRU(embed, e_size)
    x, h0 = inputs(seed + 1)
    x = x * 1.5 + 0.4  # non-zero mean so the running mean moves
    with torch.no_grad():
        m.train()
        out_train, hn_train = m(x, h0)
        m.eval()
        out_eval, hn_eval = m(x, h0)
    params = {k: flat(v) for k, v in m.named_parameters()}
    buffers = {k: flat(v) for k, v in m.named_buffers() if "running" in k}
    write(name, {"model": "light_gru", "embed": embed, "e_size": e_size, "inputs": flat(x),
                 "h0": flat(h0), "params": params, "buffers_after_train": buffers,
                 "rates": flat(out_train), "final_h": flat(hn_train),
                 "rates_eval": flat(out_eval), "final_h_eval": flat(hn_eval)})


if __name__ == "__main__":
    rnn_case("tanh", 10)
    rnn_case("relu", 20)
    gru_case(30)
    lstm_case(40)
    ctrnn_case("rate", "relu", 50)
    ctrnn_case("tutorial", "relu", 60)
    ctrnn_case("state", "relu", 70)
    ctrnn_case("state", "softplus", 80)
    ctrnn_case("rate", "softplus", 90)
    light_gru_case("light_gru", 100)
    light_gru_case("light_gru_enu", 110, embed=2)
    light_gru_case("light_gru_ei", 120, e_size=4)
