#!/usr/bin/env bash
# Run every command of the README's tour exactly as written, in order, in a fresh directory, and
# fail on the first one that exits non-zero. The configs the tour names come from the README too:
# my_config.toml is its [task]/[model]/[train] example, cnn.toml its vision example. The bench line
# (it needs PyTorch and JAX) is skipped. This is the long check: the recipes train in full (about
# 10 minutes on 2 cores). `--short` (what CI runs) is the same tour with `--steps 30` added to
# every `train --task` line of a recurrent task, and my_config.toml's steps cut to 40 (its
# curriculum stages to 10 each), and the conv-ctrnn line (minutes) given a small conv-ctrnn
# config instead, so the eval, analysis and report lines run on briefly trained networks; the
# CNN lines are quick as written.
#
#   bash scripts/readme_tour.sh                 # builds the release binary first
#   NEURODYN_BIN=target/release/neurodyn bash scripts/readme_tour.sh
#   NEURODYN_BIN=target/debug/neurodyn bash scripts/readme_tour.sh --short
set -euo pipefail
short=0
[ "${1:-}" = "--short" ] && short=1
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${NEURODYN_BIN:-}"
if [ -z "$bin" ]; then
    (cd "$root" && cargo build --release -q -p neurodyn-cli)
    bin="$root/target/release/neurodyn"
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# The README's code blocks: the n-th ```toml block's text.
toml_block() {
    awk -v want="$1" '
        /^```toml/ { n++; inside = (n == want); next }
        /^```/ { inside = 0; next }
        inside { print }
    ' "$root/README.md"
}
toml_block 1 > my_config.toml
toml_block 3 > cnn.toml
if [ "$short" -eq 1 ]; then
    # The first `steps =` is [train]'s, the others the curriculum stages'.
    awk '/^steps = / { print (n++ ? "steps = 10" : "steps = 40"); next } { print }' \
        my_config.toml > short.toml && mv short.toml my_config.toml
    cat > crnn_short.toml <<'TOML'
[task]
name = "Mnist"
[model]
kind = "conv-ctrnn"
stem = { channels = 4, kernel = 3, padding = 1, pool = 2 }
areas = [{ channels = 8 }, { channels = 8, stride = 2 }]
spont_steps = 4
steps = 6
loss_steps = 2
[train]
epochs = 1
max_train_images = 640
TOML
fi

# The tour's command lines: every line starting with `neurodyn ` in the README's sh blocks before
# the Configs section, comments cut.
mapfile -t lines < <(awk '
    /^### Configs/ { exit }
    /^```sh/ { inside = 1; next }
    /^```/ { inside = 0; next }
    inside && /^neurodyn / { sub(/[[:space:]]+#.*$/, ""); print }
' "$root/README.md")

fails=0
for line in "${lines[@]}"; do
    case "$line" in
        "neurodyn bench"*) echo "skip: $line (needs PyTorch and JAX)"; continue ;;
    esac
    if [ "$short" -eq 1 ]; then
        case "$line" in
            *"--model conv-ctrnn"*) line="neurodyn train crnn_short.toml ${line##*--model conv-ctrnn }" ;;
            *--resume* | *--check* | *Mnist*) ;;
            "neurodyn train --task "*) line="$line --steps 30" ;;
        esac
    fi
    start=$(date +%s)
    # Through a shell, as a reader would type it (`completions bash > neurodyn.bash`).
    if bash -c "\"\$0\" ${line#neurodyn }" "$bin" > out.log 2>&1; then
        echo "ok   ($(( $(date +%s) - start )) s): $line"
    else
        echo "FAIL ($(( $(date +%s) - start )) s): $line"
        tail -5 out.log | sed 's/^/     /'
        fails=$((fails + 1))
    fi
done
echo "${#lines[@]} command lines, $fails failed"
[ "$fails" -eq 0 ]
