#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the dashboard's browser
# tests (package dashboard, github.com/chromedp/chromedp). Idempotent: it
# does nothing when a Chromium is on PATH, or when HOOKD_SKIP_BROWSER=1
# (the browser tests skip then). Installing needs root (or sudo) and apt.
set -euo pipefail

if [[ "${HOOKD_SKIP_BROWSER:-}" == "1" ]]; then
	echo "install-chromium: HOOKD_SKIP_BROWSER=1, nothing to do" >&2
	exit 0
fi
for name in chromium chromium-browser google-chrome; do
	if command -v "$name" >/dev/null 2>&1; then
		echo "install-chromium: $name is installed" >&2
		exit 0
	fi
done
sudo=()
if [[ "$(id -u)" != "0" ]]; then
	sudo=(sudo)
fi
echo "install-chromium: installing chromium with apt-get" >&2
"${sudo[@]}" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >&2
