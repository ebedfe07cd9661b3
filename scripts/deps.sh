#!/usr/bin/env bash
# Installs what building and testing DuckPond needs, and only what is missing:
# Debian packages (C libraries, the zstd CLI) and a Python virtual environment (.venv) with the
# independent checkers the interoperability tests run (deltalake, pyarrow, duckdb, moto, awscli).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(libcurl4-openssl-dev libssl-dev libzstd-dev zstd pkg-config python3-venv)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
stamp=.venv/.requirements.sha256
want=$(sha256sum scripts/requirements-test.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "deps: preparing .venv with scripts/requirements-test.txt"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-test.txt
  echo "$want" > "$stamp"
fi
echo "deps: ready"
