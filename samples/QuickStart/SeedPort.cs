using System.Threading;
using System.Threading.Tasks;
using EventRouter;

namespace QuickStart.SeedPort;

// Seed 000 ("Async Event Dispatcher in Rust") in C#. The Rust version needs an Event trait with name() and as_any(),
// a listener that downcasts a &dyn Event, and a Mutex<Vec<Arc<dyn EventListener>>> to register into at run time.
// Here an event is any type, a listener says which type it handles, and the generator writes the dispatcher:
// nothing to register, nothing to downcast.

/// <summary>The seed's event: its payload is <see cref="Data"/>; <c>[Event]</c> gives it the seed's stable name.</summary>
[Event("TestEvent")]
public sealed record TestEvent(string Data);

/// <summary>The seed's listener.</summary>
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
