"""Golden values for neurodyn-analysis's encoding fits (crates/neurodyn-analysis/src/encoding.rs)
and the special functions under them (src/special.rs), from scipy.

Run from the repository root (a venv with numpy and scipy):
    python -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scipy
    /tmp/venv/bin/python tests/golden/analysis/make_encoding_golden.py
writes tests/golden/analysis/encoding.json holding the activations (so Rust reads exactly the same
numbers) and scipy's results. Read by crates/neurodyn-analysis/tests/encoding_golden.rs.

Conventions checked (the module docs of encoding.rs):
- counts k = floor(a * S + 0.5) (halves up; not np.round, which rounds halves to even), with
  S = 10 / mean(a) unless given;
- Poisson: lambda = mean k, log-likelihood = sum(poisson.logpmf(k, lambda)), AIC = 2 - 2 lnL;
- Gaussian: norm.fit(k) (MLE, sigma with ddof 0), lnL = sum(norm.logpdf), AIC = 4 - 2 lnL;
- gamma: gamma.fit(k[k > 0], floc=0) (scipy solves ln a - digamma(a) = s by brentq, xtol 2e-12;
  a tighter brentq is written beside it as gamma_shape_tight), lnL over the positive counts;
- Fano factor: var(k, ddof=1) / mean(k);
- Pearson chi-square of the Poisson: bins k = 0 .. top-1 and k >= top (top = max k), expected
  n * poisson.pmf and n * poisson.sf(top - 1); pooled from k = 0 upwards until the expected count
  is >= 5, the remainder joining the last bin; scipy.stats.chisquare(obs, exp, ddof=1) gives the
  statistic and p-value, cross-checked with chi2.sf(stat, bins - 2).
"""

import json
import pathlib

import numpy as np
import scipy
from scipy import optimize, special, stats

out = {"numpy_version": np.__version__, "scipy_version": scipy.__version__}


def counts_of(a, scale):
    return np.floor(a * scale + 0.5).astype(np.int64)


def pooled_chi_square(k, lam):
    n = len(k)
    top = int(k.max())
    hist = np.bincount(k, minlength=top + 1)
    exp = [n * stats.poisson.pmf(j, lam) for j in range(top)] + [n * stats.poisson.sf(top - 1, lam)]
    bins = []
    start, o, e = 0, 0, 0.0
    for j in range(top + 1):
        o += int(hist[j])
        e += exp[j]
        if e >= 5.0:
            bins.append([start, j, o, e])
            start, o, e = j + 1, 0, 0.0
    if not bins:
        return None
    bins[-1][1] = None
    bins[-1][2] += o
    bins[-1][3] += e
    if len(bins) < 3:
        return None
    obs = np.array([b[2] for b in bins], dtype=float)
    ex = np.array([b[3] for b in bins])
    res = stats.chisquare(obs, ex, ddof=1)
    dof = len(bins) - 2
    assert abs(stats.chi2.sf(res.statistic, dof) - res.pvalue) <= 1e-12 * res.pvalue
    return {
        "statistic": float(res.statistic),
        "dof": dof,
        "p_value": float(res.pvalue),
        "from": [b[0] for b in bins],
        "to": [b[1] for b in bins],
        "observed": [b[2] for b in bins],
        "expected": [float(b[3]) for b in bins],
    }


def case(name, a, scale=None):
    a = np.asarray(a, dtype=float)
    s = 10.0 / a.mean() if scale is None else scale
    k = counts_of(a, s)
    lam = k.mean()
    mu, sigma = stats.norm.fit(k)
    pos = k[k > 0].astype(float)
    shape, loc, gscale = stats.gamma.fit(pos, floc=0)
    assert loc == 0
    sgap = np.log(pos.mean()) - np.log(pos).mean()
    tight = optimize.brentq(lambda x: np.log(x) - special.digamma(x) - sgap, shape * 0.9, shape * 1.1,
                            xtol=1e-15, rtol=4 * np.finfo(float).eps)
    ll_p = float(stats.poisson.logpmf(k, lam).sum())
    ll_n = float(stats.norm.logpdf(k, mu, sigma).sum())
    ll_g = float(stats.gamma.logpdf(pos, shape, 0, gscale).sum())
    return {
        "name": name,
        "activations": a.tolist(),
        "scale": None if scale is None else scale,
        "expected_scale": s,
        "counts": k.tolist(),
        "histogram": np.bincount(k).tolist(),
        "lambda": float(lam),
        "poisson_log_likelihood": ll_p,
        "poisson_aic": 2 - 2 * ll_p,
        "poisson_pmf": stats.poisson.pmf(np.arange(k.max() + 1), lam).tolist(),
        "mu": float(mu),
        "sigma": float(sigma),
        "gaussian_log_likelihood": ll_n,
        "gaussian_aic": 4 - 2 * ll_n,
        "gamma_shape": float(shape),
        "gamma_shape_tight": float(tight),
        "gamma_scale": float(gscale),
        "gamma_log_likelihood": ll_g,
        "gamma_aic": 4 - 2 * ll_g,
        "gamma_excluded_zeros": int((k == 0).sum()),
        "fano": float(k.var(ddof=1) / k.mean()),
        "chi_square": pooled_chi_square(k, lam),
    }


rng = np.random.default_rng(22)
cases = [
    # A ReLU unit: rectified Gaussian drive, many exact zeros; the default scale.
    case("relu", np.maximum(0.0, rng.normal(0.4, 1.0, 400))),
    # Poisson counts divided by 3, scale 3 given: the Poisson should fit.
    case("poisson", rng.poisson(7.0, 300) / 3.0, scale=3.0),
    # Over-dispersed (negative binomial) counts: the Poisson is rejected (tiny p-value).
    case("overdispersed", rng.negative_binomial(2, 0.1, 500) / 2.0, scale=2.0),
    # A gamma-distributed drive without zeros, default scale, few images (few pooled bins).
    case("gamma_small", rng.gamma(3.0, 0.7, 25)),
]
out["cases"] = cases

# Special functions on a grid, including the regimes of each branch.
xs = [1e-3, 0.1, 0.5, 1.0, 1.5, 2.0, 3.7, 9.99, 10.0, 10.5, 33.3, 150.0, 1e4]
out["special"] = {
    "x": xs,
    "ln_gamma": [float(special.gammaln(x)) for x in xs],
    "digamma": [float(special.digamma(x)) for x in xs],
    "trigamma": [float(special.polygamma(1, x)) for x in xs],
}
pairs = [(0.5, 0.1), (0.5, 3.0), (1.0, 0.5), (2.5, 1.0), (2.5, 3.5), (3.0, 10.0), (10.0, 5.0),
         (10.0, 11.0), (10.0, 30.0), (50.0, 45.0), (50.0, 80.0), (200.0, 190.0), (0.1, 1e-3)]
out["incomplete_gamma"] = {
    "a": [p[0] for p in pairs],
    "x": [p[1] for p in pairs],
    "p": [float(special.gammainc(a, x)) for a, x in pairs],
    "q": [float(special.gammaincc(a, x)) for a, x in pairs],
}
chi = [(0.001, 5), (0.5, 1), (3.841458820694124, 1), (18.307038053275146, 10), (10.0, 10),
       (100.0, 10), (400.0, 20), (30.0, 40), (1500.0, 30)]
out["chi2_sf"] = {
    "x": [c[0] for c in chi],
    "dof": [c[1] for c in chi],
    "sf": [float(stats.chi2.sf(x, d)) for x, d in chi],
}

path = pathlib.Path(__file__).with_name("encoding.json")
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path} (scipy {scipy.__version__})")
for c in cases:
    chi = c["chi_square"]
    print(c["name"], "lambda", c["lambda"], "fano", round(c["fano"], 3), "gamma shape", c["gamma_shape"],
          "rel. gap to tight", abs(c["gamma_shape"] - c["gamma_shape_tight"]) / c["gamma_shape_tight"],
          "chi2", None if chi is None else (round(chi["statistic"], 3), chi["dof"], chi["p_value"]))
