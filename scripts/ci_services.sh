#!/usr/bin/env bash
# Install what the test suite needs beyond Python on a fresh Debian machine (CI): Debian's
# Chromium for the end-to-end page tests and a CJK font for readable screenshots. Idempotent.
# PostgreSQL needs nothing here: without QIS_TEST_POSTGRES_URL the suite starts an embedded
# server from the pgserver wheel in the lock (tests/embedded_postgres.py).
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} …" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
