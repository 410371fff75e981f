"""PyTorch golden values for the convolutional CTRNN: forward, return penalty and gradients.

Run: python tests/golden/nn/make_conv_ctrnn_torch_golden.py  (needs torch; writes
conv_ctrnn_torch.json here). Made with torch 2.15 (CPU), float64.

The same network, parameters and images as make_conv_ctrnn_golden.py (the test's `four_areas()`:
1x8x8 images, stem conv 3x3 pad 1 without bias then avg-pool 2, areas (channels, stride) =
(3, 1), (3, 1), (4, 2), (4, 1), readout `last-two`, 5 classes, alpha 0.3; closed-form
theta[i] = 0.3 cos(0.23 i + 0.7), x[i] = sin(0.37 i + 0.11)), written with torch.nn.functional
(conv2d, avg_pool2d, relu) as the reference code builds it. Autograd gives the gradients of

    L = sum_k sum(logits_k * g_k) + P,   g[i] = cos(0.19 i + 0.4)

where the logits are read at the image's last N_READ steps and P is the return penalty: after
the image, N_RETURN steps under the blank image, and

    P = w / (L_areas * K) * sum over the last K of them, over areas, of mean (r_l - baseline_l)^2

with the spontaneous state (no gradient through it, as the reference's no_grad) as baseline.
The gradients are with respect to every parameter tensor (in the engine's flat order) and the
image.
"""
import json
import math
import pathlib

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

ALPHA = 0.3
IN_SHAPE = (1, 8, 8)
STEM = dict(channels=3, kernel=3, stride=1, padding=1, pool=2)
AREAS = [(3, 1), (3, 1), (4, 2), (4, 1)]
N_CLASSES = 5
BATCH = 2
N_SPONT, N_STEPS, N_READ = 6, 7, 3
N_RETURN, LAST, WEIGHT = 4, 2, 0.7


def shapes():
    c_in, h, w = IN_SHAPE
    s = STEM
    hs = (h + 2 * s["padding"] - s["kernel"]) // s["stride"] + 1
    ws = (w + 2 * s["padding"] - s["kernel"]) // s["stride"] + 1
    stem_shape = (s["channels"], hs // s["pool"], ws // s["pool"])
    tensors = [("stem.weight", (s["channels"], c_in, s["kernel"], s["kernel"]))]
    area_shapes = []
    for l, (c, stride) in enumerate(AREAS):
        src = stem_shape if l == 0 else area_shapes[l - 1]
        if l == 1:
            tensors.append(("stem_skip.weight", (AREAS[0][0], stem_shape[0], 3, 3)))
        shape = (c, (src[1] - 1) // stride + 1, (src[2] - 1) // stride + 1)
        area_shapes.append(shape)
        tensors += [
            (f"area{l}.ff.weight", (c, src[0], 3, 3)),
            (f"area{l}.rec.weight", (c, c, 3, 3)),
            (f"area{l}.bias", shape),
        ]
        if l >= 3 and l % 2 == 1:
            tensors.append((f"area{l}.skip.weight", (AREAS[l - 1][0], area_shapes[l - 2][0], 1, 1)))
    tensors += [("fc.weight", (N_CLASSES, AREAS[-1][0])), ("fc.bias", (N_CLASSES,))]
    return tensors, area_shapes


def step(p, r, img):
    """One step of every area from the previous states r, areas updated from the last to the
    first so that each reads the previous step's states (the reference's order)."""
    stem = F.avg_pool2d(F.conv2d(img, p["stem.weight"], stride=STEM["stride"], padding=STEM["padding"]), STEM["pool"])
    new = list(r)
    for l in range(len(AREAS) - 1, -1, -1):
        stride = AREAS[l][1]
        if l == 0:
            inp = stem
        elif l == 1:
            inp = F.relu(r[0]) + F.conv2d(stem, p["stem_skip.weight"], stride=AREAS[0][1], padding=1)
        elif l % 2 == 0:
            inp = F.relu(r[l - 1]) + F.relu(r[l - 2])
        else:
            inp = F.relu(r[l - 1]) + F.conv2d(F.relu(r[l - 2]), p[f"area{l}.skip.weight"], stride=AREAS[l - 1][1])
        z = (
            F.conv2d(r[l], p[f"area{l}.rec.weight"], padding=1)
            + p[f"area{l}.bias"]
            + F.conv2d(inp, p[f"area{l}.ff.weight"], stride=stride, padding=1)
        )
        new[l] = (1 - ALPHA) * r[l] + ALPHA * F.relu(z)
    return new


def readout(p, r):
    pooled = (F.relu(r[-1]) + F.relu(r[-2])).mean(dim=(2, 3))
    return pooled @ p["fc.weight"].T + p["fc.bias"]


def main():
    tensors, area_shapes = shapes()
    total = sum(math.prod(s) for _, s in tensors)
    theta = 0.3 * torch.cos(0.23 * torch.arange(total, dtype=torch.float64) + 0.7)
    p, at = {}, 0
    for name, s in tensors:
        p[name] = theta[at:at + math.prod(s)].reshape(s).clone().requires_grad_(True)
        at += math.prod(s)
    n_in = BATCH * math.prod(IN_SHAPE)
    img = torch.sin(0.37 * torch.arange(n_in, dtype=torch.float64) + 0.11).reshape(BATCH, *IN_SHAPE)
    img.requires_grad_(True)
    blank = torch.zeros((1, *IN_SHAPE))
    with torch.no_grad():
        r = [torch.zeros((1, *s)) for s in area_shapes]
        for _ in range(N_SPONT):
            r = step(p, r, blank)
        baseline = [a.clone() for a in r]
    spont = torch.cat([a.flatten() for a in baseline])
    r = [a.repeat(BATCH, 1, 1, 1) for a in baseline]
    logits = []
    for t in range(1, N_STEPS + 1):
        r = step(p, r, img)
        if t > N_STEPS - N_READ:
            logits.append(readout(p, r))
    final_image = [a.detach().flatten().tolist() for a in r]
    penalty = torch.zeros(())
    for t in range(1, N_RETURN + 1):
        r = step(p, r, blank.expand(BATCH, *IN_SHAPE))
        if t > N_RETURN - LAST:
            for a, b in zip(r, baseline):
                penalty = penalty + ((a - b) ** 2).mean() / (len(AREAS) * LAST)
    penalty = WEIGHT * penalty
    flat_logits = torch.cat([l.flatten() for l in logits])
    g = torch.cos(0.19 * torch.arange(flat_logits.numel(), dtype=torch.float64) + 0.4)
    loss = (flat_logits * g).sum() + penalty
    loss.backward()
    grads = torch.cat([p[name].grad.flatten() for name, _ in tensors])
    out = {
        "torch": torch.__version__,
        "n_spont": N_SPONT,
        "n_steps": N_STEPS,
        "n_read": N_READ,
        "batch": BATCH,
        "n_return": N_RETURN,
        "last": LAST,
        "weight": WEIGHT,
        "spontaneous": spont.tolist(),
        "logits": flat_logits.detach().tolist(),
        "final_states": final_image,
        "return_states": [a.detach().flatten().tolist() for a in r],
        "penalty": penalty.item(),
        "loss": loss.item(),
        "grads": grads.tolist(),
        "d_image": img.grad.flatten().tolist(),
    }
    path = pathlib.Path(__file__).with_name("conv_ctrnn_torch.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}: loss {loss.item():.12g}, penalty {penalty.item():.6g}")


if __name__ == "__main__":
    main()
