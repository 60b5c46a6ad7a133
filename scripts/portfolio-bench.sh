#!/usr/bin/env bash
# Time and peak memory of a 100-project, 5-year, 200-trial portfolio study (issue 25's scale
# target), on the hourly-step archetypes of runs/portfolio/ (20 simulated trials each) and the
# example's system load:
#
#   scripts/portfolio-bench.sh [BINARY] [THREADS]   (default: target/release/dcload, all cores)
#   ARCH_TRIALS=200 scripts/portfolio-bench.sh       simulates K = 200 trials of each archetype
#                                                    (one per portfolio trial) instead of 20
#
# The queue is generated: 100 projects in two zones, 100-1,000 MW, stages and online dates
# cycling through those of runs/portfolio-example.toml, four duplicate groups.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/dcload}
threads=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$(pwd)
{
    # Everything before the first [[project]] of the example (its five archetypes and its
    # system load, so the system's peak hours and the headroom are part of the figure), with
    # absolute paths.
    sed -n '1,/^\[\[project\]\]/p' runs/portfolio-example.toml | sed '$d' |
        sed "s|^run = \"portfolio/|run = \"$root/runs/portfolio/|; s|^files = \[\"portfolio/|files = [\"$root/runs/portfolio/|; s|^name = \"portfolio-example\"|name = \"portfolio-bench\"|" |
        if [ -n "${ARCH_TRIALS:-}" ]; then sed "s|^run = .*|&\ntrials = $ARCH_TRIALS|"; else cat; fi
    stages=(request request study study request study agreement request construction study)
    for i in $(seq 0 99); do
        zone=$([ $((i % 2)) -eq 0 ] && echo north || echo south)
        city=$([ "$zone" = north ] && echo dallas || echo austin)
        kind=$([ $((i % 3)) -eq 0 ] && echo inference || echo training)
        mw=$((100 + (i * 37) % 901))
        year=$((2026 + i % 5))
        month=$(printf %02d $((1 + (i * 5) % 12)))
        echo "[[project]]"
        echo "name = \"P$(printf %03d "$i")\""
        echo "zone = \"$zone\""
        echo "archetype = \"$kind-$city\""
        echo "mw = $mw"
        echo "stage = \"${stages[$((i % 10))]}\""
        echo "online = \"$year-$month-01\""
        if [ $((i % 25)) -lt 2 ]; then echo "group = \"dup-$((i / 25))\""; fi
        echo
    done
} >"$work/bench.toml"
args=(portfolio "$work/bench.toml" --trials 200 --out "$work/out" --quiet)
if [ -n "$threads" ]; then args+=(--threads "$threads"); fi
/usr/bin/time -v "$bin" "${args[@]}" 2>"$work/time.txt"
grep -E "Elapsed|Maximum resident|User time|System time" "$work/time.txt"
du -sh "$work/out" | sed 's/^/outputs: /'
