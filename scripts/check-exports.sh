#!/usr/bin/env bash
# Proves that `dcload dynamics --export` writes files the grid's tools read (issue 24 item 6):
# COMTRADE through the `comtrade` package (every encoding), the OpenDSS LoadShape through
# OpenDSS (opendssdirect.py: a small circuit solved at every sample), and the ANDES add-file
# in Kundur's two-area case (10 s time-domain runs with the grid's and the unmitigated
# facility's power; the generators' response printed).
# Values are checked against waveform.csv; any mismatch exits non-zero.
#
# The readers come from the package registry into a venv under a cache folder
# (DCLOAD_CACHE, default ~/.cache/dcload), pinned by scripts/check-exports.requirements.txt and
# rebuilt when that file changes. ANDES generates its model code into ~/.andes on first use.
# Usage: scripts/check-exports.sh [DCLOAD_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
req=scripts/check-exports.requirements.txt
cache="${DCLOAD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dcload}"
venv="$cache/export-venv-$(sha256sum "$req" | cut -c1-12)"
if [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    mkdir -p "$cache"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$req"
    "$venv/bin/python" -m pip check
    touch "$venv/.complete"
fi
venv_s=$(( $(date +%s) - start ))

bin="${1:-target/release/dcload}"
if [ $# -eq 0 ]; then
    cargo build --release --locked --quiet
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dirs=()
for f in ascii binary binary32 float32; do
    "$bin" dynamics runs/dynamics-campus.toml --no-plots --out "$work/comtrade-$f" \
        --export comtrade --comtrade-format "$f" >/dev/null
    dirs+=("$work/comtrade-$f")
done
"$bin" dynamics runs/dynamics-campus.toml --no-plots --out "$work/tools" \
    --export opendss,andes >/dev/null
# The unmitigated facility as ANDES's load: the example with `[export] series = "facility"`.
sed -e "s|^run = \"|run = \"$PWD/runs/|" -e "s|^spec = \"|spec = \"$PWD/runs/|" \
    -e "s|^disturbance = \"|disturbance = \"$PWD/runs/|" runs/dynamics-campus.toml \
    > "$work/facility.toml"
printf '\n[export]\nformats = ["andes"]\nseries = "facility"\n' >> "$work/facility.toml"
"$bin" dynamics "$work/facility.toml" --no-plots --out "$work/facility" >/dev/null
"$venv/bin/python" scripts/check-exports.py --comtrade "${dirs[@]}" --tools "$work/tools" \
    --facility "$work/facility"
echo "check-exports: $(( $(date +%s) - start )) s (venv ${venv_s} s)"
