#!/usr/bin/env bash
# Same bytes: run one fixed set of commands with two dcload binaries and compare every file they
# write and everything they print. For changes that must not change behaviour (moving files,
# splitting functions): build the old commit's binary, then
#
#   scripts/same-bytes.sh OLD_BINARY NEW_BINARY [WORKDIR]
#
# Covered: every runs/*.toml at 2 trials (all outputs, plots included), `validate` on every run
# file (stdout, stderr, exit code), `models`, a 3-way shard + merge, a run killed after its first
# checkpointed trial and resumed, `plot` and `report` on a finished run, the dynamics example and
# `headroom` on the test fixture. Exits non-zero on the first list of differences.
# NEW_RUN_ARGS (e.g. "--engine reference") is added to the new binary's `run` commands, to
# compare a mode of the new binary with the old binary's only mode.
set -uo pipefail
old=${1:?usage: same-bytes.sh OLD_BINARY NEW_BINARY [WORKDIR]}
new=${2:?usage: same-bytes.sh OLD_BINARY NEW_BINARY [WORKDIR]}
work=${3:-$(mktemp -d)}
cd "$(dirname "$0")/.."
repo=$(pwd)

# One side: every command, outputs under $2, console under $2/console.
side() {
    local bin=$1 out=$2
    local -a extra
    read -r -a extra <<<"${3:-}"
    rm -rf "$out"
    mkdir -p "$out/console"
    local log="$out/console"
    for f in runs/*.toml; do
        local n
        n=$(basename "$f" .toml)
        "$bin" validate "$f" >"$log/validate-$n.out" 2>"$log/validate-$n.err"
        echo "exit $?" >>"$log/validate-$n.out"
        case "$n" in dynamics-*) continue ;; esac
        "$bin" run "${extra[@]}" "$f" --trials 2 --threads 2 --quiet --out "$out/run-$n" \
            >"$log/run-$n.out" 2>"$log/run-$n.err"
        echo "exit $?" >>"$log/run-$n.out"
    done
    "$bin" models >"$log/models.out" 2>&1
    # Shards + merge of the default study.
    for k in 0 1 2; do
        "$bin" run "${extra[@]}" --trials 5 --shard "$k/3" --quiet --out "$out/shard$k" >"$log/shard$k.out" 2>&1
    done
    "$bin" merge "$out/shard0" "$out/shard1" "$out/shard2" --out "$out/merged" --quiet \
        >"$log/merge.out" 2>&1
    echo "exit $?" >>"$log/merge.out"
    # A run killed once a trial is checkpointed, then resumed: the final bytes must not depend on
    # when the kill came, so they compare across binaries.
    "$bin" run "${extra[@]}" --trials 6 --threads 1 --quiet --no-plots --out "$out/resumed" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 1 600); do
        if [ -n "$(ls "$out/resumed/.checkpoint" 2>/dev/null | grep -v manifest)" ]; then break; fi
        sleep 0.05
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    "$bin" run "${extra[@]}" --trials 6 --threads 2 --quiet --no-plots --out "$out/resumed" --resume \
        >"$log/resume.out" 2>&1
    echo "exit $?" >>"$log/resume.out"
    # plot and report on a finished run (a copy, so the run's own folder stays as written).
    cp -r "$out/run-default" "$out/replot"
    rm -rf "$out/replot/plots" "$out/replot/report.html"
    "$bin" plot "$out/replot" >"$log/plot.out" 2>&1
    echo "exit $?" >>"$log/plot.out"
    "$bin" report "$out/replot" >"$log/report.out" 2>&1
    echo "exit $?" >>"$log/report.out"
    # The dynamics example and headroom on the test fixture.
    "$bin" dynamics runs/dynamics-campus.toml --out "$out/dynamics" >"$log/dynamics.out" 2>&1
    echo "exit $?" >>"$log/dynamics.out"
    "$bin" headroom "$work/system.csv" --out "$out/headroom" \
        >"$log/headroom.out" 2>&1
    echo "exit $?" >>"$log/headroom.out"
    "$bin" headroom "$work/system.csv" --run "$out/run-utility-study" \
        --out "$out/headroom-study" >"$log/headroom-study.out" 2>&1
    echo "exit $?" >>"$log/headroom-study.out"
    # Output folders are named in some messages: make them relative to the side's folder.
    sed -i "s#$out#OUT#g" "$log"/* 2>/dev/null
    # The only figures that are not the program's output but the machine's: wall-clock and CPU
    # times.
    find "$out" -name run_info.json -exec sed -i -e 's/"wall_time_s": [0-9.]*/"wall_time_s": T/' \
        -e '/"aggregate_s"\|"write_s"\|"trial_cpu_ms"/d' -e 's/"wall_time_s": T,$/"wall_time_s": T/' {} +
    sed -i -E 's/built in [0-9]+ ms \(hourly engine trial [0-9]+ ms\)/built in T ms (hourly engine trial T ms)/' "$log/dynamics.out"
}

# Two years of a made-up hourly system load (seasonal and daily swings) for headroom.
mkdir -p "$work"
python3 - "$work/system.csv" <<'PY'
import math, sys, datetime
t = datetime.datetime(2024, 1, 1)
with open(sys.argv[1], "w") as f:
    f.write("timestamp,MW\n")
    for i in range(2 * 8760 + 24):
        d = t + datetime.timedelta(hours=i)
        mw = 20000 + 4000 * math.cos(2 * math.pi * (d.timetuple().tm_yday - 200) / 365) \
            + 2500 * math.cos(2 * math.pi * (d.hour - 17) / 24) + 300 * math.sin(i * 0.37)
        f.write(f"{d:%Y-%m-%dT%H:00}Z,{mw:.1f}\n")
PY

echo "old: $old"
echo "new: $new"
echo "work: $work"
side "$old" "$work/old"
side "$new" "$work/new" "${NEW_RUN_ARGS:-}"
files=$(cd "$work/old" && find . -type f | grep -v '/\.checkpoint/' | wc -l)
if diff -r -x .checkpoint "$work/old" "$work/new" >"$work/diff.txt"; then
    echo "same bytes: $files files (outputs of $(ls runs/*.toml | wc -l) run files, validate, models, shards + merge, resume, plot, report, dynamics, headroom)"
else
    echo "DIFFERENT ($(grep -c '' "$work/diff.txt") diff lines; first 40 below; all in $work/diff.txt)"
    head -40 "$work/diff.txt"
    exit 1
fi
cd "$repo" || exit 1
