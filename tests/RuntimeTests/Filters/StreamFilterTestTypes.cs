using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;

namespace EventRouter.Tests.Filters;

/// <summary>The stream requests the stream filter applies to (and nothing else of this assembly).</summary>
public interface IFilteredStream
{
    FilterTrace Trace { get; }
}

/// <summary>Streams Count items. Modes: "plain", "throw" (the handler throws after its items), "short" (the filter answers).</summary>
public sealed record TracedCount(int Count, string Mode = "plain") : IFilteredStream
{
    public FilterTrace Trace { get; } = new();
}

[ModuleServer]
public sealed partial class StreamFilteredModule : IStreamRequestHandler<TracedCount, int>
{
    public async IAsyncEnumerable<int> HandleAsync(TracedCount request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        request.Trace.Write("handler:start");
        try
        {
            for (var i = 0; i < request.Count; i++)
            {
                await Task.Yield();
                yield return i;
            }
            if (request.Mode == "throw")
            {
                throw new InvalidOperationException("handler failed");
            }
        }
        finally
        {
            request.Trace.Write("handler:end");
        }
    }
}

[EventFilter(Order = 30, AppliesTo = typeof(IFilteredStream))]
public sealed class StreamTraceFilter : IModuleFilter
{
    public async IAsyncEnumerable<TItem> InvokeStreamAsync<TRequest, TItem>(TRequest request, StreamNext<TRequest, TItem> next, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var trace = ((IFilteredStream)request!).Trace;
        trace.Write("filter:before " + next.ModuleName + "/" + next.MessageType.Name);
        if (request is TracedCount { Mode: "short" })
        {
            trace.Write("filter:short");
            yield break;
        }
        var items = next.InvokeAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await items.MoveNextAsync();
                }
                catch (Exception ex)
                {
                    trace.Write("filter:saw " + ex.Message);
                    throw;
                }
                if (!more)
                {
                    break;
                }
                trace.Write("filter:item " + items.Current);
                yield return items.Current;
            }
            trace.Write("filter:after");
        }
        finally
        {
            await items.DisposeAsync();
            trace.Write("filter:finally");
        }
    }
}
