"""Golden values for neurodyn-analysis's image transforms (crates/neurodyn-analysis/src/
image_transform.rs), the stimuli of the tuning analysis, from scipy.ndimage.

Run from the repository root (a venv with numpy and scipy):
    python -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scipy
    /tmp/venv/bin/python tests/golden/analysis/make_tuning_golden.py
writes tests/golden/analysis/tuning.json holding the input planes and scipy's outputs. Read by
crates/neurodyn-analysis/tests/tuning_golden.rs.

The convention (the module docs of image_transform.rs), computed here on its own:
- index coordinates, pixel (r, c) at (r, c), centre ctr = ((H - 1) / 2, (W - 1) / 2);
- output pixel o samples the input at M o + offset:
  rotation by t degrees counter-clockwise as displayed: M = [[cos t, sin t], [-sin t, cos t]],
  offset = ctr - M ctr (cos and sin exact at multiples of 90 degrees);
  zoom s: M = I / s, offset = ctr - ctr / s; translation (dx right, dy down): M = I,
  offset = (-dy, -dx);
- scipy.ndimage.affine_transform(plane, M, offset, order=1, mode='constant', cval=0): bilinear,
  0 for a sample outside [0, H-1] x [0, W-1];
- contrast a: clip(m + a (p - m), 0, 255) with m the plane's mean.
"""

import json
import pathlib

import numpy as np
import scipy
from scipy import ndimage

out = {"numpy_version": np.__version__, "scipy_version": scipy.__version__}


def cos_sin(deg):
    r = deg % 360.0
    exact = {0.0: (1.0, 0.0), 90.0: (0.0, 1.0), 180.0: (-1.0, 0.0), 270.0: (0.0, -1.0)}
    if r in exact:
        return exact[r]
    t = np.deg2rad(r)
    return np.cos(t), np.sin(t)


def centre(h, w):
    return np.array([(h - 1) / 2.0, (w - 1) / 2.0])


def rotation(h, w, deg):
    c, s = cos_sin(deg)
    m = np.array([[c, s], [-s, c]])
    ctr = centre(h, w)
    return m, ctr - m @ ctr


def zoom(h, w, f):
    m = np.eye(2) / f
    ctr = centre(h, w)
    return m, ctr - m @ ctr


def shift(dx, dy):
    return np.eye(2), np.array([-dy, -dx])


def apply(plane, m, off):
    return ndimage.affine_transform(plane, m, offset=off, order=1, mode="constant", cval=0.0)


rng = np.random.default_rng(6)
# A rectangular plane (catches swapped axes) and a digit-like 28 x 28 plane: a bright stroke on
# black, with grey levels.
rect = rng.uniform(0, 255, (7, 9)).round(3)
yy, xx = np.mgrid[0:28, 0:28]
digit = np.clip(255 * np.exp(-((xx - 11 - 0.3 * yy) ** 2) / 6.0) * (yy > 4) * (yy < 23), 0, 255)
digit = (digit + rng.uniform(0, 20, digit.shape) * (digit > 10)).round(2)

planes = {"rect": rect, "digit": digit}
out["planes"] = {k: {"h": v.shape[0], "w": v.shape[1], "data": v.ravel().tolist()} for k, v in planes.items()}
cases = []
for name, p in planes.items():
    h, w = p.shape
    for deg in [0.0, 15.0, 30.0, 37.5, 90.0, 135.0, 180.0, 200.0, 270.0, 345.0]:
        m, off = rotation(h, w, deg)
        cases.append({"plane": name, "kind": "rotation", "value": deg, "out": apply(p, m, off).ravel().tolist()})
    for f in [0.6, 0.75, 1.25, 1.3, 1.4]:
        m, off = zoom(h, w, f)
        cases.append({"plane": name, "kind": "scale", "value": f, "out": apply(p, m, off).ravel().tolist()})
    for dx, dy in [(-2.5, 0.0), (1.25, 0.5), (3.0, 0.0), (-6.0, 0.0), (0.3, -1.7)]:
        m, off = shift(dx, dy)
        cases.append({"plane": name, "kind": "translation", "value": dx, "dy": dy,
                      "out": apply(p, m, off).ravel().tolist()})
    for a in [0.0, 0.5, 1.5, 2.0]:
        mean = p.mean()
        cases.append({"plane": name, "kind": "contrast", "value": a,
                      "out": np.clip(mean + a * (p - mean), 0, 255).ravel().tolist()})
out["cases"] = cases

path = pathlib.Path(__file__).with_name("tuning.json")
path.write_text(json.dumps(out) + "\n")
print(f"wrote {path} (scipy {scipy.__version__}): {len(cases)} transformed planes")
