#!/usr/bin/env bash
# The test command: installs the external tools (Helm 4 and 3, kubernetes-validate, yamllint,
# checkov) into .tools/ once, then runs every test of the workspace. `.ci/run` runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-tools.sh
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
