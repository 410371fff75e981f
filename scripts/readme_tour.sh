#!/usr/bin/env bash
# Run every command of the README's tour exactly as written, in order, in a fresh directory, and
# fail on the first one that exits non-zero. The configs the tour names come from the README too:
# my_config.toml is its [task]/[model]/[train] example, cnn.toml its vision example. The bench line
# (it needs PyTorch and JAX) is skipped. This is the long check: the recipes train in full (about
# 10 minutes on 2 cores); CI runs the commands' short forms in crates/neurodyn-cli/tests.
#
#   bash scripts/readme_tour.sh                 # builds the release binary first
#   NEURODYN_BIN=target/release/neurodyn bash scripts/readme_tour.sh
set -euo pipefail
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
    start=$(date +%s)
    # shellcheck disable=SC2086
    if "$bin" ${line#neurodyn } > out.log 2>&1; then
        echo "ok   ($(( $(date +%s) - start )) s): $line"
    else
        echo "FAIL ($(( $(date +%s) - start )) s): $line"
        tail -5 out.log | sed 's/^/     /'
        fails=$((fails + 1))
    fi
done
echo "${#lines[@]} command lines, $fails failed"
[ "$fails" -eq 0 ]
