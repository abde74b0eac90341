#!/usr/bin/env bash
# `npm run check:compose`: validates docker-compose.yml with a compose CLI (`config`: the compose
# file schema, interpolation, anchors, depends_on conditions), which needs no Docker engine. Uses
# `docker compose` when the Docker CLI has the plugin, else Debian's docker-compose (installed by
# scripts/provision.sh). The secrets are placeholders: `config` only interpolates them. Also checks
# that without them compose refuses (the `${NAME:?…}` interpolation). Exits 1 naming the problem.
set -euo pipefail
cd "$(dirname "$0")/../.."

if docker compose version >/dev/null 2>&1; then
  compose() { docker compose -f docker-compose.yml "$@"; }
elif command -v docker-compose >/dev/null 2>&1; then
  compose() { docker-compose -f docker-compose.yml "$@"; }
else
  echo "check-compose: neither 'docker compose' nor docker-compose found; run npm run provision" >&2
  exit 1
fi

JWT_SECRET=compose-check-placeholder-0123456789abcdef SERVICE_TOKEN=compose-check-placeholder-0123456789abcdef \
  compose config -q
if env -u JWT_SECRET -u SERVICE_TOKEN bash -c "$(declare -f compose); compose config -q" >/dev/null 2>&1; then
  echo "check-compose: docker-compose.yml resolved without JWT_SECRET and SERVICE_TOKEN; require them with \${NAME:?…}" >&2
  exit 1
fi
