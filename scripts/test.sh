#!/usr/bin/env bash
# THE test command: restores, builds (Release) and runs every test project in EventRouter.sln, then prints exactly
# one final line "N passed, N failed" (", N skipped" appended when there are any) with the totals over all test
# projects, read from their TRX files. Exits non-zero when a test failed, a test project produced no results, or
# the build failed. Needs the .NET SDK (see global.json); installs the rest itself (scripts/prerequisites.sh, scripts/services/).
#
# Usage: bash scripts/test.sh [extra dotnet test arguments, e.g. --filter "FullyQualifiedName~Publish"]
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SOLUTION="EventRouter.sln"
RESULTS="$ROOT/artifacts/test-results"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# What the tests need on the machine besides the SDK (a native toolchain for the Native AOT test), installed when missing.
echo "== prerequisites"
if ! bash "$ROOT/scripts/prerequisites.sh" </dev/null; then
    echo "error: scripts/prerequisites.sh could not install what the tests need" >&2
    echo "0 passed, 0 failed"
    exit 1
fi

# ---------------------------------------------------------------------------------------------------------------
# SERVICES HOOK. A test project that needs an external service (a RabbitMQ broker, ...) drops an executable bash
# script into scripts/services/. Each *.sh there runs, in name order, as `bash <script> start` before the build and
# as `bash <script> stop` when this script exits. A script must be idempotent, return only once its service is
# ready, and exit non-zero if it cannot start it (that fails the run). Nothing there: nothing happens.
# ---------------------------------------------------------------------------------------------------------------
SERVICES=()
for service in "$ROOT"/scripts/services/*.sh; do
    [ -f "$service" ] && SERVICES+=("$service")
done
stop_services() {
    local i
    for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
        bash "${SERVICES[$i]}" stop </dev/null >/dev/null 2>&1 || true
    done
}
trap stop_services EXIT
for service in "${SERVICES[@]}"; do
    echo "== service: ${service#"$ROOT"/} start"
    if ! bash "$service" start </dev/null; then
        echo "error: ${service#"$ROOT"/} could not start its service" >&2
        echo "0 passed, 0 failed"
        exit 1
    fi
done

# The test projects of the solution: those that reference the test SDK or say IsTestProject.
TEST_PROJECTS=()
while IFS= read -r project; do
    project="${project//\\//}"
    if [ -f "$project" ] && grep -qE 'Microsoft\.NET\.Test\.Sdk|<IsTestProject>\s*true' "$project"; then
        TEST_PROJECTS+=("$project")
    fi
done < <(dotnet sln "$SOLUTION" list </dev/null | grep -E '\.(cs|fs|vb)proj\s*$' | sed 's/[[:space:]]*$//')
echo "== test projects (${#TEST_PROJECTS[@]}): ${TEST_PROJECTS[*]}"

rm -rf "$RESULTS"
mkdir -p "$RESULTS"

status=0
echo "== restore"
dotnet restore "$SOLUTION" </dev/null || status=$?
if [ "$status" -eq 0 ]; then
    echo "== build (Release)"
    dotnet build "$SOLUTION" -c Release --no-restore -v minimal </dev/null || status=$?
fi
if [ "$status" -eq 0 ]; then
    echo "== test"
    dotnet test "$SOLUTION" -c Release --no-build --logger trx --results-directory "$RESULTS" "$@" </dev/null || status=$?
else
    echo "error: the build failed (exit $status); no tests ran" >&2
fi

# Build servers would keep running after the script (and keep a CI log pipe open): stop them.
dotnet build-server shutdown </dev/null >/dev/null 2>&1 || true

# Sum the <Counters .../> of every TRX file.
attr() { sed -n "s/.*[[:space:]]$1=\"\([0-9]*\)\".*/\1/p" <<<"$2" | head -n 1; }
passed=0 failed=0 skipped=0 files=0
shopt -s nullglob
for trx in "$RESULTS"/*.trx "$RESULTS"/**/*.trx; do
    counters="$(tr -d '\r\n' <"$trx" | grep -o '<Counters [^>]*>' | head -n 1)"
    [ -n "$counters" ] || { echo "warning: no counters in $trx" >&2; continue; }
    files=$((files + 1))
    total=$(attr total "$counters"); executed=$(attr executed "$counters")
    p=$(attr passed "$counters"); f=$(attr failed "$counters")
    e=$(attr error "$counters"); t=$(attr timeout "$counters"); a=$(attr aborted "$counters")
    f=$(( ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0} ))
    s=$(( ${total:-0} - ${executed:-0} ))
    name="$(grep -o 'storage="[^"]*"' "$trx" | head -n 1 | sed 's/storage="\(.*\)"/\1/; s#.*[/\\]##')"
    echo "   ${name:-$(basename "$trx")}: ${p:-0} passed, $f failed, $s skipped"
    passed=$((passed + ${p:-0})); failed=$((failed + f)); skipped=$((skipped + s))
done

if [ "$status" -eq 0 ] && [ "$files" -lt "${#TEST_PROJECTS[@]}" ]; then
    echo "error: ${#TEST_PROJECTS[@]} test projects but only $files result files (a test host crashed?)" >&2
    status=1
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    echo "error: dotnet exited with $status although no test failed: see the output above" >&2
fi

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"

if [ "$failed" -gt 0 ]; then
    exit 1
fi
[ "$status" -eq 0 ] || exit "$status"
exit 0
