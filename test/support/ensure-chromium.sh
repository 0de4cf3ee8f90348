#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (never a downloaded browser). Installs it when it
# is missing and this runs as root (CI containers, these machines); otherwise says how.
set -euo pipefail
for name in chromium chromium-browser; do
  if command -v "$name" >/dev/null; then exit 0; fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-chromium: installing Debian's chromium package" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  command -v chromium >/dev/null && exit 0
fi
echo "ensure-chromium: chromium is not installed; install it (sudo apt-get install chromium) for test/browser" >&2
exit 1
