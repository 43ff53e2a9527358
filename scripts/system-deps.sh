#!/usr/bin/env bash
# Debian packages the test suite uses for real components: PostgreSQL's server binaries
# (the spool's PostgreSQL store; tests start a throwaway cluster on 127.0.0.1) and
# Chromium (the report page's in-browser badges, checked headless). Installs only what
# is missing; a machine that has them all changes nothing. Also jq, curl and xxd (the
# auditor's guide's by-hand commands, run as tests). `make system-deps` runs it.
set -euo pipefail
need=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if ! command -v chromium >/dev/null 2>&1; then
  need+=(chromium)
fi
# The auditor's guide checks a proof by hand with these; its commands run as tests.
for tool in jq curl xxd; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if [ "${#need[@]}" -eq 0 ]; then
  echo "system-deps: postgresql, chromium, jq, curl and xxd present"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "system-deps: installing ${need[*]} (Debian packages)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
