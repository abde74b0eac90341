#!/usr/bin/env bash
# `npm run check:kubernetes`: validates every manifest in scripts/kubernetes against the Kubernetes
# API's JSON schemas, strictly (unknown fields are errors), with kubernetes-validate — the PyPI
# validator that ships the schemas of each Kubernetes release, so nothing is downloaded at check
# time (kubeconform would fetch them from GitHub, which the build machines cannot reach).
# scripts/provision.sh installs it into $RECSYS_HOME/k8s-venv. kustomization.yaml is kustomize's,
# not an API object; kubernetes-manifests.test.ts checks that it lists every manifest.
# Environment: KUBERNETES_VERSION (default 1.33.0), RECSYS_HOME (default ~/.cache/recsys).
set -euo pipefail
cd "$(dirname "$0")"

validator=${RECSYS_HOME:-$HOME/.cache/recsys}/bin/kubernetes-validate
if [ ! -x "$validator" ]; then
  echo "check-kubernetes: $validator missing; run npm run provision" >&2
  exit 1
fi
manifests=$(ls *.yaml | grep -v '^kustomization\.yaml$')
# shellcheck disable=SC2086 # one word per file name (kebab-case, no blanks)
"$validator" --kubernetes-version "${KUBERNETES_VERSION:-1.33.0}" --strict --quiet $manifests
echo "kubernetes manifests valid against Kubernetes ${KUBERNETES_VERSION:-1.33.0}: $(echo $manifests | wc -w) files"
