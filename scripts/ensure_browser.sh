#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests (tests/e2e/browser): they
# drive /usr/bin/chromium with Playwright for Python. Playwright's own browser download is
# never used. When it is missing, install the `chromium` package with apt (as root), and
# say so; otherwise say how to get it (the browser tests then fail naming this script).
set -euo pipefail

CHROMIUM=${ALPES_CHROMIUM:-/usr/bin/chromium}

if [ -x "$CHROMIUM" ]; then
  echo "Chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium: not installed; installing Debian's chromium package with apt-get (for the browser tests)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  echo "Chromium: installed, $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
cat >&2 <<MSG
warning: no Chromium at $CHROMIUM, and apt-get cannot install it here (needs root and apt).
The browser tests (tests/e2e/browser) will fail until it is there:
  - Debian/Ubuntu: sudo apt-get install chromium
  - or point ALPES_CHROMIUM at a Chromium or Chrome binary.
MSG
