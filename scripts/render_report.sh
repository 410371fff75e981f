#!/usr/bin/env bash
# Render a report in headless chromium at desktop (1280 px) and phone (390 px) width, and as a
# printed PDF, into OUT_DIR; fail if chromium cannot render it. Skips (exit 0) where chromium is
# not installed (Debian: apt-get install chromium).
#
#   bash scripts/render_report.sh RUN/report.html OUT_DIR
set -euo pipefail
report="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
out="$2"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
    echo "chromium is not installed: the report render check is skipped"
    exit 0
fi
mkdir -p "$out"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars)
for width in 1280 390; do
    timeout 120 "$browser" "${flags[@]}" --window-size="$width,3000" \
        --screenshot="$out/report_$width.png" "file://$report" > /dev/null 2>&1
done
timeout 120 "$browser" "${flags[@]}" --print-to-pdf="$out/report.pdf" "file://$report" > /dev/null 2>&1
for f in report_1280.png report_390.png report.pdf; do
    size=$(stat -c %s "$out/$f" 2>/dev/null || echo 0)
    if [ "$size" -lt 10000 ]; then
        echo "render check: $out/$f is missing or empty ($size bytes)"
        exit 1
    fi
    echo "rendered $out/$f ($size bytes)"
done
