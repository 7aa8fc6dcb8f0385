#!/usr/bin/env bash
# THE main job: builds and runs every sample console app under samples/ (each samples/**/*.csproj whose OutputType is
# Exe), printing a header per sample. Fails if any sample fails to build, exits non-zero, or runs longer than
# SAMPLE_TIMEOUT seconds (default 120): samples must finish on their own.
#
# A sample that needs a message broker is skipped: by convention its project folder holds a file named
# `.needs-broker`. A sample whose default run never ends (a server) names its self-contained demo arguments in
# `.sample-args`. Needs only the .NET SDK (see global.json).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CONFIGURATION="${CONFIGURATION:-Release}"
SAMPLE_TIMEOUT="${SAMPLE_TIMEOUT:-120}"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

ran=() skipped=() failed=()
while IFS= read -r project; do
    grep -qiE '<OutputType>[[:space:]]*(Exe|WinExe)[[:space:]]*</OutputType>' "$project" || continue
    dir="$(dirname "$project")"
    echo
    echo "=================================================================="
    echo "== sample: $dir ($(basename "$project"))"
    echo "=================================================================="
    if [ -e "$dir/.needs-broker" ]; then
        echo "skipped: needs a broker (see $dir/.needs-broker)"
        skipped+=("$dir")
        continue
    fi
    if ! dotnet build "$project" -c "$CONFIGURATION" -v quiet -nologo </dev/null; then
        echo "FAILED: $dir did not build"
        failed+=("$dir")
        continue
    fi
    echo "------------------------------------------------------------------"
    # A sample that would otherwise run until stopped (a server) lists the arguments of its self-contained demo run
    # in .sample-args, one per line.
    sample_args=()
    if [ -f "$dir/.sample-args" ]; then
        mapfile -t sample_args < "$dir/.sample-args"
    fi
    code=0
    if command -v timeout >/dev/null 2>&1; then
        timeout "$SAMPLE_TIMEOUT" dotnet run --project "$project" -c "$CONFIGURATION" --no-build -- "${sample_args[@]}" </dev/null || code=$?
    else
        dotnet run --project "$project" -c "$CONFIGURATION" --no-build -- "${sample_args[@]}" </dev/null || code=$?
    fi
    echo "------------------------------------------------------------------"
    if [ "$code" -eq 0 ]; then
        echo "ok: $dir"
        ran+=("$dir")
    else
        [ "$code" -eq 124 ] && echo "timed out after ${SAMPLE_TIMEOUT}s"
        echo "FAILED: $dir exited with $code"
        failed+=("$dir")
    fi
done < <(find samples -name '*.csproj' -not -path '*/bin/*' -not -path '*/obj/*' | LC_ALL=C sort)

dotnet build-server shutdown </dev/null >/dev/null 2>&1 || true

echo
echo "samples: ${#ran[@]} ran, ${#failed[@]} failed, ${#skipped[@]} skipped (need a broker)"
for f in "${failed[@]}"; do echo "  failed: $f"; done
if [ "$((${#ran[@]} + ${#failed[@]} + ${#skipped[@]}))" -eq 0 ]; then
    echo "error: no sample console app found under samples/" >&2
    exit 1
fi
[ "${#failed[@]}" -eq 0 ]
