#!/usr/bin/env bash
# Installs what bulletin needs on Debian/Ubuntu: system libraries for WeasyPrint, poppler-utils
# (pdftoppm, for looking at pages), fontconfig (fc-list, used by a test), then the package, its
# test tools and the Dask cluster extra (bulletin[cluster], whose tests run a local cluster) into
# .venv. With --browser also Debian's chromium, which the end-to-end tests of `bulletin serve`
# drive through Playwright (CI installs it; without it those tests are skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libharfbuzz0b fontconfig poppler-utils)
[ "${1:-}" = "--browser" ] && packages+=(chromium)
python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null || packages+=(python3 python3-venv python3-pip)
python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e '.[test,cluster]'
echo "Installed: $(.venv/bin/bulletin version)"
