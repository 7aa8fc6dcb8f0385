using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;

namespace EventRouter.Tests.Filters;

// Every filter here is restricted with AppliesTo to the messages of these tests, so the other modules and listeners of
// this test assembly are not wrapped. Orders 20+ keep clear of the event filter tests' orders (ER0007 is an error here).

/// <summary>What the filters and handlers of one message did, in order. Carried by the message: the module's server
/// runs outside the test's execution context, so an AsyncLocal journal would not reach it.</summary>
public sealed class FilterTrace
{
    private readonly List<string> _entries = new();

    public void Write(string entry)
    {
        lock (_entries)
        {
            _entries.Add(entry);
        }
    }

    public string[] Entries
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToArray();
            }
        }
    }
}

public interface IModuleFiltered
{
    FilterTrace Trace { get; }
}

public interface IAuditedMessage
{
    FilterTrace Trace { get; }
}

/// <summary>Modes: "plain", "throw" (the handler throws), "async" (the handler yields), "short" (a filter answers),
/// "block" (the handler waits for <see cref="Release"/>).</summary>
public abstract record FilteredMessage(string Mode) : IModuleFiltered
{
    public FilterTrace Trace { get; } = new();

    /// <summary>Completed when the handler starts.</summary>
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>"block" handlers wait for this.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When set, the outermost filter calls it before next: a request back to the module from inside the chain.</summary>
    public Func<ValueTask>? Reenter { get; init; }
}

public sealed record Quote(string Mode) : FilteredMessage(Mode);

public sealed record AuditedQuote(string Mode) : FilteredMessage(Mode), IAuditedMessage;

public sealed record Jot(string Mode) : FilteredMessage(Mode);

/// <summary>A request of the filtered module that no filter applies to.</summary>
public sealed record Unfiltered(int N);

[ModuleServer]
public sealed partial class FilteredModule :
    IRequestHandler<Quote, string>,
    IRequestHandler<AuditedQuote, string>,
    IRequestHandler<Unfiltered, int>,
    ICommandHandler<Jot>
{
    private int _running;

    public int HandlerCalls { get; private set; }

    public ValueTask<string> HandleAsync(Quote request, CancellationToken cancellationToken) => RunAsync(request);

    public ValueTask<string> HandleAsync(AuditedQuote request, CancellationToken cancellationToken) => RunAsync(request);

    public ValueTask<int> HandleAsync(Unfiltered request, CancellationToken cancellationToken) => new(request.N);

    public async ValueTask HandleAsync(Jot command, CancellationToken cancellationToken) => await RunAsync(command);

    private async ValueTask<string> RunAsync(FilteredMessage message)
    {
        if (Interlocked.Increment(ref _running) != 1)
        {
            message.Trace.Write("handler:concurrent");
        }
        try
        {
            HandlerCalls++;
            message.Trace.Write("handler:" + message.GetType().Name);
            message.Entered.TrySetResult();
            switch (message.Mode)
            {
                case "throw":
                    throw new InvalidOperationException("handler failed");
                case "async":
                    await Task.Yield();
                    break;
                case "block":
                    await message.Release.Task.ConfigureAwait(false);
                    break;
            }
            return "handled:" + message.Mode;
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}

/// <summary>Outermost: records before/after and exceptions, with what <c>next</c> says about the handler.</summary>
[EventFilter(Order = 20, AppliesTo = typeof(IModuleFiltered))]
public sealed class OuterModuleFilter : IModuleFilter
{
    /// <summary>Every message this filter saw, whatever the test.</summary>
    public static ConcurrentQueue<object?> Seen { get; } = new();

    public async ValueTask<TResponse> InvokeRequestAsync<TRequest, TResponse>(TRequest request, RequestNext<TRequest, TResponse> next, CancellationToken cancellationToken)
    {
        Seen.Enqueue(request);
        var message = (FilteredMessage)(object)request!;
        message.Trace.Write($"outer:before:{next.MessageType.Name}@{next.ModuleName}/{next.ModuleType.Name}");
        if (message.Reenter is { } reenter)
        {
            try
            {
                await reenter();
                message.Trace.Write("reenter:allowed");
            }
            catch (ModuleReentrancyException ex)
            {
                message.Trace.Write("reenter:refused:" + ex.ModuleName);
            }
        }
        try
        {
            var response = await next.InvokeAsync(request, cancellationToken);
            message.Trace.Write("outer:after:" + response);
            return response;
        }
        catch (Exception ex)
        {
            message.Trace.Write("outer:observed:" + ex.Message);
            throw;
        }
    }

    public async ValueTask InvokeCommandAsync<TCommand>(TCommand command, CommandNext<TCommand> next, CancellationToken cancellationToken)
    {
        Seen.Enqueue(command);
        var message = (FilteredMessage)(object)command!;
        message.Trace.Write($"outer:before:{next.MessageType.Name}@{next.ModuleName}/{next.ModuleType.Name}");
        try
        {
            await next.InvokeAsync(command, cancellationToken);
            message.Trace.Write("outer:after");
        }
        catch (Exception ex)
        {
            message.Trace.Write("outer:observed:" + ex.Message);
            throw;
        }
    }
}

/// <summary>Answers "short" requests itself. Implements only the request method: commands pass through the default.</summary>
[EventFilter(Order = 21, AppliesTo = typeof(FilteredMessage))]
public sealed class ShortCircuitModuleFilter : IModuleFilter
{
    public ValueTask<TResponse> InvokeRequestAsync<TRequest, TResponse>(TRequest request, RequestNext<TRequest, TResponse> next, CancellationToken cancellationToken)
    {
        var message = (FilteredMessage)(object)request!;
        if (message.Mode == "short" && typeof(TResponse) == typeof(string))
        {
            message.Trace.Write("short:answered");
            return new ValueTask<TResponse>((TResponse)(object)"from filter");
        }
        message.Trace.Write("short:pass");
        return next.InvokeAsync(request, cancellationToken);
    }
}

public sealed record AuditedEvent(FilterTrace Trace) : IAuditedMessage;

[EventListener]
public sealed class AuditedEventListener : IEventListener<AuditedEvent>
{
    public ValueTask HandleAsync(AuditedEvent @event, CancellationToken cancellationToken)
    {
        @event.Trace.Write("listener");
        return default;
    }
}

/// <summary>One class, both kinds: wraps listeners of audited events and handlers of audited requests.</summary>
[EventFilter(Order = 22, AppliesTo = typeof(IAuditedMessage))]
public sealed class AuditFilter : IModuleFilter, IEventFilter
{
    private static int s_instances;

    /// <summary>Tells instances apart, so a test can see one singleton serving events and modules.</summary>
    public int Instance { get; } = Interlocked.Increment(ref s_instances);

    public async ValueTask<TResponse> InvokeRequestAsync<TRequest, TResponse>(TRequest request, RequestNext<TRequest, TResponse> next, CancellationToken cancellationToken)
    {
        var trace = ((IAuditedMessage)request!).Trace;
        trace.Write($"audit:before#{Instance}");
        var response = await next.InvokeAsync(request, cancellationToken);
        trace.Write("audit:after");
        return response;
    }

    public async ValueTask InvokeAsync<TEvent>(TEvent @event, ListenerNext<TEvent> next, CancellationToken cancellationToken)
    {
        var trace = ((IAuditedMessage)@event!).Trace;
        trace.Write($"audit:{next.Listener.ListenerType.Name}#{Instance}");
        await next.InvokeAsync(@event, cancellationToken);
    }
}

public sealed class FilterDependency
{
    public string Prefix { get; init; } = "dep";
}

public interface IDependentMessage
{
}

public sealed record DependentRequest(int N) : IDependentMessage;

/// <summary>Has a constructor dependency: only the container the server was created with can create it.</summary>
[EventFilter(Order = 23, AppliesTo = typeof(IDependentMessage))]
public sealed class DependentModuleFilter(FilterDependency dependency) : IModuleFilter
{
    public async ValueTask<TResponse> InvokeRequestAsync<TRequest, TResponse>(TRequest request, RequestNext<TRequest, TResponse> next, CancellationToken cancellationToken)
    {
        var response = await next.InvokeAsync(request, cancellationToken);
        return response is string text ? (TResponse)(object)(dependency.Prefix + ":" + text) : response;
    }
}

[ModuleServer]
public sealed partial class DependentModule : IRequestHandler<DependentRequest, string>
{
    public ValueTask<string> HandleAsync(DependentRequest request, CancellationToken cancellationToken) => new("n" + request.N);
}

public interface ICountedModuleMessage
{
}

public sealed record CountedQuery(int N) : ICountedModuleMessage;

[ModuleServer]
public sealed partial class CountedModule : IRequestHandler<CountedQuery, int>
{
    public ValueTask<int> HandleAsync(CountedQuery request, CancellationToken cancellationToken) => new(request.N + 1);
}

/// <summary>Completes synchronously: a filtered request stays allocation-free.</summary>
[EventFilter(Order = 24, AppliesTo = typeof(ICountedModuleMessage))]
public sealed class CountingModuleFilter : IModuleFilter
{
    private static long s_calls;

    public static long Calls => Interlocked.Read(ref s_calls);

    public ValueTask<TResponse> InvokeRequestAsync<TRequest, TResponse>(TRequest request, RequestNext<TRequest, TResponse> next, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref s_calls);
        return next.InvokeAsync(request, cancellationToken);
    }
}
