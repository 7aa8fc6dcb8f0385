#!/usr/bin/env bash
# What the test run needs on the machine besides the .NET SDK, installed when missing (scripts/test.sh runs this
# before the build; running it again is harmless).
#
#   native toolchain   tests/PackageTests publishes an app with Native AOT, which links with clang (or gcc) from
#                      PATH: Debian's clang is installed when neither is there (https://aka.ms/nativeaot-prerequisites).
#
# As root it uses apt-get directly, otherwise through `sudo -n`; it fails when it cannot install what is missing.
set -euo pipefail

missing=()
command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || missing+=(clang)

[ "${#missing[@]}" -eq 0 ] && exit 0

echo "prerequisites.sh: installing ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "prerequisites.sh: ${missing[*]} missing and no apt-get to install it: install it by hand" >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo -n"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 ||
    { echo "prerequisites.sh: no clang or gcc in PATH after the install" >&2; exit 1; }
