#!/usr/bin/env bash
# System packages and tools the test suite runs for real. Idempotent; quiet when all is present.
set -euo pipefail
GCL_VERSION=4.72.0
apt_pkgs=(git rsync tar openssl debootstrap buildah skopeo docker-registry apache2-utils busybox-static fuse-overlayfs uidmap chromium)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "installing apt packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "warning: not root, cannot install ${missing[*]}; tests that need them will skip with a reason" >&2
  fi
fi
# The docker-registry service must not run system-wide: tests start their own on 127.0.0.1.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi
if ! command -v gitlab-ci-local >/dev/null 2>&1 || [[ $(gitlab-ci-local --version 2>/dev/null) != "$GCL_VERSION" ]]; then
  if command -v npm >/dev/null 2>&1; then
    echo "installing gitlab-ci-local $GCL_VERSION"
    npm install -g --silent "gitlab-ci-local@$GCL_VERSION" >/dev/null
  else
    echo "warning: npm not found, gitlab-ci-local tests will skip" >&2
  fi
fi
