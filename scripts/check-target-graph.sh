#!/usr/bin/env bash
# Checks that the target graph drawn in docs/development.md is the one Package.swift declares (run by
# `make lint`): the mermaid block lists every dependency edge of every non-test target except PondTestSupport.
set -euo pipefail
cd "$(dirname "$0")/.."
declared=$(swift package dump-package | python3 -c '
import json, sys
package = json.load(sys.stdin)
for target in package["targets"]:
    if target["type"] == "test" or target["name"] == "PondTestSupport":
        continue
    for dependency in target.get("dependencies", []):
        if "byName" in dependency: name = dependency["byName"][0]
        elif "product" in dependency: name = dependency["product"][1]
        else: name = dependency["target"][0]
        print("  %s --> %s" % (target["name"], name.replace("-", "_")))
' | sort)
drawn=$(sed -n '/^```mermaid$/,/^```$/p' docs/development.md | grep -- '-->' | sort)
if [ "$declared" != "$drawn" ]; then
  echo "docs/development.md: the target graph differs from Package.swift (< declared, > drawn):" >&2
  diff <(echo "$declared") <(echo "$drawn") >&2 || true
  exit 1
fi
echo "docs/development.md: the target graph matches Package.swift"
