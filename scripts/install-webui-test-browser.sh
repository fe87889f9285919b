#!/usr/bin/env bash
# Installs what the web UI's end-to-end test drives: Debian's chromium and its chromedriver
# (apt packages chromium, chromium-driver) and a CJK font for the Chinese interface (fonts-wqy-microhei). Idempotent and silent when both are there; the test
# (WebUiBrowserTest) runs it before starting the browser.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && [ -d /usr/share/fonts/truetype/wqy ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-webui-test-browser: apt-get not found; install chromium and its chromedriver by hand" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-webui-test-browser: need root (or sudo) for apt-get install chromium chromium-driver" >&2; exit 1; }
  SUDO="sudo -n"
fi
echo "install-webui-test-browser: apt-get install chromium chromium-driver" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-wqy-microhei >&2; then
  $SUDO apt-get update -q >&2
  $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-wqy-microhei >&2
fi
