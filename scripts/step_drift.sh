#!/usr/bin/env bash
# For every registered task with a supervised form, train its default recipe (seed 0, one
# thread) and compare the mean time of a training step over the last 10 % of the steps with
# the first 10 % (from metrics.csv's wall clock). A ratio well above 1 means training slows as it
# goes: subnormal numbers, a network blowing up, or work that grows. Prints one line per task and
# the worst ratio last.
# Usage: scripts/step_drift.sh [OUT_DIR]   (default: runs/drift; needs a release build)
# TASKS="A B" limits it to those tasks; NEURODYN_BIN picks another binary.
set -euo pipefail
bin=${NEURODYN_BIN:-target/release/neurodyn}
out=${1:-runs/drift}
mkdir -p "$out"
tasks=${TASKS:-$("$bin" tasks list | awk 'NR > 1 && /supervised/ { print $1 }')}
worst=0
printf '%-36s %6s %9s %9s %6s\n' task steps early_ms late_ms ratio
for task in $tasks; do
  dir="$out/$task"
  rm -rf "$dir"
  if ! "$bin" train --task "$task" --seed 0 --out "$dir" --quiet >/dev/null 2>"$dir.err"; then
    echo "$task: training failed: $(tail -1 "$dir.err")"
    continue
  fi
  rm -f "$dir.err"
  # Mean step time over the first tenth of the steps (after step 1, which holds the set-up) and
  # over the last tenth, from the cumulative wall clock (last column). metrics.csv gives the clock
  # to the millisecond, too coarse for the median of single steps of a millisecond or two.
  line=$(awk -F, 'NR > 1 { w[NR - 1] = $NF; n = NR - 1 }
    END {
      k = int(n / 10); if (k < 1) k = 1
      e = (w[k + 1] - w[1]) / k; l = (w[n] - w[n - k]) / k
      printf "%d %.3f %.3f %.2f", n, 1e3 * e, 1e3 * l, (e > 0 ? l / e : 0) }' "$dir/metrics.csv")
  read -r n early late ratio <<<"$line"
  printf '%-36s %6s %9s %9s %6s\n' "$task" "$n" "$early" "$late" "$ratio"
  worst=$(awk -v a="$worst" -v b="$ratio" 'BEGIN { print (b > a) ? b : a }')
done
echo "worst late/early ratio: $worst"
