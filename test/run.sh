#!/usr/bin/env bash
# `npm test`: type-check, remove what earlier runs killed mid-way left behind, run every test file,
# then check the documented error codes against the ones the tests saw.
set -uo pipefail
cd "$(dirname "$0")/.."

node_modules/.bin/tsc -p . || exit 1
node --import tsx test/support/sweep-leftovers.ts || exit 1

codes=$(mktemp -d "${TMPDIR:-/tmp}/bookly-error-codes-XXXXXX")
trap 'rm -rf "$codes"' EXIT
export BOOKLY_ERROR_CODES_DIR=$codes

# Node 20 runs nothing without the files named. --test-force-exit: a file whose tests have all ended exits even
# if something of a failed test still runs (its exit hooks then kill its processes); the timeout is a backstop
# for a test that would otherwise wait for ever (tests that need longer say so).
# shellcheck disable=SC2046
node --import tsx --test --test-concurrency=2 --test-force-exit --test-timeout=900000 $(find test -name '*.test.ts' | sort) || exit 1
node --import tsx --test test/openapi/error-codes-seen.check.ts
