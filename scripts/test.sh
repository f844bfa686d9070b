#!/usr/bin/env bash
# Runs every test, after scripts/setup.sh: the xunit suites (engine, CLI, cmdlet contracts) and then the Pester suite
# against the module as published, in real PowerShell, against a throwaway cluster and s3rver the suite starts itself.
# Ends with one closing count over both. A suite that cannot run fails the run: nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

pwsh=.tools/pwsh/pwsh
if [ ! -x "$pwsh" ]; then
  echo "test: PowerShell is not installed in .tools/pwsh: run scripts/setup.sh first" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test PgPhaseRestore.PowerShell.sln 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Debug, the configuration dotnet test just built, so publishing the module folder rebuilds nothing.
"$pwsh" -NoProfile -NonInteractive -Command './build.ps1 -Task Build, Pester -Configuration Debug' 2>&1 | tee -a "$log"
pester=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 0 ]; then status=$pester; fi
# The failures again at the end, with the first lines of each message, where a truncated log still shows them.
sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
  /^[ \t]+Failed [A-Za-z]|\[-\] / { print "failed: " $0; left = 6; next }
  left > 0 && /^[ \t]+(Stack Trace:|at )/ { left = 0 }
  left > 0 { print "failed:   " $0; left-- }' || true
# One closing line for the whole run, summed over the test assemblies and the Pester suite.
awk '/((Passed|Failed)!|^Pester) +- +Failed:/ { gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
