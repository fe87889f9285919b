#!/usr/bin/env bash
# Regenerates src/test/resources/data/template-ids.json with @lenml/tokenizers under node.
# Needs node, npm and the npm registry; run from anywhere.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT"
scripts/fetch-test-fixtures.sh
mkdir -p .fixtures/refgen
[ -f .fixtures/refgen/package.json ] || echo '{"private": true}' > .fixtures/refgen/package.json
[ -d .fixtures/refgen/node_modules/@lenml/tokenizers ] || npm install --prefix .fixtures/refgen --no-audit --no-fund @lenml/tokenizers@3.7.2
node src/test/node/generate-template-ids.mjs
