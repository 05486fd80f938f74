#!/usr/bin/env bash
# What the test suite needs beyond the venv, on a fresh machine of this project's kind: the
# Postgres and Redis servers (Debian packages; the tests start their own on free loopback
# ports, see tests/services.py), Chromium for the cross-site browser test, and Node.js/npm
# for the MCP and agent-client tests (which install their npm packages themselves), systemd's
# unit checker and curl. Installs
# what is missing, once; fails loudly when it cannot.
set -euo pipefail
need=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || need+=(postgresql)
command -v redis-server > /dev/null || need+=(redis-server)
command -v chromium > /dev/null || need+=(chromium)
command -v chromedriver > /dev/null || need+=(chromium-driver)  # the console's Selenium tests
command -v npm > /dev/null || need+=(nodejs npm)
command -v systemd-analyze > /dev/null || need+=(systemd)  # verifies deploy/switchgear.service
command -v curl > /dev/null || need+=(curl)  # the README's first-hour commands use it
command -v haproxy > /dev/null || need+=(haproxy)  # the load balancer in tests/replicas/
if [ ${#need[@]} -gt 0 ]; then
  echo "test services: installing ${need[*]}" >&2
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo > /dev/null || {
      echo "test services: ${need[*]} missing and not root (no sudo): install them and rerun" >&2
      exit 1
    }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${need[@]}"
  # The Debian packages start their own services; the tests start theirs.
  "${sudo[@]}" service postgresql stop > /dev/null 2>&1 || true
  "${sudo[@]}" service redis-server stop > /dev/null 2>&1 || true
fi
# llama.cpp's own server, a real upstream for the routing tests (cached after the first build).
"$(dirname "$0")/build-llama-server.sh" > /dev/null
