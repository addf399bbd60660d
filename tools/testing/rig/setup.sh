#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# setup.sh: install every Debian 12 package that building and testing kvmx
# needs, and only those that are missing.  Quick (a dpkg query) when all are
# present; runs "apt-get update" only when something must be installed.
# Needs root (or sudo) only in that case.
#
#   tools/testing/rig/setup.sh            install what is missing
#   tools/testing/rig/setup.sh --check    only say what is missing (exit 1 if any)

set -eu

PACKAGES="
build-essential make gcc binutils libelf-dev zlib1g-dev libzstd-dev sparse
kmod xz-utils zstd cpio gzip procps
linux-image-amd64 linux-headers-amd64
linux-image-6.12-amd64 linux-headers-6.12-amd64
linux-source
qemu-system-x86
busybox-static
bochs bochsbios vgabios
isolinux syslinux-common xorriso
clang libclang-rt-14-dev afl++
"

missing=
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case $status in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "setup: all packages present"
	exit 0
fi
echo "setup: missing:$missing"
[ "${1:-}" = --check ] && exit 1

if [ "$(id -u)" = 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	echo "setup: run as root (or install sudo) to install:$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # word splitting of the lists is intended
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q $missing
echo "setup: installed:$missing"
