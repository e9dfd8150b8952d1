#!/usr/bin/env bash
# Re-capture test/fixtures/vrrp/*.hex from Debian's keepalived: runs the live golden test
# (keepalived in a lab namespace, tcpdump on a second node) with fixture writing on. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p . >/dev/null || true   # other files' type errors do not stop emit
HALO_CAPTURE_FIXTURES=1 node --test dist/test/e2e/keepalivedWire.test.js
git diff --stat -- test/fixtures/vrrp || true
