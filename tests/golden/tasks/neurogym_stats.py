"""Reference statistics of three neurogym 2.3.1 tasks, for crates/neurodyn-tasks/tests/statistics_more.rs.

Runs neurogym 2.3.1 itself (pip: neurogym==2.3.1 and its dependencies; `import neurogym` also
imports torch, which these tasks never use, so where torch is missing the script puts a stand-in
module in its place) and prints, per task and dt, from N seeded trials (`env.new_trial()`, then
`env.ob` / `env.gt`):
  - trial length in steps: mean, min, max, and the fraction of each length;
  - per period and channel: mean and SD of the inputs pooled over steps and trials;
  - per period: the fraction of each target class (Discrete) or mean/SD per target channel (Box);
  - the fractions of the trial labels the Rust tests check.

Usage: python neurogym_stats.py > neurogym_stats.json
AnnubesEnv gets session {"v": 0.5, "a": 0.5} and catch_prob 0.5 (neurodyn's defaults; neurogym 2.3.1
requires both) and random_seed=SEED for its own generator.
"""

import importlib.abc
import importlib.machinery
import importlib.util
import json
import sys
import types
from collections import Counter

import numpy as np


class _Anything(type):
    """Any attribute of the stand-in torch is a class, so `class X(nn.Module)` still works."""

    def __getattr__(cls, name):
        return _Anything(name, (object,), {})


class _TorchStandIn(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "torch":
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = lambda name: _Anything(name, (object,), {})
        return module

    def exec_module(self, module):
        pass


if importlib.util.find_spec("torch") is None:
    sys.meta_path.insert(0, _TorchStandIn())

from neurogym.envs.native.annubes import AnnubesEnv
from neurogym.envs.native.probabilisticreasoning import ProbabilisticReasoning
from neurogym.envs.native.reachingdelayresponse import ReachingDelayResponse

N = 2000
SEED = 2024


def periods(env):
    order = sorted(env.start_ind, key=lambda p: (env.start_ind[p], env.end_ind[p]))
    return [(p, env.start_ind[p], env.end_ind[p]) for p in order]


def collect(env, n, label_fn):
    per_in, per_gt, lens, labels = {}, {}, [], []
    for _ in range(n):
        trial = env.new_trial()
        ob, gt = np.asarray(env.ob, float), np.asarray(env.gt)
        lens.append(ob.shape[0])
        for name, a, b in periods(env):
            if b <= a:
                continue
            per_in.setdefault(name, []).append(ob[a:b])
            per_gt.setdefault(name, []).append(gt[a:b])
        labels.append(label_fn(env, trial))
    out = {"n": n, "len_mean": float(np.mean(lens)), "len_min": int(min(lens)), "len_max": int(max(lens))}
    out["len_frac"] = {str(k): v / n for k, v in sorted(Counter(lens).items())}
    out["inputs"] = {}
    out["targets"] = {}
    for name, xs in per_in.items():
        x = np.concatenate(xs)
        out["inputs"][name] = {"mean": x.mean(0).round(5).tolist(), "sd": x.std(0).round(5).tolist()}
        g = np.concatenate(per_gt[name])
        if g.dtype.kind in "iu":
            vals, counts = np.unique(g, return_counts=True)
            out["targets"][name] = {str(int(k)): round(c / g.size, 5) for k, c in zip(vals, counts)}
        else:
            out["targets"][name] = {"mean": g.mean(0).round(5).tolist(), "sd": g.std(0).round(5).tolist()}
    keys = labels[0].keys()
    # Keys starting with `avg_` are averaged over the trials that have a value; the others counted.
    out["labels"] = {
        k: (
            round(float(np.mean([l[k] for l in labels if l[k] is not None])), 5)
            if k.startswith("avg_")
            else {str(v): c / n for v, c in sorted(Counter(l[k] for l in labels).items())}
        )
        for k in keys
    }
    return out


def pr_labels(env, trial):
    lo = trial["log_odd"]
    return {
        "ground_truth": int(trial["ground_truth"]) + 1,
        "sure_shape": int(any(s in (0, 9) for s in trial["shapes"])),
        "log_odd_sign": int(np.sign(round(lo, 9))),
        # P(ground truth = 2) given the sign of the summed log odds, as counts of (sign, gt) pairs.
        "sign_and_gt": f"{int(np.sign(round(lo, 9)))},{int(trial['ground_truth']) + 1}",
    }


def rdr_labels(env, trial):
    return {"delay_steps": int(env.end_ind["delay"] - env.start_ind["delay"])}


def annubes_labels(env, trial):
    # Within-trial SD of each shown modality's channel over the stimulus period (the noise SD).
    a, b = env.start_ind["stimulus"], env.end_ind["stimulus"]
    names = env.observation_space.name
    sds = [float(np.std(env.ob[a:b, names[m]])) for m in trial["stim_types"]]
    return {
        "avg_noise_sd": float(np.mean(sds)) if sds else None,
        "catch": int(trial["catch"]),
        "stim": "+".join(trial["stim_types"]) or "catch",
        "intensity": round(float(sum(trial["stim_values"].values())), 3),
    }


def main():
    res = {}
    for dt in (20, 100):
        env = ProbabilisticReasoning(dt=dt)
        env.seed(SEED)
        res[f"ProbabilisticReasoning@{dt}"] = collect(env, N, pr_labels)
        env = ReachingDelayResponse(dt=dt)
        env.seed(SEED)
        res[f"ReachingDelayResponse@{dt}"] = collect(env, N, rdr_labels)
        env = AnnubesEnv(session={"v": 0.5, "a": 0.5}, catch_prob=0.5, dt=dt, random_seed=SEED)
        env.seed(SEED)
        res[f"AnnubesEnv@{dt}"] = collect(env, N, annubes_labels)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
