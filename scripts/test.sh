#!/usr/bin/env bash
# The test command: installs the external tools (Helm 4 and 3, kubernetes-validate, yamllint,
# checkov, docker-registry, Graphviz, OPAL, cedar-agent, Redis, PostgreSQL, mdBook; see
# scripts/install-test-tools.sh) into .tools/ once, checks formatting and lints, builds the book
# (docs/) and the API docs, then runs every test of the workspace, the fuzz targets for a few
# seconds each, and the upgrade check of every chart against its previous release. `.ci/run`
# runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
# CI builds from scratch once: incremental compilation only costs there (it pays on rebuilds).
if [[ "${CI:-}" == true ]]; then export CARGO_INCREMENTAL=0; fi
target="${CARGO_TARGET_DIR:-target}"
# Each step says how long it took, for the test command's time budget (BENCHMARKS.md).
step() {
  local t0=$SECONDS
  "$@"
  echo "test.sh: $* took $((SECONDS - t0)) s" >&2
}
# Waits for a background step; on failure shows its log and stops the run.
finish() {
  local pid="$1" log="$2" what="$3"
  if ! wait "$pid"; then
    cat "$log" >&2
    echo "test.sh: $what failed (its log above)" >&2
    exit 1
  fi
  grep '^test.sh: ' "$log" >&2 || true
}
mkdir -p "$target"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
# The tools install (downloads, unpacking, pip) while the tests compile: the two share little
# but the two cores, and the installs wait on the network half the time. The tests need them.
tools_log="$target/install-test-tools.log"
bash scripts/install-test-tools.sh >"$tools_log" 2>&1 &
tools=$!
pids+=("$tools")
step cargo fmt --all --check
step cargo test --workspace --all-targets --locked --no-run
if ! wait "$tools"; then
  cat "$tools_log" >&2
  echo "test.sh: installing the test tools failed (its log above)" >&2
  exit 1
fi
cat "$tools_log"
# The book (docs/) into target/book: a SUMMARY.md naming a missing chapter or a broken
# {{#include}} fails here. Its Rust blocks are compiled by the doctests (crates/book) below.
if [[ ! -x .tools/bin/mdbook ]]; then
  echo "test.sh: .tools/bin/mdbook is missing (scripts/install-test-tools.sh installs it)" >&2
  exit 1
fi
step .tools/bin/mdbook build docs
# While the tests run, which wait on Helm and the programs they start for a third of their
# time, the lints and the fuzz targets build in those gaps (BENCHMARKS.md, "The test command"):
# - clippy, then rustdoc with no warnings (a broken link or an unescaped tag in a public doc
#   fails), in a target folder of their own: cargo holds the tests' folder while they run, and
#   a lint build shares nothing with a test build anyway; rustdoc reuses what clippy checked.
#   The whole workspace: the root package picks the Kubernetes version k8s-openapi needs.
# - the fuzz targets (fuzz/), at opt-level 1, which halves the build and still runs hundreds of
#   thousands of inputs a target.
lints_log="$target/lints.log"
(
  export CARGO_TARGET_DIR="$target/lints"
  step cargo clippy --workspace --all-targets --locked -- -D warnings
  RUSTDOCFLAGS="-D warnings" step cargo doc --workspace --no-deps --locked
) >"$lints_log" 2>&1 &
lints=$!
pids+=("$lints")
fuzz_log="$target/fuzz-build.log"
CARGO_PROFILE_RELEASE_OPT_LEVEL=1 bash scripts/fuzz.sh --build-only >"$fuzz_log" 2>&1 &
fuzz=$!
pids+=("$fuzz")
step cargo test --workspace --all-targets --locked
finish "$lints" "$lints_log" "clippy or rustdoc"
finish "$fuzz" "$fuzz_log" "building the fuzz targets"
step cargo test --workspace --doc --locked
# Each fuzz target 10 s from the committed corpus: a crash fails the run.
# `bash scripts/fuzz.sh 3600` fuzzes for real.
CARGO_PROFILE_RELEASE_OPT_LEVEL=1 step bash scripts/fuzz.sh 10
# A chart whose content changed without the version bump (and, for a breaking change, the
# upgrade note) it needs does not land. Needs the git history: a shallow clone fails here.
# The binary the tests ran: `cargo run` would build it again with the root package's features
# alone (20 s).
step "$target/debug/kforge" upgrade-check
