#!/usr/bin/env bash
# Builds the plugin API documentation as a static site: the symbol graphs of BrittlePlugins and
# BrittleConformance (through scripts/check-docs.sh, which also fails on an undocumented public
# symbol), the catalog Documentation/Brittle.docc, and the guide and attack properties from
# Documentation/ (their one source, copied in as articles). Output: $1, default .build/docs.
# Open OUT/documentation/brittle/index.html through any static web server
# (e.g. `python3 -m http.server -d OUT`). Every docc warning is an error.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.build/docs}"
graphs=.build/symbol-graphs
stage=.build/docs-catalog

bash scripts/check-docs.sh "$graphs"

rm -rf "$stage"
mkdir -p "$stage"
cp -R Documentation/Brittle.docc "$stage/"
cp Documentation/PluginGuide.md Documentation/attack-properties.md "$stage/Brittle.docc/"

toolchain_bin="$(dirname "$(readlink -f "$(command -v swift)")")"
docc="$toolchain_bin/docc"
[[ -x "$docc" ]] || { echo "docs: $docc not found (it ships with the Swift toolchain)" >&2; exit 1; }
rm -rf "$out"
"$docc" convert "$stage/Brittle.docc" \
    --additional-symbol-graph-dir "$graphs" \
    --output-path "$out" \
    --fallback-display-name Brittle \
    --fallback-bundle-identifier org.brittle.plugin-api \
    --transform-for-static-hosting \
    --warnings-as-errors \
    || { echo "docs: docc convert failed (see above)" >&2; exit 1; }
echo "docs: wrote $out (open $out/documentation/brittle/index.html through a web server)"
