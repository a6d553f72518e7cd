#!/usr/bin/env bash
# Renders the demo's HTML report in a real headless browser (Debian's Chromium) at desktop (1280 px)
# and phone (390 px) widths, writes the screenshots, and fails on a blank or broken page: the DOM
# Chromium built must hold the key, the live table, every scenario's table, charts with axis labels
# and closing answers, and every screenshot must show a page (not one uniform colour).
#
#   benchmarks/check-report.sh [report.html]
#
# Without an argument it makes a report first with the demo jar (1 s per policy), so build that
# before: mvn -B -q -pl benchmarks -am package -DskipTests. Screenshots and the DOM go to
# benchmarks/target/report-check/. Installs chromium with apt-get when it is missing. CI runs it
# after mvn -B verify (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/target/report-check
rm -rf "$out"
mkdir -p "$out"

report=${1:-}
if [ -z "$report" ]; then
  jar=benchmarks/target/lb4j-demo.jar
  if [ ! -f "$jar" ]; then
    echo "no $jar: build it first (mvn -B -q -pl benchmarks -am package -DskipTests)" >&2
    exit 2
  fi
  report=$out/report.html
  echo "making a report: java -jar $jar 1 $report"
  java -jar "$jar" 1 "$report" > "$out/demo.log" 2>&1 || { cat "$out/demo.log" >&2; exit 1; }
fi
report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")

if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing chromium (apt-get)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

HEIGHT=8000
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile")

chromium "${flags[@]}" --dump-dom "file://$report" > "$out/dom.html" 2> "$out/chromium.log"
# One tall window per width (headless Chromium paints nothing when it scrolls to an anchor far
# down, so sections are checked as bands of one tall screenshot): the title, the key, the live demo
# and the first scenarios at desktop and phone widths.
shots=()
for width in 1280 390; do
  name=$out/report-$width.png
  chromium "${flags[@]}" --window-size="$width,$HEIGHT" --screenshot="$name" "file://$report" \
    >> "$out/chromium.log" 2>&1
  shots+=("$name")
done

python3 - "$out/dom.html" "${shots[@]}" <<'PY'
import re, struct, sys, zlib

def pixels(path):
    """Decodes an 8-bit RGB/RGBA PNG (what Chromium writes) into rows of bytes."""
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        sys.exit(f'{path}: not a PNG')
    pos, idat = 8, b''
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, color = struct.unpack('>IIBB', body[:10])
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    if depth != 8 or color not in (2, 6):
        sys.exit(f'{path}: unexpected PNG format depth={depth} color={color}')
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows

failures = []
dom = open(sys.argv[1], encoding='utf-8').read()
def need(ok, what):
    if not ok:
        failures.append(what)

scenarios = re.findall(r'<h3 id="(sim-[^"]+)"', dom)
need(len(scenarios) >= 1, 'no simulator scenario')
need('id="key"' in dom and dom.count('<dt>') >= 9, 'the key explaining the columns')
need('id="live"' in dom, 'the live demo section')
need(dom.count('<table') == len(scenarios) + 1, f'{len(scenarios) + 1} tables (live + scenarios), found {dom.count("<table")}')
need(dom.count('<b>Answer:</b>') == len(scenarios) + 1, 'one closing answer per scenario and for the live run')
need(dom.count('<b>Question:</b>') == len(scenarios), 'one question per scenario')
svgs = re.findall(r'<svg.*?</svg>', dom, re.S)
need(len(svgs) >= 2 * len(scenarios) + 1, f'charts: {len(svgs)} SVGs')
for svg in svgs:
    units = ('(ms, log scale)' in svg and 'fraction of requests' in svg) or ('attempts/s' in svg and '(s)</text>' in svg)
    need(units, 'a chart without both axis labels: ' + svg[:120])
    need('<polyline' in svg, 'a chart without data: ' + svg[:120])
rows_in_live = re.search(r'id="live".*?</table>', dom, re.S)
need(rows_in_live and rows_in_live.group(0).count('<tr>') >= 2, 'live table rows')
BAND = 800
for path in sys.argv[2:]:
    width, height, bpp, rows = pixels(path)
    # every band of the page must show something: not one uniform colour, not (nearly) empty
    for top in range(0, height - BAND + 1, BAND):
        counts = {}
        for row in rows[top:top + BAND:2]:
            for x in range(0, len(row), bpp * 2):
                px = row[x:x + 3]
                counts[px] = counts.get(px, 0) + 1
        ink = 1 - max(counts.values()) / sum(counts.values())
        need(len(counts) >= 16 and ink >= 0.01,
             f'{path} rows {top}..{top + BAND} look blank ({len(counts)} colours, {100 * ink:.2f} % ink)')
    print(f'{path}: {width}x{height}, {height // BAND} bands checked')
if failures:
    print('report check FAILED:\n  ' + '\n  '.join(failures))
    sys.exit(1)
print(f'report check passed: {len(scenarios)} scenarios, {len(svgs)} charts, {len(sys.argv) - 2} screenshots')
PY
