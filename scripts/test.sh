#!/usr/bin/env bash
# The test command: installs the external tools (Helm 4 and 3, kubernetes-validate, yamllint,
# checkov, docker-registry, Graphviz, OPAL, cedar-agent, Redis, PostgreSQL, mdBook; see
# scripts/install-test-tools.sh) into .tools/ once, checks formatting and lints, builds the book
# (docs/), then runs every test of the workspace, the fuzz targets for a few seconds each, and the
# upgrade check of every chart against its previous release. `.ci/run`
# runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
# CI builds from scratch once: incremental compilation only costs there (it pays on rebuilds).
if [[ "${CI:-}" == true ]]; then export CARGO_INCREMENTAL=0; fi
# Each step says how long it took, for the test command's time budget (BENCHMARKS.md).
step() {
  local t0=$SECONDS
  "$@"
  echo "test.sh: $* took $((SECONDS - t0)) s" >&2
}
# The tools install (downloads, unpacking, pip) while clippy compiles: the two share little but
# the two cores, and the installs wait on the network half the time. The tests need them.
mkdir -p target
tools_log=target/install-test-tools.log
bash scripts/install-test-tools.sh >"$tools_log" 2>&1 &
tools=$!
trap 'kill "$tools" 2>/dev/null || true' EXIT
step cargo fmt --all --check
step cargo clippy --workspace --all-targets --locked -- -D warnings
# rustdoc with no warnings: a broken link or an unescaped tag in a public doc fails here. It
# reuses the dependencies clippy checked; only the workspace's crates are documented (the whole
# workspace: the root package is the one that picks the Kubernetes version k8s-openapi needs).
RUSTDOCFLAGS="-D warnings" step cargo doc --workspace --no-deps --locked
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
step cargo test --workspace --all-targets --locked --no-run
# The fuzz targets (fuzz/) build while the tests run: the tests wait on Helm and the programs
# they start for a third of their time, which the build fills. Built at opt-level 1, which halves
# the build and still runs hundreds of thousands of inputs a target.
fuzz_log=target/fuzz-build.log
CARGO_PROFILE_RELEASE_OPT_LEVEL=1 bash scripts/fuzz.sh --build-only >"$fuzz_log" 2>&1 &
fuzz=$!
trap 'kill "$tools" "$fuzz" 2>/dev/null || true' EXIT
step cargo test --workspace --all-targets --locked
if ! wait "$fuzz"; then
  cat "$fuzz_log" >&2
  echo "test.sh: building the fuzz targets failed (its log above)" >&2
  exit 1
fi
step cargo test --workspace --doc --locked
# Each fuzz target 10 s from the committed corpus: a crash fails the run.
# `bash scripts/fuzz.sh 3600` fuzzes for real.
CARGO_PROFILE_RELEASE_OPT_LEVEL=1 step bash scripts/fuzz.sh 10
# A chart whose content changed without the version bump (and, for a breaking change, the
# upgrade note) it needs does not land. Needs the git history: a shallow clone fails here.
# The binary the tests ran: `cargo run` would build it again with the root package's features
# alone (20 s).
step "${CARGO_TARGET_DIR:-target}/debug/kforge" upgrade-check
