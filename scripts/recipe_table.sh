#!/usr/bin/env bash
# Train every default recipe for seeds 0, 1 and 2 and score each run on 1000 fresh trials: the
# training table of BENCHMARKS.md. One run at a time, one thread each (the default); the time
# printed is training alone.
# Usage: scripts/recipe_table.sh [OUT_DIR]   (default: runs/recipes; needs a release build)
set -euo pipefail
bin=target/release/neurodyn
out=${1:-runs/recipes}
mkdir -p "$out"
rows=(
  "PerceptualDecisionMaking ctrnn"
  "PerceptualDecisionMaking ei-ctrnn"
  "DelayMatchSample ctrnn"
  "ContextDecisionMaking ctrnn"
  "DualDelayMatchSample ctrnn"
  "DelayComparison ctrnn"
  "GoNogo ctrnn"
  "MultiSensoryIntegration ctrnn"
  "AntiReach ctrnn"
  "DelayMatchCategory ctrnn"
)
for row in "${rows[@]}"; do
  read -r task model <<<"$row"
  for seed in 0 1 2; do
    dir="$out/$task-$model-s$seed"
    rm -rf "$dir"
    # `train` scores the run on 1000 fresh trials (per response window where a trial has several).
    res=$("$bin" train --task "$task" --model "$model" --dt 20 --seed "$seed" --out "$dir" --quiet |
      grep -v '^run directory' | tr '\n' ' ')
    echo "$task $model seed $seed: $res"
  done
done
