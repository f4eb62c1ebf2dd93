#!/usr/bin/env bash
# The developer's loop, with hyperfine and GNU time:
#   edit   `cargo run -- emit` right after a one-line edit in an application module (DBBat's
#          default replicaCount, toggled 1 <-> 2 before every run, so each run recompiles);
#   build  cold `cargo build`, from an empty target directory (crates already downloaded);
#   test   cold `cargo test --workspace --all-targets --no-run`, likewise.
#
#   bash scripts/bench/devloop.sh [edit|build|test]...      (default: all three)
#
# The cold builds use their own target directories under target/bench/, so target/ keeps its
# incremental cache; each prints wall, user and system time and the load before and after, and
# keeps cargo's --timings report.
set -euo pipefail
cd "$(dirname "$0")/../.."
bench=$PWD/target/bench/devloop
mkdir -p "$bench"
module=crates/apps/src/dbbat.rs
line='            replica_count: 1,'

edit() {
    grep -qF "$line" "$module" || { echo "$module has no line '$line'" >&2; exit 1; }
    cp "$module" "$bench/module.orig"
    trap 'cp "$bench/module.orig" "$module"' EXIT
    cargo build --locked -q
    echo "load before: $(cat /proc/loadavg)"
    # The edit changes emitted values, so emit writes elsewhere than charts-out/.
    hyperfine --warmup 1 --runs "${RUNS:-10}" --export-json "$bench/edit.json" \
        --prepare "sed -i -e 's/^\(            replica_count: \)1,\$/\12,/;t' -e 's/^\(            replica_count: \)2,\$/\11,/' $module" \
        "cargo run --locked -q -- emit --out $bench/emit-out"
    echo "load after: $(cat /proc/loadavg)"
    cp "$bench/module.orig" "$module"
    trap - EXIT
}

cold() {
    local what=$1 target=$bench/cold-$1
    shift
    rm -rf "$target"
    echo "load before: $(cat /proc/loadavg)"
    CARGO_TARGET_DIR=$target /usr/bin/time -f "cold $what: wall %e s, user %U s, sys %S s, max RSS %M KiB" "$@" -q --timings
    echo "load after: $(cat /proc/loadavg)"
    # Per-crate build times, steadier than the total on a shared machine.
    cp "$target/cargo-timings/cargo-timing.html" "$bench/cold-$what-timing.html"
    echo "per-crate times: $bench/cold-$what-timing.html"
    rm -rf "$target"
}

for step in "${@:-edit build test}"; do
    for s in $step; do
        case $s in
            edit) edit ;;
            build) cold build cargo build --locked ;;
            test) cold test cargo test --workspace --all-targets --locked --no-run ;;
            *) echo "unknown step $s (edit, build, test)" >&2; exit 2 ;;
        esac
    done
done
