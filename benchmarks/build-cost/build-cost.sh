#!/usr/bin/env bash
# What `dotnet build` of a synthetic app costs with EventRouter, with Mediator 3.0.2 and with no generator at all.
#
# The app: EVENTS event types and two listeners (handlers) per event, every handler body the same one-line count.
# For each side it times a full rebuild (`--no-incremental`) and a build after editing one listener's body, RUNS times
# each after one warm-up build, and prints the medians and the generated source size (EventRouter, Mediator).
#
#   bash benchmarks/build-cost/build-cost.sh                # 1,000 events / 2,000 listeners, 3 runs each
#   EVENTS=200 RUNS=1 bash benchmarks/build-cost/build-cost.sh
#
# Needs the runtime and generator built in Release (dotnet build src/EventRouter.Runtime -c Release). The apps are
# written under WORK (default: a temporary directory), outside the repository, so its build settings do not apply.
set -euo pipefail

EVENTS=${EVENTS:-1000}
RUNS=${RUNS:-3}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-$(mktemp -d /tmp/eventrouter-build-cost.XXXXXX)}
RUNTIME="$REPO/src/EventRouter.Runtime/bin/Release/net8.0/EventRouter.dll"
GENERATOR="$REPO/src/EventRouter.Generator/bin/Release/netstandard2.0/EventRouter.Generator.dll"
MEDIATOR_VERSION=3.0.2
DI_VERSION=10.0.14

for f in "$RUNTIME" "$GENERATOR"; do
  [[ -f $f ]] || { echo "missing $f: dotnet build src/EventRouter.Runtime -c Release first" >&2; exit 1; }
done

project() { # side
  local side=$1 refs
  case $side in
    eventrouter) refs="<Reference Include=\"EventRouter\" HintPath=\"$RUNTIME\" /><Analyzer Include=\"$GENERATOR\" />" ;;
    none)        refs="<Reference Include=\"EventRouter\" HintPath=\"$RUNTIME\" />" ;;
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
      eventrouter|none) cat > "$dir/Events/E$i.cs" <<CS
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
namespace App.Events;
public sealed record E$i(int Value);
$([[ $side == eventrouter ]] && echo "[EventListener]")
public sealed class E${i}Audit : IEventListener<E$i> { public ValueTask HandleAsync(E$i e, CancellationToken ct) { Counter.Value += e.Value; return default; } }
$([[ $side == eventrouter ]] && echo "[EventListener]")
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
    eventrouter) main='var services = new ServiceCollection().AddEventRouter().BuildServiceProvider();
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

printf '# %s events, %s listeners, %s runs each, load %s\n' "$EVENTS" $((EVENTS * 2)) "$RUNS" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %10s %10s %12s\n' side rebuild_s edit_s generated_kb
declare -A REBUILD
for side in none eventrouter mediator; do
  dir="$WORK/$side"
  rm -rf "$dir"; mkdir -p "$dir"
  project "$side" > "$dir/App.csproj"
  sources "$side" "$dir"
  dotnet restore "$dir" > /dev/null
  dotnet build "$dir" -c Release --no-restore > /dev/null # warm-up: compiler server, first build
  rebuilds=(); edits=()
  for ((r = 0; r < RUNS; r++)); do
    rebuilds+=("$(seconds dotnet build "$dir" -c Release --no-restore --no-incremental)")
    # An edit inside one listener's body: what a developer does between two builds.
    sed -i "s/Counter.Value += e.Value; return default; } }\$/Counter.Value += e.Value + $r; return default; } }/" "$dir/Events/E7.cs"
    edits+=("$(seconds dotnet build "$dir" -c Release --no-restore)")
  done
  generated=$(find "$dir/obj" \( -path '*generated/EventRouter.Generator*' -o -path '*generated/Mediator.SourceGenerator*' \) -name '*.cs' -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { printf "%d", s / 1024 }')
  REBUILD[$side]=$(printf '%s\n' "${rebuilds[@]}" | median)
  printf '%-12s %10.2f %10.2f %12s\n' "$side" "${REBUILD[$side]}" "$(printf '%s\n' "${edits[@]}" | median)" "$generated"
done
printf 'ratio eventrouter/none %.2f (target <= 1.5)\n' "$(echo "${REBUILD[eventrouter]} / ${REBUILD[none]}" | bc -l)"
printf 'ratio mediator/none %.2f\n' "$(echo "${REBUILD[mediator]} / ${REBUILD[none]}" | bc -l)"
