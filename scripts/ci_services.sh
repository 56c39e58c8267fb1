#!/usr/bin/env bash
# Install and start what the test suite needs beyond Python, on a fresh Debian machine (CI):
# a PostgreSQL server for the storage tests and Chromium for the end-to-end page tests.
# Idempotent; prints the database URL to export as QIS_TEST_POSTGRES_URL.
set -euo pipefail
need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || need+=(fonts-wqy-microhei)  # readable Chinese screenshots
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} …" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
pg_lsclusters -h | grep -q "^${version} main" || pg_createcluster "$version" main >/dev/null 2>&1
pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q" && break
  sleep 1
done
su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='qis'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE qis LOGIN PASSWORD 'qis-test-only'\""
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='qis_test'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE DATABASE qis_test OWNER qis\""
echo "postgresql+psycopg://qis:qis-test-only@127.0.0.1:5432/qis_test"
