#!/usr/bin/env bash
# Install the Debian packages the tests (or the benchmark) need, if they are missing.
set -euo pipefail
# Chromium for the browser tests (a CJK font so screenshots show Chinese), Redis for the shared limits and the
# two-server test (tests/servers.py; the S3-compatible store there is moto's server, from PyPI).
want=(chromium fonts-wqy-microhei redis-server)
[ "${1:-}" = "bench" ] && want=(wrk)
[ "${1:-}" = "postgres" ] && want=(postgresql)
missing=()
for pkg in "${want[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing ${missing[*]} with apt-get"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
