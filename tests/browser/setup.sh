#!/usr/bin/env bash
# Installs what the browser tests need: Debian's chromium (Playwright's own browser download is
# not used) and the npm packages pinned in package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: run 'sudo apt-get install chromium' (Debian) first" >&2
    exit 1
  fi
fi
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund
fi
