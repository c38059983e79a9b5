#!/usr/bin/env bash
# deploy/gcp tests: npm ci, tsc (strict type-check of the program and the tests), then Pulumi-mock
# unit tests with Node's built-in runner. No Pulumi CLI, no cloud credentials. Prints TAP on stdout
# (everything else goes to stderr).
set -euo pipefail
cd "$(dirname "$0")"
# npm ci unless node_modules was installed by npm ci from this very lockfile (a fresh checkout always installs).
if ! cmp -s package-lock.json node_modules/.strongroom-ci-lock 2>/dev/null; then
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json node_modules/.strongroom-ci-lock
fi
rm -rf bin
npx --no-install tsc -p . >&2
node --test --test-reporter=tap bin/test/*.test.js
