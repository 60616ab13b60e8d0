#!/usr/bin/env bash
# Install the platform for production: a virtualenv under PREFIX holding the kechuang package and its
# runtime dependencies (pinned in pyproject.toml; no development tools), built from this source tree.
# deploy/Dockerfile runs this same script; tests/ops/test_production_install.py runs it natively.
#
#   scripts/install-production.sh [PREFIX]          PREFIX defaults to /opt/kechuang
#
# Then, as docs/operations.md says: the environment file, the database, `kechuang upgrade`, the
# systemd units and nginx. Running it again over an existing PREFIX upgrades the package in place.
# Needs Python 3.11 with venv (PYTHON=/path/to/python3.11 to choose one) and the package index (or a
# pip configuration pointing at a mirror or a wheelhouse).
set -euo pipefail
started=$(date +%s)
source_tree=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-/opt/kechuang}
python=${PYTHON:-$(command -v python3.11 || command -v python3 || true)}
if [ -z "$python" ] || ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "Python 3.11 is needed (found: ${python:-none}); set PYTHON=/path/to/python3.11." >&2
  exit 1
fi

# Build from a clean copy of what the package is made of, so nothing stale (a build/ folder, an
# editable install's metadata) of a developer's checkout can end up in the installation.
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
tar -C "$source_tree" --exclude=__pycache__ --exclude='*.egg-info' -cf - pyproject.toml README.md LICENSE src \
  | tar -C "$build" -xf -

# The services run as their own user (kechuang), who must be able to run this interpreter: a Python under
# a private home folder (pyenv in /root, say) installs fine and then fails to start as "Permission denied".
real_python=$(readlink -f "$(command -v "$python")")
folder=$(dirname "$real_python")
while [ "$folder" != / ]; do
  if [ "$(( 0$(stat -c %a "$folder") & 01 ))" -eq 0 ]; then
    echo "warning: $real_python is inside $folder, which other users cannot enter: the kechuang service" >&2
    echo "         user will not be able to run it. Use the system's Python (PYTHON=/usr/bin/python3.11)." >&2
    break
  fi
  folder=$(dirname "$folder")
done

mkdir -p "$prefix"
[ -x "$prefix/venv/bin/python" ] || "$python" -m venv "$prefix/venv"
"$prefix/venv/bin/python" -m pip install --quiet --upgrade pip
"$prefix/venv/bin/python" -m pip install --quiet "$build"
"$prefix/venv/bin/kechuang" --version >/dev/null

echo "kechuang $("$prefix/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("kechuang"))') installed in $prefix/venv ($(( $(date +%s) - started )) s)."
echo "Command: $prefix/venv/bin/kechuang   Next: docs/operations.md (environment file, database, kechuang upgrade)."
