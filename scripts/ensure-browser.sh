#!/usr/bin/env bash
# Kept for old references: the test dependencies (browser and others) are ensured in one script.
exec "$(dirname "$0")/ensure-test-deps.sh" "$@"
