#!/usr/bin/env bash
# Checks the Debian packages the build links against and installs the missing ones when it can
# (as root, or with passwordless sudo); otherwise prints the exact command to run and fails.
set -euo pipefail

packages=(libopenblas-dev libhdf5-dev libsqlite3-dev libpng-dev libcairo2-dev fonts-dejavu-core libpq-dev postgresql pkg-config)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ! command -v swift >/dev/null 2>&1; then
    echo "error: 'swift' is not on PATH; install Swift 6.1 or newer (https://swift.org/install)" >&2
    exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

command="apt-get update && apt-get install -y ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing system libraries: ${missing[*]}; this is not a Debian/Ubuntu system, so install their equivalents (OpenBLAS, HDF5, SQLite 3, libpng, Cairo, the DejaVu fonts, libpq and the PostgreSQL server, pkg-config) with your package manager" >&2
    exit 1
fi
echo "Installing missing system packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive bash -c "$command"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo DEBIAN_FRONTEND=noninteractive bash -c "$command"
else
    echo "error: missing system packages: ${missing[*]}" >&2
    echo "Run:  sudo bash -c '$command'" >&2
    exit 1
fi
