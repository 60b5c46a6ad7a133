#!/usr/bin/env bash
# Long unattended fuzzing campaign (issues 10 and 21), at low priority, in two halves:
# 1. the structured mutator of tests/integration/fuzz.rs (presets in runs/, the model library,
#    request traces, EPW weather and carbon CSVs), in-process;
# 2. the command-level cases of tests/integration/fuzz_commands.rs, each a dcload process in its
#    own folder: `dcload dynamics` names and paths, report folders (links, FIFOs, oversized
#    files in plots/, a failed run's folder), trial records (FIFOs, links to /dev/zero,
#    truncated) for merge and --resume, names with CSV metacharacters and escapes, growth and
#    system loads near overflow, links planted at the names `run` writes. Each case is checked
#    for no write outside its output folder (the tree around it snapshotted before and after),
#    no panic, no hang (60 s), memory under 2 GiB (ulimit -v and the process's peak), no raw
#    control character on the console, and with exit 0 no non-finite or overlong number.
# Failing cases are kept in SAVE for reproduction (case-SEED/ and cmd-case-SEED/ with
# command.txt); the last lines are each half's summary, and the exit status is non-zero if any
# case failed.
#
#   scripts/fuzz.sh [MINUTES] [SEED] [SAVE]   # defaults: 30 minutes, seed 1000000, fuzz-failures/
#
# In the first half case k uses seed SEED + k and is a short run when k is a multiple of 8 (else
# validate only). To replay one: DCLOAD_FUZZ_SEED=<its seed> DCLOAD_FUZZ_CASES=1
# DCLOAD_FUZZ_RUNS=<1 for a run case, 0 otherwise> cargo test --release --test integration fuzz_presets -- --nocapture
# In the second: DCLOAD_FUZZ_SEED=<its seed> DCLOAD_FUZZ_CASES=1 cargo test --release --test
# integration fuzz_commands -- --nocapture
set -uo pipefail
minutes="${1:-30}"
seed="${2:-1000000}"
save="${3:-fuzz-failures}"
cd "$(dirname "$0")/.."
# Build, then run the test binary itself (not through cargo, so other builds are not locked out).
bin=$(nice -n 19 cargo test --release --test integration --no-run 2>&1 |
    sed -n 's/.*Executable .*(\(.*integration-[0-9a-f]*\)).*/\1/p' | tail -1)
[ -x "$bin" ] || { echo "fuzz: cannot find the integration test binary" >&2; exit 1; }
mkdir -p "$save"
half=$(awk -v m="$minutes" 'BEGIN { print m / 2 }')
export DCLOAD_FUZZ_MINUTES="$half" DCLOAD_FUZZ_SEED="$seed" DCLOAD_FUZZ_SAVE="$(cd "$save" && pwd)"
echo "fuzz: ${minutes} min from seed ${seed} with $bin; failing cases go to ${save}/" >&2
status=0
nice -n 19 "$bin" fuzz_presets --nocapture --test-threads 1 2>&1 |
    grep --line-buffered -E '^fuzz:|case seed|test result'
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
nice -n 19 "$bin" fuzz_commands_folders --nocapture --test-threads 1 2>&1 |
    grep --line-buffered -E '^fuzz:|test result'
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
exit "$status"
