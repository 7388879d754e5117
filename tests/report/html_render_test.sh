#!/usr/bin/env bash
# Opens an HTML report in headless Chromium: the page's script runs to the end without an
# error, the heatmap still has N x (N-1) cells after it (past 64 ranks: the canvas drew N x
# (N-1) links), and the screenshot is not blank.
# Exit 77 (skipped) with the reason when no Chromium can run here.
# Usage: html_render_test.sh PATH/TO/te_html_fixture [RANKS]
set -u
fixture=${1:?usage: html_render_test.sh PATH/TO/te_html_fixture [RANKS]}
n=${2:-6}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

browser=""
for name in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$name" >/dev/null 2>&1; then browser=$(command -v "$name"); break; fi
done
[ -n "$browser" ] || skip "no Chromium found (install: apt-get install -y --no-install-recommends chromium)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$fixture" "$work/report.html" "$n" || fail "$fixture could not write the report"

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$work/profile" --enable-logging=stderr --v=0)
url="file://$work/report.html"
version=$(timeout 60 "$browser" --headless --no-sandbox --version 2>&1) ||
  skip "$browser does not run here: $(echo "$version" | tail -n 1)"

timeout 90 "$browser" "${flags[@]}" --dump-dom "$url" >"$work/dom.html" 2>"$work/dom.log" ||
  skip "$browser --dump-dom failed (exit $?): $(tail -n 1 "$work/dom.log")"
# Console errors (a script exception) appear in the log as "Uncaught ...".
if grep -q "Uncaught" "$work/dom.log"; then fail "script error: $(grep -m1 Uncaught "$work/dom.log")"; fi
grep -q 'data-script="ok"' "$work/dom.html" || fail "the page's script did not run to the end"
cells=$(grep -o '<td class="cell[ "]' "$work/dom.html" | wc -l)
if [ "$n" -le 64 ]; then
  [ "$cells" -eq $((n * (n - 1))) ] || fail "$cells heatmap cells after rendering, expected $((n * (n - 1)))"
  grep -q '<td class="cell flagged' "$work/dom.html" || fail "no flagged cell in the rendered page"
else
  # Past 64 ranks the heatmap is a canvas the script draws: every link a pixel block.
  [ "$cells" -eq 0 ] || fail "$cells table cells for $n ranks, expected a canvas"
  drawn=$(grep -o 'data-drawn="[0-9]*"' "$work/dom.html" | head -n 1 | tr -dc 0-9)
  [ "$drawn" = $((n * (n - 1))) ] || fail "canvas drew '${drawn}' links, expected $((n * (n - 1)))"
  cells="$drawn canvas"
fi
grep -q 'node0&lt;&amp;&gt;' "$work/dom.html" || fail "host name not escaped in the rendered page"

timeout 90 "$browser" "${flags[@]}" --window-size=1280,1024 --screenshot="$work/shot.png" "$url" \
  >"$work/shot.log" 2>&1 || skip "$browser --screenshot failed (exit $?): $(tail -n 1 "$work/shot.log")"
[ -s "$work/shot.png" ] || fail "empty screenshot"
[ "$(head -c 8 "$work/shot.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "screenshot is not a PNG"
# A blank single-colour 1280x1024 page compresses to a few KB; the heatmap and text do not.
size=$(stat -c %s "$work/shot.png")
[ "$size" -gt 20000 ] || fail "screenshot is only $size bytes: a blank page?"
echo "PASS: $cells cells, script ran, screenshot $size bytes ($(echo "$version" | tail -n 1))"
