"""The nn-brain fixed-point recipe in PyTorch, on the problem `fixed_point_bench` exports.

Recipe (nn-brain tutorial): treat the states as parameters, minimise the MSE between F(h) and h
with Adam (lr 1e-3) for 10 000 steps, float32, all starts in one batch, one thread. F is the same
64-unit tanh CTRNN, F(h) = (1 - a) h + a tanh(W h + b). Reports wall time and how many starts
reach q = 0.5 ||F(h) - h||^2 < 1e-12 (q evaluated in float64 at the final states).

    cargo run --release -p neurodyn-analysis --example fixed_point_bench -- 1 /tmp/fp.npz
    python crates/neurodyn-analysis/examples/fixed_point_bench_torch.py /tmp/fp.npz
"""
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)
z = np.load(sys.argv[1])
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
w64, b64, a = z["w"], z["b"], float(z["alpha"][0])
w = torch.tensor(w64, dtype=torch.float32)
b = torch.tensor(b64, dtype=torch.float32)
h = torch.tensor(z["starts"], dtype=torch.float32, requires_grad=True)
opt = torch.optim.Adam([h], lr=1e-3)

t0 = time.perf_counter()
for _ in range(steps):
    opt.zero_grad()
    f = (1 - a) * h + a * torch.tanh(h @ w.T + b)
    loss = torch.nn.functional.mse_loss(f, h)
    loss.backward()
    opt.step()
elapsed = time.perf_counter() - t0

x = h.detach().double().numpy()
fx = (1 - a) * x + a * np.tanh(x @ w64.T + b64)
q = 0.5 * ((fx - x) ** 2).sum(axis=1)
print(
    f"PyTorch nn-brain recipe (Adam lr 1e-3, {steps} steps, float32, 1 thread): {elapsed:.2f} s; "
    f"{(q < 1e-12).sum()}/{len(q)} starts reached q < 1e-12; median q {np.median(q):.2e}, "
    f"max q {q.max():.2e}"
)
