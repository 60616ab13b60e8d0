#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry (versions pinned in package.json).
# Run by a developer when upgrading; the copies are committed so installs and run time stay offline.
#
# Every file a vendored CSS or JS file refers to is vendored with it (fonts, source maps): the
# production static storage (ManifestStaticFilesStorage) refuses a reference to a missing file, and
# tests/ops checks that every reference resolves (docs/adr/0013-production-layout.md).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp package.json "$tmp/"
(cd "$tmp" && npm install --no-audit --no-fund --silent)
dest=src/kechuang/core/static/vendor
mkdir -p "$dest/bootstrap" "$dest/echarts" "$dest/bootstrap-icons/fonts" "$dest/tom-select"
for file in css/bootstrap.min.css css/bootstrap.min.css.map js/bootstrap.bundle.min.js js/bootstrap.bundle.min.js.map; do
  cp "$tmp/node_modules/bootstrap/dist/$file" "$dest/bootstrap/"
done
cp "$tmp/node_modules/bootstrap/LICENSE" "$dest/bootstrap/LICENSE"
cp "$tmp/node_modules/echarts/dist/echarts.min.js" "$dest/echarts/"
cp "$tmp/node_modules/echarts/LICENSE" "$dest/echarts/LICENSE"
cp "$tmp/node_modules/bootstrap-icons/font/bootstrap-icons.min.css" "$dest/bootstrap-icons/"
cp "$tmp/node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff2" "$dest/bootstrap-icons/fonts/"
cp "$tmp/node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff" "$dest/bootstrap-icons/fonts/"
cp "$tmp/node_modules/bootstrap-icons/LICENSE" "$dest/bootstrap-icons/LICENSE"
# Tom Select: the searchable pickers of long lists (kechuang.core.widgets, static/kechuang/pickers.js);
# the "complete" build bundles its plugins and its two small dependencies.
for file in js/tom-select.complete.min.js js/tom-select.complete.min.js.map css/tom-select.bootstrap5.min.css css/tom-select.bootstrap5.min.css.map; do
  cp "$tmp/node_modules/tom-select/dist/$file" "$dest/tom-select/"
done
cp "$tmp/node_modules/tom-select/LICENSE" "$dest/tom-select/LICENSE"
# Any reference left unresolved would break `collectstatic` under the production settings.
for css in "$dest"/*/*.css "$dest"/*/*.js; do
  dir=$(dirname "$css")
  for ref in $(grep -oE 'sourceMappingURL=[^ *]+|url\("?fonts/[^")?#]+' "$css" | sed -E 's/^sourceMappingURL=//; s/^url\("?//'); do
    [ -f "$dir/$ref" ] || { echo "missing $dir/$ref (referred to by $css)" >&2; exit 1; }
  done
done
echo "vendored into $dest"
