#!/usr/bin/env bash
# The whole `kforge emit` (release binary: every application, chart and environment, written
# atomically into charts-out/) against one `helm template` of the DBBat chart with its production
# values, Helm 4 and Helm 3, with hyperfine. ROUNDS rounds alternate the commands so a change in
# the machine's load hits all of them; the summary takes medians over every run.
#
#   bash scripts/bench/helm-ratio.sh [ROUNDS] [RUNS_PER_ROUND]     (default 5 rounds of 20)
#
# Needs hyperfine (Debian: apt-get install hyperfine) and the Helm binaries that
# scripts/install-test-tools.sh puts in .tools/ (run `bash scripts/test.sh` once).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
runs=${2:-20}
out=target/bench/helm-ratio
mkdir -p "$out"
rm -f "$out"/round-*.json
cargo build --release --locked -q
# The wrappers in .tools/bin set a private Helm home and exec the binary; call the binaries
# themselves, with a home of our own, so a shell start is not counted against Helm.
binary() { sed -n "s/^exec '\([^']*\)'.*/\1/p" ".tools/bin/$1"; }
helm4=$(binary helm4)
helm3=$(binary helm3)
export HELM_CACHE_HOME=$PWD/$out/helm-home/cache HELM_CONFIG_HOME=$PWD/$out/helm-home/config HELM_DATA_HOME=$PWD/$out/helm-home/data
chart=charts-out/charts/dbbat
values=$chart/values-production.yaml
echo "load before: $(cat /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
    hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/round-$r.json" \
        -n emit "target/release/kforge emit" \
        -n helm4 "$helm4 template dbbat $chart -f $values" \
        -n helm3 "$helm3 template dbbat $chart -f $values" \
        > "$out/round-$r.txt"
    echo "round $r done, load: $(cat /proc/loadavg)"
done
echo "load after: $(cat /proc/loadavg)"
python3 - "$out" <<'PY'
import json, glob, statistics, sys
times = {}
for f in sorted(glob.glob(sys.argv[1] + "/round-*.json")):
    for r in json.load(open(f))["results"]:
        times.setdefault(r["command"], []).extend(r["times"])
def q(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(p * len(xs)))]
for name, xs in times.items():
    ms = [x * 1e3 for x in xs]
    print(f"{name:6} runs={len(ms):4} median={statistics.median(ms):6.2f} ms  p10={q(ms, .1):6.2f}  p90={q(ms, .9):6.2f}  min={min(ms):6.2f}  max={max(ms):6.2f}")
e = statistics.median(times["emit"])
for h in ("helm4", "helm3"):
    print(f"emit / {h} template = {e / statistics.median(times[h]):.3f}  (target: at most 0.25)")
PY
