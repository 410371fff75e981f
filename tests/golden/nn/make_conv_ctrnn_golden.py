"""Golden values for the convolutional CTRNN (crates/neurodyn-nn/src/layers/conv_ctrnn) in numpy.

Run: python tests/golden/nn/make_conv_ctrnn_golden.py  (needs numpy; writes conv_ctrnn.json here)

An independent float64 implementation of the equations of Soo et al. 2024 (CordsNet), written
from the paper and the reference code's structure, not from the Rust code: convolutions as
explicit sums over kernel taps of a zero-padded input, areas updated from the previous step's
states, the spontaneous phase under a blank image, then the image phase. PyTorch was not
reachable from the machine that made these numbers, so numpy builds the forward pass; the
gradients are checked against central differences in the Rust test instead.

The network is the test's `four_areas()`: 1x8x8 images, stem conv 3x3 pad 1 (3 channels, no bias)
then avg-pool 2, areas (channels, stride) = (3, 1), (3, 1), (4, 2), (4, 1), readout `last-two`,
5 classes, alpha 0.3. Parameters and images are closed-form sequences over the flat buffer in
the engine's tensor order: theta[i] = 0.3 cos(0.23 i + 0.7), x[i] = sin(0.37 i + 0.11).
"""
import json
import math
import pathlib

import numpy as np

ALPHA = 0.3
IN_SHAPE = (1, 8, 8)
STEM = dict(channels=3, kernel=3, stride=1, padding=1, pool=2)
AREAS = [(3, 1), (3, 1), (4, 2), (4, 1)]
N_CLASSES = 5
BATCH = 2
N_SPONT, N_STEPS, N_READ = 6, 7, 3


def conv(x, w, stride, pad):
    """Cross-correlation of x (N, C, H, W) with w (O, C, k, k), zero padding, no bias."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad))
    xp[:, :, pad:pad + h, pad:pad + wd] = x
    ho = (h + 2 * pad - k) // stride + 1
    wo = (wd + 2 * pad - k) // stride + 1
    y = np.zeros((n, o, ho, wo))
    for u in range(k):
        for v in range(k):
            patch = xp[:, :, u:u + stride * (ho - 1) + 1:stride, v:v + stride * (wo - 1) + 1:stride]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, u, v])
    return y


def avgpool(x, k):
    n, c, h, w = x.shape
    ho, wo = (h - k) // k + 1, (w - k) // k + 1
    return x[:, :, :ho * k, :wo * k].reshape(n, c, ho, k, wo, k).mean(axis=(3, 5))


def relu(x):
    return np.maximum(x, 0.0)


def shapes():
    """Every tensor's name and shape, in the engine's order, and the areas' state shapes."""
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


def params():
    tensors, _ = shapes()
    total = sum(math.prod(s) for _, s in tensors)
    theta = 0.3 * np.cos(0.23 * np.arange(total) + 0.7)
    out, at = {}, 0
    for name, s in tensors:
        out[name] = theta[at:at + math.prod(s)].reshape(s)
        at += math.prod(s)
    return out


def step(p, r, img):
    """One step of every area from the previous states r (a list), for images img."""
    stem = avgpool(conv(img, p["stem.weight"], STEM["stride"], STEM["padding"]), STEM["pool"])
    new = []
    for l, (_, stride) in enumerate(AREAS):
        if l == 0:
            inp = stem
        elif l == 1:
            inp = relu(r[0]) + conv(stem, p["stem_skip.weight"], AREAS[0][1], 1)
        elif l % 2 == 0:
            inp = relu(r[l - 1]) + relu(r[l - 2])
        else:
            inp = relu(r[l - 1]) + conv(relu(r[l - 2]), p[f"area{l}.skip.weight"], AREAS[l - 1][1], 0)
        z = conv(r[l], p[f"area{l}.rec.weight"], 1, 1) + p[f"area{l}.bias"] + conv(
            inp, p[f"area{l}.ff.weight"], stride, 1
        )
        new.append((1 - ALPHA) * r[l] + ALPHA * relu(z))
    return new


def readout(p, r):
    pooled = (relu(r[-1]) + relu(r[-2])).mean(axis=(2, 3))
    return pooled @ p["fc.weight"].T + p["fc.bias"]


def main():
    p = params()
    _, area_shapes = shapes()
    n_in = BATCH * math.prod(IN_SHAPE)
    img = np.sin(0.37 * np.arange(n_in) + 0.11).reshape(BATCH, *IN_SHAPE)
    r = [np.zeros((1, *s)) for s in area_shapes]
    blank = np.zeros((1, *IN_SHAPE))
    for _ in range(N_SPONT):
        r = step(p, r, blank)
    spont = np.concatenate([a.flatten() for a in r])
    r = [np.repeat(a, BATCH, axis=0) for a in r]
    logits = []
    for t in range(1, N_STEPS + 1):
        r = step(p, r, img)
        if t > N_STEPS - N_READ:
            logits.append(readout(p, r))
    out = {
        "n_spont": N_SPONT,
        "n_steps": N_STEPS,
        "n_read": N_READ,
        "batch": BATCH,
        "spontaneous": spont.tolist(),
        "logits": np.concatenate([l.flatten() for l in logits]).tolist(),
        "final_states": [a.flatten().tolist() for a in r],
    }
    path = pathlib.Path(__file__).with_name("conv_ctrnn.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}: logits {np.concatenate([l.flatten() for l in logits])[:5]} ...")


if __name__ == "__main__":
    main()
