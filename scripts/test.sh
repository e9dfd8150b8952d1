#!/usr/bin/env bash
# The whole check: system parts, type-check + build, lint, then every test (unit and the
# network-namespace e2e scenarios, which need root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf dist
npx tsc -p .
npx biome lint --error-on-warnings src test scripts bench
npx biome format src test scripts bench
# One test file at a time: e2e scenarios measure failover timings and must not share the 2 cores.
mapfile -t files < <(find dist/test -name "*.test.js" | sort)
node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
