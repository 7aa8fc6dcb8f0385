using System.Threading;
using System.Threading.Tasks;
using EventRouter;

namespace QuickStart.FirstEvent;

// The smallest router: one event, one listener. An event is any type, a listener says which type it handles, and the
// generator writes the dispatcher: nothing to register at run time, nothing to downcast.

/// <summary>An event: its payload is <see cref="Data"/>; <c>[Event]</c> gives it a stable name (for logs, traces and brokers).</summary>
[Event("TestEvent")]
public sealed record TestEvent(string Data);

/// <summary>The listener of <see cref="TestEvent"/>: prints its data.</summary>
[EventListener]
public sealed class TestListener : IEventListener<TestEvent>
{
    /// <inheritdoc />
    public ValueTask HandleAsync(TestEvent @event, CancellationToken cancellationToken)
    {
        SampleOutput.Out.WriteLine($"Handling {nameof(TestEvent)} with data `{@event.Data}`");
        // Nothing to await: complete synchronously, and the publish allocates nothing.
        return default;
    }
}
