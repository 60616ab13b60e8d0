#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry (versions pinned in package.json).
# Run by a developer when upgrading; the copies are committed so installs and run time stay offline.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
cp package.json "$tmp/"
(cd "$tmp" && npm install --no-audit --no-fund --silent)
dest=src/kechuang/core/static/vendor
mkdir -p "$dest/bootstrap" "$dest/echarts" "$dest/bootstrap-icons/fonts"
cp "$tmp/node_modules/bootstrap/dist/css/bootstrap.min.css" "$dest/bootstrap/"
cp "$tmp/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js" "$dest/bootstrap/"
cp "$tmp/node_modules/bootstrap/LICENSE" "$dest/bootstrap/LICENSE"
cp "$tmp/node_modules/echarts/dist/echarts.min.js" "$dest/echarts/"
cp "$tmp/node_modules/echarts/LICENSE" "$dest/echarts/LICENSE"
cp "$tmp/node_modules/bootstrap-icons/font/bootstrap-icons.min.css" "$dest/bootstrap-icons/"
cp "$tmp/node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff2" "$dest/bootstrap-icons/fonts/"
cp "$tmp/node_modules/bootstrap-icons/LICENSE" "$dest/bootstrap-icons/LICENSE"
rm -rf "$tmp"
echo "vendored into $dest"
