#!/usr/bin/env bash
# Installs what building and testing DuckPond needs, and only what is missing:
# Debian packages (C libraries, the zstd CLI) and a Python virtual environment (.venv) with the
# independent checkers the interoperability tests run (deltalake, pyarrow, duckdb, moto, awscli),
# Ceph for the throwaway RADOS Gateway of scripts/ceph/with-rgw.sh, and Chromium and dygraphs (libjs-dygraphs)
# for the static site and its headless check (docs/pipeline.md).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(libcurl4-openssl-dev libssl-dev libzstd-dev libsnappy-dev zlib1g-dev libsqlite3-dev sqlite3 zstd
  pkg-config python3-venv bc ceph-mon ceph-osd radosgw ceph-common chromium libjs-dygraphs)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
      echo "deps: missing Debian packages: ${missing[*]}; install them as root (apt-get install ...)" >&2
      exit 1
    }
    SUDO="sudo"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
# The pinned pyarrow, duckdb and polars wheels need Python 3.11 or newer (Debian 12 has 3.11).
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "deps: $python is $("$python" --version 2>&1); the interoperability tests need Python >= 3.11." >&2
  echo "deps: point PYTHON at a newer interpreter, e.g. PYTHON=python3.11 make deps" >&2
  exit 1
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum scripts/requirements-test.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "deps: preparing .venv with scripts/requirements-test.txt"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-test.txt
  echo "$want" > "$stamp"
fi
echo "deps: ready"
