#!/usr/bin/env bash
# Is NEW faster than OLD? A paired comparison of two dcload binaries on one study, for changes
# whose effect is smaller than the host's drift (this machine's speed moves ~15 % within
# minutes, so two bench.sh runs minutes apart cannot tell a 2 % change from the weather):
#
#   scripts/compare.sh OLD NEW [RUN_FILE] [TRIALS] [PAIRS]
#
# defaults: runs/default.toml, 21 trials, 8 pairs (~1 min for the default study). Each pair runs
# OLD then NEW (odd pairs) or NEW then OLD (even pairs), `--threads 1 --no-plots`, and reads two
# figures of each run: the mean CPU time of trials 2..TRIALS on their own thread's clock
# (run_info.json's trial_cpu_ms: the simulation alone) and the whole process's CPU time (perf
# task-clock when perf can count it, else user+sys from /usr/bin/time at 10 ms: start-up, the
# trials, the per-trial records and the bands and files at the end). Prints each binary's mean
# and the paired difference NEW - OLD with its standard error; a difference within about two
# standard errors of zero is no difference. Linux with glibc (the trial clock).
set -euo pipefail
old=${1:?usage: compare.sh OLD NEW [RUN_FILE] [TRIALS] [PAIRS]}
new=${2:?usage: compare.sh OLD NEW [RUN_FILE] [TRIALS] [PAIRS]}
run=${3:-runs/default.toml}
trials=${4:-21}
pairs=${5:-8}
cd "$(dirname "$0")/.."
for b in "$old" "$new"; do
    [ -x "$b" ] || { echo "compare.sh: $b is not an executable dcload binary" >&2; exit 2; }
done
[ -f "$run" ] || { echo "compare.sh: no run file at $run" >&2; exit 2; }
[ "$trials" -ge 2 ] 2>/dev/null || { echo "compare.sh: TRIALS must be a whole number >= 2, found $trials" >&2; exit 2; }
[ "$pairs" -ge 2 ] 2>/dev/null || { echo "compare.sh: PAIRS must be a whole number >= 2, found $pairs" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
use_perf=0
if perf stat -x, -e task-clock -o "$work/probe" true 2>/dev/null; then use_perf=1; fi

# One run of binary $1 labelled $2: appends "label trial_ms process_ms" to $work/raw.
one() {
    local bin=$1 label=$2 out="$work/out" cpu
    rm -rf "$out"
    if [ $use_perf = 1 ]; then
        perf stat -x, -e task-clock -o "$work/stat" \
            "$bin" run "$run" --trials "$trials" --threads 1 --no-plots --quiet --out "$out"
        cpu=$(awk -F, '/task-clock/ {print $1}' "$work/stat")
    else
        /usr/bin/time -f "%U %S" -o "$work/stat" \
            "$bin" run "$run" --trials "$trials" --threads 1 --no-plots --quiet --out "$out"
        cpu=$(awk '{print ($1 + $2) * 1000}' "$work/stat")
    fi
    python3 - "$out/run_info.json" "$label" "$cpu" >>"$work/raw" <<'PY'
import json, sys
by = json.load(open(sys.argv[1]))["trial_cpu_ms"]["by_trial"][1:]
if not by or any(x is None for x in by):
    sys.exit("compare.sh: run_info.json has no trial clock (not Linux with glibc?)")
print(sys.argv[2], sum(by) / len(by), sys.argv[3])
PY
}

for i in $(seq "$pairs"); do
    if [ $((i % 2)) = 1 ]; then one "$old" old; one "$new" new; else one "$new" new; one "$old" old; fi
done

python3 - "$work/raw" "$old" "$new" "$run" "$trials" "$pairs" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1])]
fig = {k: [[float(r[1]) for r in rows if r[0] == k], [float(r[2]) for r in rows if r[0] == k]]
       for k in ("old", "new")}
print(f"{sys.argv[4]}, {sys.argv[5]} trials, {sys.argv[6]} pairs alternated")
for name, i, unit in (("trial alone (mean of trials 2..)", 0, "ms"), ("whole process", 1, "ms")):
    o, n = fig["old"][i], fig["new"][i]
    d = [b - a for a, b in zip(o, n)]
    se = st.stdev(d) / len(d) ** 0.5
    print(f"{name:34} old {st.mean(o):9.2f} {unit}  new {st.mean(n):9.2f} {unit}  "
          f"new - old {st.mean(d):+8.2f} +- {se:.2f} {unit} ({100 * st.mean(d) / st.mean(o):+.1f} %)")
print(f"old: {sys.argv[2]}\nnew: {sys.argv[3]}")
PY
