#!/usr/bin/env bash
# The browser tests drive Debian's chromium with Playwright (no browser download) and need CJK fonts.
# Installs them with apt when missing and we are root; otherwise says what to install.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qiE 'Noto Sans CJK|WenQuanYi' || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} (browser tests)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "The browser tests need: ${need[*]} (Debian packages). Install them, e.g. sudo apt-get install ${need[*]}" >&2
  exit 1
fi
