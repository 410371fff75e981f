#!/usr/bin/env python3
"""Train every task's default recipe for several seeds and print the recipe table of BENCHMARKS.md.

Each row is `neurodyn train --task NAME [--model KIND] --seed S --out DIR --quiet`, i.e. exactly
what a user gets without a config; the numbers come from the run's `eval.json` (accuracy on 1000
fresh trials by the rule of `neurodyn eval`, per response window where a trial has several, and
the network-health check; "holding fixation" is `strict_accuracy`, which also fails a trial that
responds early or where it should not). One run at a time by default, one thread each.

Usage:
  scripts/recipe_table.py [--out runs/recipes] [--seeds 0,1,2] [--jobs 1] [--only A,B]
                          [--bin target/release/neurodyn] [--md table.md] [--mix] [--collect]

Needs a release build (`cargo build --release -p neurodyn-cli`) and Python 3 (no packages).
"""

import argparse
import concurrent.futures as cf
import json
import os
import shutil
import subprocess
import sys
import time

# Rows beyond "every registered task with its recipe": other models and the multi-task mix.
EXTRA_ROWS = [
    ("PerceptualDecisionMaking", "ei-ctrnn"),
]


def registered_tasks(binary):
    """Names of the cognitive tasks `neurodyn tasks list` prints (image tasks excluded)."""
    out = subprocess.run([binary, "tasks", "list"], check=True, capture_output=True, text=True)
    names = []
    for line in out.stdout.splitlines()[1:]:
        if not line.strip():
            break  # the image tasks follow a blank line
        names.append(line.split()[0])
    return names


def train(binary, task, model, seed, out_dir, collect=False):
    """Train one row's run; returns its eval.json as a dict plus the wall time, or an error.
    With `collect`, a run already in `out_dir` is read instead of trained again."""
    label = task if len(task) < 60 else f"mix of {task.count('+') + 1} tasks"
    d = os.path.join(out_dir, f"{label.replace(' ', '_')}-{model or 'recipe'}-s{seed}")
    if collect and os.path.exists(os.path.join(d, "eval.json")):
        with open(os.path.join(d, "eval.json")) as f:
            ev = json.load(f)
        return ev, ev.get("train_seconds", float("nan"))
    shutil.rmtree(d, ignore_errors=True)
    cmd = [binary, "train", "--task", task, "--seed", str(seed), "--out", d, "--quiet"]
    if model:
        cmd += ["--model", model]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]}, wall
    with open(os.path.join(d, "eval.json")) as f:
        return json.load(f), wall


def cell(ev):
    """The accuracy cell of one run: overall, or per response window."""
    if "error" in ev:
        return "error: " + ev["error"][:60]
    per = ev.get("per_response") or []
    acc = "%.3f" % ev["accuracy"]
    if len(per) > 1:
        acc = " / ".join("%.3f" % r["accuracy"] for r in per)
    health = ev.get("health") or {}
    if health.get("warnings"):
        acc += " ⚠"
    return acc


def mix_by_task(mix, evs, seeds):
    """A mix's accuracy on each of its tasks (eval.json's `per_condition.task`), one row per
    task, and their unweighted mean (a weighted draw over-represents some tasks in `accuracy`)."""
    names = mix.split("+")
    per = []
    for ev in evs:
        by = {int(c["value"]): c for c in (ev.get("per_condition") or {}).get("task", [])}
        per.append(by)
    out = ["| task in the mix | " + " | ".join(f"seed {s}" for s in seeds) + " |",
           "|---" * (len(seeds) + 1) + "|"]
    for i, n in enumerate(names):
        out.append(f"| {n} | " + " | ".join(
            "%.2f (n = %d)" % (p[i]["accuracy"], p[i]["n"]) if i in p else "—" for p in per) + " |")
    means = [sum(c["accuracy"] for c in p.values()) / len(p) if p else float("nan") for p in per]
    out.append("| mean over tasks | " + " | ".join("%.3f" % m for m in means) + " |")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/recipes")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated task names (default: all)")
    ap.add_argument("--bin", default="target/release/neurodyn")
    ap.add_argument("--md", default="", help="also write the table to this file")
    ap.add_argument("--mix", action="store_true", help="add the 20 Yang19 tasks as one multi-task mix")
    ap.add_argument("--collect", action="store_true",
                    help="read runs already in --out instead of training them again")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    tasks = registered_tasks(a.bin)
    rows = [(t, None) for t in tasks] + EXTRA_ROWS
    if a.mix:
        rows.append(("+".join(t for t in tasks if t.startswith("Yang19")), None))
    if a.only:
        keep = set(a.only.split(","))
        rows = [r for r in rows if r[0] in keep]
    os.makedirs(a.out, exist_ok=True)
    jobs = [(t, m, s) for (t, m) in rows for s in seeds]
    results = {}
    with cf.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        futs = {pool.submit(train, a.bin, t, m, s, a.out, a.collect): (t, m, s) for (t, m, s) in jobs}
        for fut in cf.as_completed(futs):
            key = futs[fut]
            results[key] = fut.result()
            ev, wall = results[key]
            print(f"{key[0][:50]} {key[1] or ''} seed {key[2]}: {cell(ev)} ({wall:.1f} s)",
                  file=sys.stderr, flush=True)
    head = ("| task (model) | " + " | ".join(f"seed {s}" for s in seeds)
            + " | holding fixation | wall (s) | health |")
    lines = [head, "|---" * (len(seeds) + 4) + "|"]
    for (t, m) in rows:
        name = t if len(t) < 60 else f"multi-task mix of the {t.count('+') + 1} Yang19 tasks"
        if m:
            name += f" ({m})"
        evs = [results[(t, m, s)] for s in seeds]
        walls = " / ".join("%.1f" % w for (_, w) in evs)
        warns = sorted({w for (ev, _) in evs for w in (ev.get("health") or {}).get("warnings", [])})
        strict = " / ".join("%.3f" % ev["strict_accuracy"] for (ev, _) in evs
                            if ev.get("strict_accuracy") is not None) or "n/a"
        lines.append(f"| {name} | " + " | ".join(cell(ev) for (ev, _) in evs)
                     + f" | {strict} | {walls} | {'; '.join(warns) or 'ok'} |")
    for (t, m) in rows:
        if "+" in t:
            lines += [""] + mix_by_task(t, [results[(t, m, s)][0] for s in seeds], seeds)
    text = "\n".join(lines) + "\n"
    print(text)
    if a.md:
        with open(a.md, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
