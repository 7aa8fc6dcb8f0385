using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Generated;
using EventRouter.Tests.Observability;

namespace EventRouter.Tests.Publish;

public sealed record LoneEvent(int Value);

[EventListener]
public sealed class LoneListener : IEventListener<LoneEvent>
{
    public ValueTask HandleAsync(LoneEvent @event, CancellationToken cancellationToken)
    {
        Journal.Write($"lone:{@event.Value}");
        return default;
    }
}

/// <summary>
/// A publish whose token is cancelled before it starts runs nothing and throws <see cref="OperationCanceledException"/>,
/// whichever path it takes: the generated typed fast path (one or several listeners), the generic, object, interface
/// and base-class entries, concurrent mode, a scoped route, run-time subscriptions and the instrumented route.
/// </summary>
// Alone: a parallel test's trace listener would send the fast-path cases down the route path.
[Collection(TelemetrySensitive.Name)]
public sealed class CancelledTokenTests
{
    private readonly Journal _journal = new();

    public CancelledTokenTests() => Journal.Current.Value = _journal;

    public static IEnumerable<object[]> Paths() =>
        new[] { "typed-one", "typed-several", "generic", "object", "interface", "base", "concurrent", "scoped", "subscribed", "traced" }
            .Select(static p => new object[] { p });

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task TokenCancelledBeforePublish_RunsNothingAndThrowsOperationCanceled(string path)
    {
        using var source = new CancellationTokenSource();
        source.Cancel();
        var token = source.Token;
        var dispatcher = new EventDispatcher(path == "concurrent" ? new EventRouterOptions { PublishMode = PublishMode.Concurrent } : new EventRouterOptions());
        using var subscription = path == "subscribed"
            ? dispatcher.Subscribe<LoneEvent>((e, _) => { Journal.Write("subscriber"); return default; })
            : null;
        using var capture = path == "traced" ? new TelemetryCapture() : null;

        Func<ValueTask> publish = path switch
        {
            "typed-one" or "subscribed" or "traced" or "concurrent" => () => dispatcher.PublishAsync(new LoneEvent(1), token),
            "typed-several" => () => dispatcher.PublishAsync(new OrderPlaced(1), token),
            "generic" => () => dispatcher.PublishAsync<LoneEvent>(new LoneEvent(1), token),
            "object" => () => dispatcher.PublishAsync((object)new LoneEvent(1), token),
            "interface" => () => ((IEventPublisher)dispatcher).PublishAsync(new LoneEvent(1), token),
            "base" => () => ((EventDispatcherBase)dispatcher).PublishAsync(new LoneEvent(1), token),
            "scoped" => () => dispatcher.PublishAsync(new KeyedEvent(Guid.NewGuid(), "c"), token),
            _ => throw new ArgumentOutOfRangeException(nameof(path), path, null),
        };

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publish().AsTask());

        Assert.Equal(token, error.CancellationToken);
        Assert.Empty(_journal.Entries);
    }

    [Fact]
    public async Task TokenNotCancelled_TypedFastPathStillRunsTheListener()
    {
        await new EventDispatcher().PublishAsync(new LoneEvent(7), new CancellationTokenSource().Token);

        Assert.Equal(new[] { "lone:7" }, _journal.Entries);
    }
}
