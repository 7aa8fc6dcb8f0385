#!/usr/bin/env bash
# What `dotnet build` of a synthetic app costs with EventRouter, with Mediator 3.0.2 and with no generator at all.
#
# The app: EVENTS event types and two listeners (handlers) per event, every handler body the same one-line count.
# For each side it times a full rebuild (`--no-incremental`) and a build after editing one listener's body, RUNS times
# each after one warm-up build, and prints the medians and the generated source size (EventRouter, Mediator). The sides
# take turns within each run (none, eventrouter, mediator, none, ...), so a change in the machine's load falls on all
# of them alike; the load average is printed before and after.
#
#   bash benchmarks/build-cost/build-cost.sh                # 1,000 events / 2,000 listeners, 3 runs each
#   EVENTS=200 RUNS=1 bash benchmarks/build-cost/build-cost.sh
#   SIDES="none eventrouter" bash benchmarks/build-cost/build-cost.sh
#   SIZES=1 bash benchmarks/build-cost/build-cost.sh        # one build of the EventRouter app: each generated file's size
#   BASELINE=/path/to/other/build bash benchmarks/build-cost/build-cost.sh
#                                   # adds the side "baseline": the EventRouter.dll and EventRouter.Generator.dll found
#                                   # there (say, another commit's Release output), to compare two generators in one run
#
# Needs the runtime and generator built in Release (dotnet build src/EventRouter.Runtime -c Release). The apps are
# written under WORK (default: a temporary directory), outside the repository, so its build settings do not apply.
set -euo pipefail

EVENTS=${EVENTS:-1000}
RUNS=${RUNS:-3}
SIZES=${SIZES:-0}
BASELINE=${BASELINE:-}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-$(mktemp -d /tmp/eventrouter-build-cost.XXXXXX)}
RUNTIME="$REPO/src/EventRouter.Runtime/bin/Release/net8.0/EventRouter.dll"
GENERATOR="$REPO/src/EventRouter.Generator/bin/Release/netstandard2.0/EventRouter.Generator.dll"
MEDIATOR_VERSION=3.0.2
DI_VERSION=10.0.14

for f in "$RUNTIME" "$GENERATOR"; do
  [[ -f $f ]] || { echo "missing $f: dotnet build src/EventRouter.Runtime -c Release first" >&2; exit 1; }
done
if [[ -n $BASELINE ]]; then
  for f in "$BASELINE/EventRouter.dll" "$BASELINE/EventRouter.Generator.dll"; do
    [[ -f $f ]] || { echo "missing $f (BASELINE)" >&2; exit 1; }
  done
fi
SIDES=${SIDES:-none eventrouter mediator${BASELINE:+ baseline}}
[[ $SIZES == 1 ]] && SIDES=eventrouter

# A plain Reference brings no dependencies: the runtime's own packages (the health-check builder extension is in the
# namespace Program.cs imports, so the compiler must see its types), at the versions the repository builds with.
version() { sed -n "s/.*PackageVersion Include=\"$1\" Version=\"\([^\"]*\)\".*/\1/p" "$REPO/Directory.Packages.props"; }
RUNTIME_PACKAGES=""
for package in Microsoft.Extensions.Diagnostics.HealthChecks Microsoft.Extensions.Hosting.Abstractions Microsoft.Extensions.Options \
  Microsoft.Extensions.Options.ConfigurationExtensions Microsoft.Extensions.Configuration.Binder Microsoft.Extensions.Logging.Abstractions System.IO.Pipelines; do
  RUNTIME_PACKAGES+="<PackageReference Include=\"$package\" Version=\"$(version "$package")\" />"
done

project() { # side
  local side=$1 refs
  case $side in
    eventrouter) refs="<Reference Include=\"EventRouter\" HintPath=\"$RUNTIME\" /><Analyzer Include=\"$GENERATOR\" />$RUNTIME_PACKAGES" ;;
    baseline)    refs="<Reference Include=\"EventRouter\" HintPath=\"$BASELINE/EventRouter.dll\" /><Analyzer Include=\"$BASELINE/EventRouter.Generator.dll\" />$RUNTIME_PACKAGES" ;;
    none)        refs="<Reference Include=\"EventRouter\" HintPath=\"$RUNTIME\" />$RUNTIME_PACKAGES" ;;
    mediator)    refs="<PackageReference Include=\"Mediator.Abstractions\" Version=\"$MEDIATOR_VERSION\" /><PackageReference Include=\"Mediator.SourceGenerator\" Version=\"$MEDIATOR_VERSION\" PrivateAssets=\"all\" />" ;;
  esac
  cat <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>disable</ImplicitUsings>
    <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="$DI_VERSION" />
    $refs
  </ItemGroup>
</Project>
XML
}

# One file per event: the event and its two listeners, as an app would spread them.
sources() { # side dir
  local side=$1 dir=$2 i
  mkdir -p "$dir/Events"
  for ((i = 0; i < EVENTS; i++)); do
    case $side in
      eventrouter|baseline|none) cat > "$dir/Events/E$i.cs" <<CS
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
namespace App.Events;
public sealed record E$i(int Value);
$([[ $side != none ]] && echo "[EventListener]")
public sealed class E${i}Audit : IEventListener<E$i> { public ValueTask HandleAsync(E$i e, CancellationToken ct) { Counter.Value += e.Value; return default; } }
$([[ $side != none ]] && echo "[EventListener]")
public sealed class E${i}Billing : IEventListener<E$i> { public ValueTask HandleAsync(E$i e, CancellationToken ct) { Counter.Value += e.Value; return default; } }
CS
      ;;
      mediator) cat > "$dir/Events/E$i.cs" <<CS
using System.Threading;
using System.Threading.Tasks;
using Mediator;
namespace App.Events;
public sealed record E$i(int Value) : INotification;
public sealed class E${i}Audit : INotificationHandler<E$i> { public ValueTask Handle(E$i e, CancellationToken ct) { Counter.Value += e.Value; return default; } }
public sealed class E${i}Billing : INotificationHandler<E$i> { public ValueTask Handle(E$i e, CancellationToken ct) { Counter.Value += e.Value; return default; } }
CS
      ;;
    esac
  done
  local main
  case $side in
    eventrouter|baseline) main='var services = new ServiceCollection().AddEventRouter().BuildServiceProvider();
await services.GetRequiredService<EventRouter.IEventPublisher>().PublishAsync(new App.Events.E0(1));' ;;
    mediator) main='var services = new ServiceCollection().AddMediator().BuildServiceProvider();
await services.GetRequiredService<Mediator.IMediator>().Publish(new App.Events.E0(1));' ;;
    none) main='var services = new ServiceCollection().BuildServiceProvider();
await new App.Events.E0Audit().HandleAsync(new App.Events.E0(1), default);' ;;
  esac
  cat > "$dir/Program.cs" <<CS
using Microsoft.Extensions.DependencyInjection;
$main
System.Console.WriteLine(App.Events.Counter.Value);
namespace App.Events { public static class Counter { public static long Value; } }
CS
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

seconds() { # command...: elapsed seconds of the command, its output discarded
  local start end
  start=$(date +%s.%N)
  "$@" > /dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

generated_files() { # dir: the generator's output files of the last build
  find "$1/obj" \( -path '*generated/EventRouter.Generator*' -o -path '*generated/Mediator.SourceGenerator*' \) -name '*.cs' -printf '%s %f\n' 2>/dev/null | sort -k2
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

printf '# %s events, %s listeners, %s runs each, sides: %s, load before: %s\n' "$EVENTS" $((EVENTS * 2)) "$RUNS" "$SIDES" "$(load)"
for side in $SIDES; do
  dir="$WORK/$side"
  rm -rf "$dir"; mkdir -p "$dir"
  project "$side" > "$dir/App.csproj"
  sources "$side" "$dir"
  dotnet restore "$dir" > /dev/null
  dotnet build "$dir" -c Release --no-restore > /dev/null # warm-up: compiler server, first build
done

if [[ $SIZES == 1 ]]; then
  printf '%-44s %10s\n' file kb
  generated_files "$WORK/eventrouter" | awk '{ printf "%-44s %10.0f\n", $2, $1 / 1024; s += $1 } END { printf "%-44s %10.0f\n", "total", s / 1024 }'
  exit 0
fi

declare -A REBUILDS EDITS
for ((r = 0; r < RUNS; r++)); do
  for side in $SIDES; do
    REBUILDS[$side]+="$(seconds dotnet build "$WORK/$side" -c Release --no-restore --no-incremental) "
  done
  for side in $SIDES; do
    # An edit inside one listener's body: what a developer does between two builds.
    sed -i "s/Counter.Value += e.Value\( + [0-9]*\)\?; return default; } }\$/Counter.Value += e.Value + $r; return default; } }/" "$WORK/$side/Events/E7.cs"
    EDITS[$side]+="$(seconds dotnet build "$WORK/$side" -c Release --no-restore) "
  done
done

printf '%-12s %10s %10s %12s   %s\n' side rebuild_s edit_s generated_kb "rebuilds / edits (s)"
declare -A REBUILD
for side in $SIDES; do
  generated=$(generated_files "$WORK/$side" | awk '{ s += $1 } END { printf "%d", s / 1024 }')
  REBUILD[$side]=$(printf '%s\n' ${REBUILDS[$side]} | median)
  printf '%-12s %10.2f %10.2f %12s   %s/ %s\n' "$side" "${REBUILD[$side]}" "$(printf '%s\n' ${EDITS[$side]} | median)" "$generated" "${REBUILDS[$side]}" "${EDITS[$side]}"
done
for side in $SIDES; do
  [[ $side == none ]] && continue
  generated_files "$WORK/$side" | awk -v side="$side" '{ printf "  %s %s: %.0f KB\n", side, $2, $1 / 1024 }'
  [[ -n ${REBUILD[none]:-} ]] && printf 'ratio %s/none %.2f%s\n' "$side" "$(echo "${REBUILD[$side]} / ${REBUILD[none]}" | bc -l)" "$([[ $side == eventrouter ]] && echo ' (target <= 1.5)')"
done
printf '# load after: %s\n' "$(load)"
