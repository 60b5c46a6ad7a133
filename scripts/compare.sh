#!/usr/bin/env bash
# Is NEW faster than OLD? A paired comparison of two dcload binaries on one study, for changes
# whose effect is smaller than the host's drift (this machine's speed moves ~15 % within
# minutes, so two bench.sh runs minutes apart cannot tell a 2 % change from the weather):
#
#   scripts/compare.sh OLD NEW [RUN_FILE] [TRIALS] [PAIRS]
#
# defaults: runs/default.toml, 21 trials, 8 pairs (~1 min for the default study); RUN_FILE is a
# path, or one relative to the repository. Each pair runs
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
# Paths as given (relative to where the script is called from, or a name on PATH), resolved
# before the script moves to the repository's root.
resolve() {
    local p=$1
    if [[ $p != */* ]] && command -v "$p" >/dev/null 2>&1; then p=$(command -v "$p"); fi
    realpath -e -- "$p" 2>/dev/null || echo "$p"
}
old=$(resolve "$old")
new=$(resolve "$new")
for b in "$old" "$new"; do
    [ -f "$b" ] && [ -x "$b" ] || { echo "compare.sh: $b is not an executable dcload binary" >&2; exit 2; }
done
if [ -f "$run" ]; then run=$(realpath -e -- "$run"); fi
cd "$(dirname "$0")/.."
[ -f "$run" ] || { echo "compare.sh: no run file at $run (give a path, or one relative to the repository)" >&2; exit 2; }
[ "$trials" -ge 2 ] 2>/dev/null || { echo "compare.sh: TRIALS must be a whole number >= 2, found $trials" >&2; exit 2; }
[ "$pairs" -ge 2 ] 2>/dev/null || { echo "compare.sh: PAIRS must be a whole number >= 2, found $pairs" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# perf when it counts task-clock here (it exits 0 with "<not supported>" where it cannot);
# else /usr/bin/time.
use_perf=0
if perf stat -x, -e task-clock -o "$work/probe" true 2>/dev/null &&
    awk -F, '/task-clock/ {exit !($1 ~ /^[0-9.]+$/)}' "$work/probe"; then
    use_perf=1
elif [ ! -x /usr/bin/time ]; then
    echo "compare.sh: needs perf (task-clock) or /usr/bin/time to time the whole process" >&2
    exit 2
fi

# One run of binary $1 labelled $2: appends "label trial_ms process_ms" to $work/raw.
one() {
    local bin=$1 label=$2 out="$work/out" cpu
    rm -rf "$out"
    if [ $use_perf = 1 ]; then
        perf stat -x, -e task-clock -o "$work/stat" \
            "$bin" run "$run" --trials "$trials" --threads 1 --no-plots --quiet --out "$out" \
            2>"$work/err" || { cat "$work/err" >&2; return 1; }
        cpu=$(awk -F, '/task-clock/ {print $1}' "$work/stat")
    else
        /usr/bin/time -f "%U %S" -o "$work/stat" \
            "$bin" run "$run" --trials "$trials" --threads 1 --no-plots --quiet --out "$out" \
            2>"$work/err" || { cat "$work/err" >&2; return 1; }
        cpu=$(awk '{print ($1 + $2) * 1000}' "$work/stat")
    fi
    python3 - "$out/run_info.json" "$label" "$cpu" >>"$work/raw" <<'PY'
import json, sys
by = json.load(open(sys.argv[1])).get("trial_cpu_ms", {}).get("by_trial", [])[1:]
if not by or any(x is None for x in by):
    sys.exit("compare.sh: run_info.json has no trial clock (not Linux with glibc?)")
print(sys.argv[2], sum(by) / len(by), sys.argv[3])
PY
}

for i in $(seq "$pairs"); do
    if [ $((i % 2)) = 1 ]; then
        one "$old" old || { echo "compare.sh: pair $i: $old failed" >&2; exit 1; }
        one "$new" new || { echo "compare.sh: pair $i: $new failed" >&2; exit 1; }
    else
        one "$new" new || { echo "compare.sh: pair $i: $new failed" >&2; exit 1; }
        one "$old" old || { echo "compare.sh: pair $i: $old failed" >&2; exit 1; }
    fi
done

clock=$([ $use_perf = 1 ] && echo "perf task-clock" || echo "/usr/bin/time user+sys, 10 ms steps")
python3 - "$work/raw" "$old" "$new" "$run" "$trials" "$pairs" "$clock" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1])]
fig = {k: [[float(r[1]) for r in rows if r[0] == k], [float(r[2]) for r in rows if r[0] == k]]
       for k in ("old", "new")}
print(f"{sys.argv[4]}, {sys.argv[5]} trials, {sys.argv[6]} pairs alternated")
for name, i, unit in (("trial alone (mean of trials 2..)", 0, "ms"), ("whole process", 1, "ms")):
    o, n = fig["old"][i], fig["new"][i]
    d = [b - a for a, b in zip(o, n)]
    se = st.stdev(d) / len(d) ** 0.5
    rel = f"{100 * st.mean(d) / st.mean(o):+.1f} %" if st.mean(o) > 0 else "old's mean 0"
    print(f"{name:34} old {st.mean(o):9.2f} {unit}  new {st.mean(n):9.2f} {unit}  "
          f"new - old {st.mean(d):+8.2f} +- {se:.2f} {unit} ({rel})")
print(f"old: {sys.argv[2]}\nnew: {sys.argv[3]}\nwhole process timed by {sys.argv[7]}")
PY
