#!/usr/bin/env bash
# tests/run-scenarios.sh - runs every tests/scenarios/*.sh (or the named ones) against the built
# programs, CPNET_SCENARIO_JOBS (default 2) at a time; logs in build/test-logs/scenario/.
# A scenario exits 0 (passed), 77 (skipped, after "SKIP NAME: reason") or else (failed).
set -u
cd "$(dirname "$0")/.."
. tests/runner.bash
export CPNET_BUILD=${CPNET_BUILD:-$PWD/build}
# optional filter: run-scenarios.sh cp_remote ...
scripts=$(runner_pick tests/scenarios '*.sh' "$@") || exit 2
mapfile -t scripts <<<"$scripts"
runner_run scenarios "${CPNET_SCENARIO_JOBS:-2}" build/test-logs/scenario 300 "${scripts[@]}"
