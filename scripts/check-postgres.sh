#!/usr/bin/env bash
# Fails with a clear message when the PostgreSQL server for the second test pass is not reachable.
set -euo pipefail
url="$1"
if ! .venv/bin/python - "$url" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=5).close()
except Exception as error:  # noqa: BLE001
    print(f"PostgreSQL is not reachable at {sys.argv[1]}: {error}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "Start PostgreSQL 15 (or set PG_URL=postgres://user@host:port/db) and run make test again." >&2
  exit 1
fi
