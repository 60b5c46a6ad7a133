#!/usr/bin/env bash
# Long unattended fuzzing campaign (issue 10): the structured mutator of
# tests/integration/fuzz.rs (presets in runs/, the model library, request traces, EPW weather and
# carbon CSVs) for MINUTES minutes from SEED, at low priority. Failing cases (panics, hangs,
# non-finite outputs, numbers printed in hundreds of digits) are kept in SAVE for reproduction;
# the last line is the campaign's summary, and the exit status is non-zero if any case failed.
#
#   scripts/fuzz.sh [MINUTES] [SEED] [SAVE]   # defaults: 30 minutes, seed 1000000, fuzz-failures/
#
# Case k of a campaign uses seed SEED + k and is a short run when k is a multiple of 8 (else
# validate only). To replay one: DCLOAD_FUZZ_SEED=<its seed> DCLOAD_FUZZ_CASES=1
# DCLOAD_FUZZ_RUNS=<1 for a run case, 0 otherwise> cargo test --release --test integration fuzz -- --nocapture
set -euo pipefail
minutes="${1:-30}"
seed="${2:-1000000}"
save="${3:-fuzz-failures}"
cd "$(dirname "$0")/.."
# Build, then run the test binary itself (not through cargo, so other builds are not locked out).
bin=$(nice -n 19 cargo test --release --test integration --no-run 2>&1 |
    sed -n 's/.*Executable .*(\(.*integration-[0-9a-f]*\)).*/\1/p' | tail -1)
[ -x "$bin" ] || { echo "fuzz: cannot find the integration test binary" >&2; exit 1; }
mkdir -p "$save"
export DCLOAD_FUZZ_MINUTES="$minutes" DCLOAD_FUZZ_SEED="$seed" DCLOAD_FUZZ_SAVE="$(cd "$save" && pwd)"
echo "fuzz: ${minutes} min from seed ${seed} with $bin; failing cases go to ${save}/" >&2
nice -n 19 "$bin" fuzz_presets --nocapture --test-threads 1 2>&1 |
    grep --line-buffered -E '^fuzz:|case seed|test result'
