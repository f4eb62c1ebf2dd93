#!/usr/bin/env bash
# The test command: installs the external tools (Helm 4 and 3, kubernetes-validate, yamllint,
# checkov, docker-registry, Graphviz, OPAL, cedar-agent, Redis, PostgreSQL; see
# scripts/install-test-tools.sh) into .tools/ once, checks formatting and lints, then runs every test
# of the workspace, the fuzz targets for a few seconds each, and the upgrade check of every chart
# against its previous release. `.ci/run`
# runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
# CI builds from scratch once: incremental compilation only costs there (it pays on rebuilds).
if [[ "${CI:-}" == true ]]; then export CARGO_INCREMENTAL=0; fi
bash scripts/install-test-tools.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
# The fuzz targets (fuzz/), 10 s each from the committed corpus: a crash fails the run. Built at
# opt-level 1, which halves the build and still runs hundreds of thousands of inputs a target;
# `bash scripts/fuzz.sh 3600` fuzzes for real.
CARGO_PROFILE_RELEASE_OPT_LEVEL=1 bash scripts/fuzz.sh 10
# A chart whose content changed without the version bump (and, for a breaking change, the
# upgrade note) it needs does not land. Needs the git history: a shallow clone fails here.
cargo run --locked --quiet -- upgrade-check
