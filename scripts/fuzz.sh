#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ (the --set parser, the values reader, the record reader) for
# SECONDS each (default 10), on the stable toolchain: libFuzzer (the libfuzzer-sys crate) with
# the sanitizer-coverage flags cargo-fuzz would pass, without a sanitizer (that needs nightly).
# Each target starts from its committed corpus in fuzz/corpus/<target>; inputs that grow coverage
# go to .fuzz-corpus/<target> (ignored), never into the committed corpus. A crash stops the run
# with the input saved under fuzz/artifacts/<target>/ and a non-zero exit.
#   bash scripts/fuzz.sh            # every target, 10 s each
#   bash scripts/fuzz.sh 3600 set_parser
#   bash scripts/fuzz.sh --build-only   # build them, run none (the test command builds early)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == --build-only ]]; then build_only=1; shift; else build_only=0; fi
seconds="${1:-10}"
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=(set_parser values_reader record_reader); fi
host="$(rustc -vV | sed -n 's/^host: //p')"
# Coverage for libFuzzer on the target only (--target keeps it off build scripts and proc macros).
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/fuzz"
cargo build --locked --release --manifest-path fuzz/Cargo.toml --target "$host" --bins
if [[ $build_only == 1 ]]; then exit 0; fi
for t in "${targets[@]}"; do
  mkdir -p ".fuzz-corpus/$t" "fuzz/artifacts/$t"
  echo "fuzz: $t for ${seconds}s"
  log="$CARGO_TARGET_DIR/$t.log"
  status=0
  "$CARGO_TARGET_DIR/$host/release/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 ".fuzz-corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1 || status=$?
  grep -E '^stat::(number_of_executed_units|new_units_added)' "$log" || true
  if [[ $status -ne 0 ]]; then
    tail -40 "$log"
    echo "fuzz: $t failed (exit $status); the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
done
