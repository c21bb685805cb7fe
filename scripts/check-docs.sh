#!/usr/bin/env bash
# Fails when a public symbol of the plugin-facing modules (BrittlePlugins, BrittleConformance) has
# no doc comment, naming each one with its file and line. Builds the kit, extracts the two
# modules' symbol graphs (into $1, default .build/symbol-graphs; scripts/docs.sh reuses them) and
# reads their JSON. Also typechecks every complete example of Documentation/PluginGuide.md (a
# swift block with `import BrittlePlugins` and a `public final class`) against the built kit, so
# the guide cannot drift from the API. Symbols the compiler synthesises (Hashable conformances) have no source
# location and are not the author's to document; members that implement a documented protocol
# requirement inherit its comment. Not the docs site itself: that is scripts/docs.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
graphs="${1:-.build/symbol-graphs}"
modules=(BrittlePlugins BrittleConformance)

swift build --product BrittleKit >/dev/null
bin="$(swift build --show-bin-path)"
toolchain_bin="$(dirname "$(readlink -f "$(command -v swift)")")"
extract="$toolchain_bin/swift-symbolgraph-extract"
[[ -x "$extract" ]] || { echo "check-docs: $extract not found (it ships with the Swift toolchain)" >&2; exit 1; }

# The kit's C modules: generated module maps in the build folder, hand-written ones in the sources.
clang_args=()
for map in "$bin"/*.build/module.modulemap Sources/BrittleKit/Sources/*/module.modulemap; do
    [[ -f "$map" ]] && clang_args+=(-Xcc "-fmodule-map-file=$map")
done
for include in Sources/BrittleKit/Sources/*/include; do clang_args+=(-Xcc -I -Xcc "$include"); done

rm -rf "$graphs"
mkdir -p "$graphs"
for module in "${modules[@]}"; do
    "$extract" -module-name "$module" -I "$bin/Modules" "${clang_args[@]}" \
        -target "$(uname -m)-unknown-linux-gnu" -minimum-access-level public -output-dir "$graphs" \
        || { echo "check-docs: could not extract the symbol graph of $module (see above)" >&2; exit 1; }
done

examples="$graphs/guide-examples"
mkdir -p "$examples"
python3 - "$examples" <<'EOF'
import re, sys
guide = open("Documentation/PluginGuide.md").read()
blocks = [b for b in re.findall(r"```swift\n(.*?)```", guide, re.S)
          if "import BrittlePlugins" in b and "public final class" in b]
if not blocks:
    sys.exit("check-docs: no complete examples found in Documentation/PluginGuide.md")
for i, block in enumerate(blocks, 1):
    open(f"{sys.argv[1]}/example{i}.swift", "w").write(block)
EOF
"$toolchain_bin/swiftc" -typecheck -swift-version 5 -I "$bin/Modules" "${clang_args[@]}" "$examples"/example*.swift \
    || { echo "check-docs: an example in Documentation/PluginGuide.md does not compile against the kit (see above)" >&2; exit 1; }

python3 - "$graphs" "${modules[@]}" <<'EOF'
import glob, json, sys
graphs, modules = sys.argv[1], sys.argv[2:]
missing, checked = [], 0
for module in modules:
    files = glob.glob(f"{graphs}/{module}.symbols.json") + glob.glob(f"{graphs}/{module}@*.symbols.json")
    if not files:
        sys.exit(f"check-docs: no symbol graph for {module} in {graphs}")
    for path in files:
        for symbol in json.load(open(path))["symbols"]:
            location = symbol.get("location")
            if location is None:  # synthesised by the compiler
                continue
            checked += 1
            lines = symbol.get("docComment", {}).get("lines", [])
            if not "".join(line["text"] for line in lines).strip():
                where = location["uri"].split("/Sources/BrittleKit/")[-1]
                line = location["position"]["line"] + 1
                name = ".".join(symbol["pathComponents"])
                missing.append(f"  {module}: {name} ({symbol['kind']['displayName']}) at {where}:{line}")
if missing:
    print(f"check-docs: {len(missing)} public symbol(s) without a doc comment; say what each is for a plugin author:",
          file=sys.stderr)
    print("\n".join(missing), file=sys.stderr)
    sys.exit(1)
print(f"check-docs: all {checked} public symbols of {', '.join(modules)} are documented")
EOF
