#!/usr/bin/env bash
# The Debian packages the test suite needs besides Python ones, installed with apt when missing and we
# are root; otherwise says what to install.
#   chromium, fonts-noto-cjk  the browser tests (Playwright drives Debian's chromium; no browser download)
#   docker-compose            validates deploy/compose.yaml (`docker-compose config` needs no Docker engine)
#   gettext                   msgfmt, for `kechuang upgrade`'s compilemessages step
#   redis-server              the production install test's Redis (CACHE_URL)
#   systemd, openssl          systemd-analyze verifies deploy/systemd/; openssl makes the nginx test's certificate
#   nginx                     the production install test puts deploy/nginx/ in front of `kechuang serve`.
#                             Only the binary is unpacked (apt-get download, into .cache/test-deps/), so no
#                             nginx service is installed or started on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
nginx_dir=.cache/test-deps/nginx
if ! command -v nginx >/dev/null 2>&1 && [ ! -x "$nginx_dir/usr/sbin/nginx" ]; then
  echo "unpacking Debian's nginx binary into $nginx_dir (tests only)"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq nginx 2>&1 | grep -v unsandboxed >&2 || true)
  if ! ls "$tmp"/nginx_*.deb >/dev/null 2>&1; then
    echo "Could not download Debian's nginx package (apt-get download nginx); run apt-get update first." >&2
    exit 1
  fi
  mkdir -p "$nginx_dir"
  dpkg-deb -x "$tmp"/nginx_*.deb "$nginx_dir"
  rm -rf "$tmp"
fi
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
# grep reads all of fc-list's output (no -q): an early exit would fail the pipe under pipefail
fc-list 2>/dev/null | grep -iE 'Noto Sans CJK|WenQuanYi' >/dev/null || need+=(fonts-noto-cjk)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} (test dependencies)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "The tests need: ${need[*]} (Debian packages). Install them, e.g. sudo apt-get install ${need[*]}" >&2
  exit 1
fi
