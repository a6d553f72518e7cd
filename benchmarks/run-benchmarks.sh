#!/usr/bin/env bash
# Runs the full measured JMH set with -prof gc, then the distribution report and the simulator, and
# writes one text result file (plus the simulator's HTML report, benchmarks/target/lb4j-sim-report.html).
# Usage (from the repository root):  benchmarks/run-benchmarks.sh [output-file]
# About 10-11 minutes on 2 cores for the pick set (~170 forks of ~3.6 s), plus the build runs, plus
# ~8 minutes of OkHttp allocation counts and 10 interleaved pairs of OkHttp forks of ~17 s each
# (RATIO_PAIRS and RATIO_OPTS change those). Override the run options with JMH_OPTS, e.g.
# JMH_OPTS="-f 1 -wi 0 -i 1 -r 100ms" OKHTTP_OPTS="$JMH_OPTS" RATIO_PAIRS=1 RATIO_OPTS="-wi 0 -i 1 -r 100ms"
# for a quick smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."

OPTS=${JMH_OPTS:-"-f 1 -wi 1 -w 1s -i 2 -r 1s"}
JAR=benchmarks/target/lb4j-benchmarks.jar
OUT=${1:-benchmarks/target/results/jmh-$(date -u +%Y%m%dT%H%MZ).txt}
mkdir -p "$(dirname "$OUT")"
PART=$(mktemp)
LOG="${OUT%.txt}.log"
trap 'rm -f "$PART"' EXIT

if [[ ! -f "$JAR" || -z "${SKIP_BUILD:-}" ]]; then
  mvn -B -q -pl benchmarks -am package -DskipTests
fi

{
  echo "lb4j JMH results"
  echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, $(uname -sm), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | xargs || true)"
  echo "jdk:     $(java -version 2>&1 | head -1)"
  echo "git:     $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "options: $OPTS -prof gc"
  echo
} > "$OUT"
: > "$LOG"

# run TITLE JMH-ARGS...: one JMH invocation, its text table appended to $OUT, full output to $LOG.
run() {
  local title=$1; shift
  echo "== $title" | tee -a "$LOG"
  # shellcheck disable=SC2086
  java -jar "$JAR" "$@" $OPTS -prof gc -rf text -rff "$PART" >> "$LOG" 2>&1 || echo "   (failed, see $LOG)"
  { echo "## $title"; echo "java -jar $JAR $* $OPTS -prof gc"; cat "$PART" 2>/dev/null; echo; } >> "$OUT"
  : > "$PART"
}

START=$(date +%s)
run "Pick + release, 1 thread, every policy" 'PickBenchmark.pick$' -t 1
run "Pick + release, 2 threads, no outlier detection" 'PickBenchmark.pick$' -t 2 -p outlierDetection=false
run "Hash policies: precomputed hash and 16-byte key, 1 thread" 'PickBenchmark.pick(Hash|Key)$' -t 1 \
  -p policy=ring_hash,maglev -p outlierDetection=false
run "Hash policies: precomputed hash and 16-byte key, 2 threads, 512 endpoints" 'PickBenchmark.pick(Hash|Key)$' -t 2 \
  -p policy=ring_hash,maglev -p outlierDetection=false -p endpoints=512
run "Hash lookups and their floors, ring and Maglev picks at 512 endpoints (one run)" \
  'HashLookupBenchmark|PickBenchmark.pickHash$' -t 1 -p endpoints=512 -p outlierDetection=false \
  -p policy=ring_hash,ring_hash_64k,ring_hash_stable,ring_hash_bounded,maglev,maglev_bounded
run "Maglev table build" 'TableBuildBenchmark.maglev$' -p ringMin=1024
run "Ring hash build" 'TableBuildBenchmark.ringHash$' -p maglevSlots=65537
run "Ring hash build and re-resolution vs gRPC-java" 'GrpcRingBuildBenchmark' -bm sample
run "gRPC pickers vs gRPC-java" 'GrpcPickerBenchmark' -p endpoints=8,512
if java -jar "$JAR" -l | grep -q OkHttpOverheadBenchmark; then
  # Real HTTP on loopback needs a longer warm-up than a picker: server and client JIT both settle.
  OPTS=${OKHTTP_OPTS:-"-f 1 -wi 3 -w 2s -i 5 -r 2s"} run "OkHttp interceptor overhead" 'OkHttpOverheadBenchmark'
  OPTS=${OKHTTP_OPTS:-"-f 1 -wi 3 -w 2s -i 5 -r 2s"} run "OkHttp interceptor overhead over TLS" 'OkHttpTlsOverheadBenchmark'
  # Allocation per call on the calling thread only (the interceptor's bytes to the byte; no server noise).
  for args in "OkHttpOverheadBenchmark" "OkHttpOverheadBenchmark paths=64" "OkHttpTlsOverheadBenchmark"; do
    # shellcheck disable=SC2086
    { echo "## OkHttp allocation per call: $args"; echo "java -cp $JAR io.lb4j.bench.CallAllocation $args";
      java -cp "$JAR" io.lb4j.bench.CallAllocation $args 2>> "$LOG" || echo "   (failed, see $LOG)"; echo; } >> "$OUT"
  done
  # The throughput ratio balanced/plain from alternating forks (median of per-pair ratios, min-max):
  # it survives a machine whose load drifts, where one run of each side does not.
  # shellcheck disable=SC2086
  { echo "## OkHttp throughput ratio, interleaved forks"
    echo "java -cp $JAR io.lb4j.bench.InterleavedRatio OkHttpOverheadBenchmark plain balanced ${RATIO_PAIRS:-10} ${RATIO_OPTS:-"-wi 3 -w 2s -i 5 -r 2s"}"
    java -cp "$JAR" io.lb4j.bench.InterleavedRatio OkHttpOverheadBenchmark plain balanced "${RATIO_PAIRS:-10}" \
      ${RATIO_OPTS:-"-wi 3 -w 2s -i 5 -r 2s"} -v SILENT 2>> "$LOG" | grep -Ev ' INFO |SLF4J' \
      || echo "   (failed, see $LOG)"; echo; } >> "$OUT"
fi
{ echo "## Hash builds in thread CPU time"; echo "java -cp $JAR io.lb4j.bench.BuildCpuTimes";
  java -cp "$JAR" io.lb4j.bench.BuildCpuTimes; echo; } >> "$OUT" 2>> "$LOG"
# Not timing measurements (deterministic keys / simulated time), so cheap and machine-independent.
{ echo "## Distribution and disruption"; echo "java -cp $JAR io.lb4j.bench.DistributionReport";
  java -cp "$JAR" io.lb4j.bench.DistributionReport; echo; } >> "$OUT" 2>> "$LOG"
{ echo "## Simulator"; echo "java -cp $JAR io.lb4j.bench.sim.Simulator";
  java -cp "$JAR" io.lb4j.bench.sim.Simulator; echo; } >> "$OUT" 2>> "$LOG"
echo "done in $(( $(date +%s) - START )) s: $OUT (full log $LOG)" | tee -a "$OUT"
