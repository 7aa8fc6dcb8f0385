#!/usr/bin/env bash
# Native AOT start-to-exit time and binary size of a one-event app: EventRouter (without DI and through DI), Mediator
# 3.0.2 (through DI, which it requires) and the same apps with no library at all (plain, and building the same
# ServiceProvider), so each side is read against the empty app it extends.
#
# Every app publishes one event to one listener that adds to a counter, prints the counter and exits. Each app is
# published once with PublishAot, then all of them run RUNS times interleaved (one run of each per round), so a
# drifting machine load hits every side alike; the script prints the median wall-clock time per side, the difference
# to its empty baseline and the binary size.
#
#   bash benchmarks/startup/startup.sh           # 41 rounds
#   RUNS=101 bash benchmarks/startup/startup.sh
#
# Needs the Native AOT prerequisites (clang, zlib). The apps are written under WORK (default: a temporary directory),
# outside the repository, so its build settings do not apply to them; they reference the runtime and the generator
# projects of this repository.
set -euo pipefail

RUNS=${RUNS:-41}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-$(mktemp -d /tmp/eventrouter-startup.XXXXXX)}
MEDIATOR_VERSION=3.0.2
DI_VERSION=10.0.14
RID=linux-x64

project() { # side
  local refs=""
  case $1 in
    eventrouter|eventrouter-di) refs="<ProjectReference Include=\"$REPO/src/EventRouter.Runtime/EventRouter.Runtime.csproj\" /><ProjectReference Include=\"$REPO/src/EventRouter.Generator/EventRouter.Generator.csproj\" OutputItemType=\"Analyzer\" ReferenceOutputAssembly=\"false\" />" ;;
    mediator-di) refs="<PackageReference Include=\"Mediator.Abstractions\" Version=\"$MEDIATOR_VERSION\" /><PackageReference Include=\"Mediator.SourceGenerator\" Version=\"$MEDIATOR_VERSION\" PrivateAssets=\"all\" />" ;;
  esac
  cat <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>disable</ImplicitUsings>
    <PublishAot>true</PublishAot>
    <InvariantGlobalization>true</InvariantGlobalization>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="$DI_VERSION" />
    $refs
  </ItemGroup>
</Project>
XML
}

program() { # side
  case $1 in
    empty) cat <<'CS'
await new Audit().HandleAsync(new Ping(1));
System.Console.WriteLine(Counter.Value);
public sealed record Ping(int Value);
public sealed class Audit { public System.Threading.Tasks.ValueTask HandleAsync(Ping e) { Counter.Value += e.Value; return default; } }
public static class Counter { public static long Value; }
CS
    ;;
    empty-di) cat <<'CS'
using Microsoft.Extensions.DependencyInjection;
using var services = new ServiceCollection().AddSingleton<Audit>().BuildServiceProvider();
await services.GetRequiredService<Audit>().HandleAsync(new Ping(1));
System.Console.WriteLine(Counter.Value);
public sealed record Ping(int Value);
public sealed class Audit { public System.Threading.Tasks.ValueTask HandleAsync(Ping e) { Counter.Value += e.Value; return default; } }
public static class Counter { public static long Value; }
CS
    ;;
    eventrouter) cat <<'CS'
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
await new EventRouter.Generated.EventDispatcher().PublishAsync(new Ping(1));
System.Console.WriteLine(Counter.Value);
public sealed record Ping(int Value);
[EventListener]
public sealed class Audit : IEventListener<Ping> { public ValueTask HandleAsync(Ping e, CancellationToken ct) { Counter.Value += e.Value; return default; } }
public static class Counter { public static long Value; }
CS
    ;;
    eventrouter-di) cat <<'CS'
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using Microsoft.Extensions.DependencyInjection;
using var services = new ServiceCollection().AddEventRouter().BuildServiceProvider();
await services.GetRequiredService<IEventPublisher>().PublishAsync(new Ping(1));
System.Console.WriteLine(Counter.Value);
public sealed record Ping(int Value);
[EventListener]
public sealed class Audit : IEventListener<Ping> { public ValueTask HandleAsync(Ping e, CancellationToken ct) { Counter.Value += e.Value; return default; } }
public static class Counter { public static long Value; }
CS
    ;;
    mediator-di) cat <<'CS'
using System.Threading;
using System.Threading.Tasks;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using var services = new ServiceCollection().AddMediator().BuildServiceProvider();
await services.GetRequiredService<IMediator>().Publish(new Ping(1));
System.Console.WriteLine(Counter.Value);
public sealed record Ping(int Value) : INotification;
public sealed class Audit : INotificationHandler<Ping> { public ValueTask Handle(Ping e, CancellationToken ct) { Counter.Value += e.Value; return default; } }
public static class Counter { public static long Value; }
CS
    ;;
  esac
}

SIDES=(empty eventrouter empty-di eventrouter-di mediator-di)
declare -A BASELINE=([empty]=empty [eventrouter]=empty [empty-di]=empty-di [eventrouter-di]=empty-di [mediator-di]=empty-di)
declare -A BINARY
for side in "${SIDES[@]}"; do
  dir="$WORK/$side"
  rm -rf "$dir"; mkdir -p "$dir"
  project "$side" > "$dir/App.csproj"
  program "$side" > "$dir/Program.cs"
  echo "# publishing $side (Native AOT)" >&2
  dotnet publish "$dir" -c Release -r "$RID" -o "$dir/out" > "$dir/publish.log" 2>&1 || { tail -20 "$dir/publish.log" >&2; exit 1; }
  BINARY[$side]="$dir/out/App"
  [[ $("${BINARY[$side]}") == 1 ]] || { echo "$side printed something other than 1" >&2; exit 1; }
done

# Wall-clock microseconds of one run, its output discarded.
micros() {
  local start end
  start=$(date +%s%N)
  "$1" > /dev/null
  end=$(date +%s%N)
  echo $(( (end - start) / 1000 ))
}

declare -A TIMES
for ((r = 0; r < RUNS; r++)); do
  for side in "${SIDES[@]}"; do
    TIMES[$side]+="$(micros "${BINARY[$side]}") "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

printf '# Native AOT start-to-exit, median of %s interleaved runs, load %s\n' "$RUNS" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %10s %16s %12s\n' side median_ms over_baseline_ms size_kb
declare -A MEDIAN
for side in "${SIDES[@]}"; do
  MEDIAN[$side]=$(echo "${TIMES[$side]}" | median)
done
for side in "${SIDES[@]}"; do
  base=${BASELINE[$side]}
  printf '%-16s %10.2f %16.2f %12d\n' "$side" "$(echo "${MEDIAN[$side]} / 1000" | bc -l)" \
    "$(echo "(${MEDIAN[$side]} - ${MEDIAN[$base]}) / 1000" | bc -l)" $(( $(stat -c %s "${BINARY[$side]}") / 1024 ))
done
printf 'delta eventrouter/empty %.2f ms (target <= 0.5)\n' "$(echo "(${MEDIAN[eventrouter]} - ${MEDIAN[empty]}) / 1000" | bc -l)"
printf 'delta eventrouter-di/empty-di %.2f ms; mediator-di/empty-di %.2f ms\n' \
  "$(echo "(${MEDIAN[eventrouter-di]} - ${MEDIAN[empty-di]}) / 1000" | bc -l)" \
  "$(echo "(${MEDIAN[mediator-di]} - ${MEDIAN[empty-di]}) / 1000" | bc -l)"
