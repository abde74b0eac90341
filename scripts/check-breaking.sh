#!/usr/bin/env bash
# `npm run breaking`: buf breaking (FILE rules, buf.yaml) of the working tree's protos against main's.
#
# buf's git input ('.git#branch=main') takes the committed tree only, and the workspace in buf.yaml
# also names modules under node_modules (the googleapis annotations from google-proto-files, the
# gRPC health proto from grpc-health-check), which no commit holds; buf then fails with 'Module
# "path: node_modules/google-proto-files" had no .proto files'. So main's buf.yaml and proto/ are
# exported into .run/breaking-base, given this checkout's node_modules, and compared as a directory.
# Those npm modules are pinned by package-lock.json and excluded from the breaking rules anyway.
#
# Usage: bash scripts/check-breaking.sh [REF]   (default: main, else origin/main — a fresh CI clone
# on main compares main with itself, which still proves the check runs; a branch sees its changes).
# Exits 1 naming each breaking change, or when REF is not a commit here.
set -euo pipefail
cd "$(dirname "$0")/.."

ref=${1:-main}
if ! git rev-parse --verify -q "$ref^{commit}" >/dev/null; then
  if [ "$ref" = main ] && git rev-parse --verify -q "origin/main^{commit}" >/dev/null; then
    ref=origin/main
  else
    echo "check-breaking: $ref is not a commit in this clone (fetch it first: git fetch origin main:main)" >&2
    exit 1
  fi
fi

base=.run/breaking-base
rm -rf "$base"
mkdir -p "$base"
git archive "$ref" -- buf.yaml proto | tar -x -C "$base"
ln -s "$PWD/node_modules" "$base/node_modules"

if ! node_modules/.bin/buf breaking --against "$base"; then
  echo "buf breaking: the protos above break compatibility with $ref ($(git rev-parse --short "$ref")); keep the old field numbers, names and types, or add a new version package" >&2
  exit 1
fi
