using System.Collections.Generic;
using System.Threading;

namespace EventRouter.Modules;

/// <summary>
/// Answers requests of type <typeparamref name="TRequest"/> inside a module server with a stream of
/// <typeparamref name="TItem"/>s instead of one response.
/// </summary>
/// <remarks>
/// The module is held for the whole stream: no other message of the module runs until the enumeration ends, so the
/// handler may touch module state between items without locks. Items go into a bounded buffer that the caller reads;
/// when it is full the handler waits at its next <c>yield return</c>. The token is cancelled when the caller stops
/// reading (an early <c>break</c>, its own cancellation, a timeout) or the module stops.
/// </remarks>
/// <typeparam name="TRequest">The request type; a module streams each request type at most once.</typeparam>
/// <typeparam name="TItem">The type of the streamed items.</typeparam>
public interface IStreamRequestHandler<in TRequest, out TItem>
{
    /// <summary>Produces the items of one stream request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancelled when the caller stops reading or the module stops.</param>
    /// <returns>The items, in the order the caller receives them.</returns>
    IAsyncEnumerable<TItem> HandleAsync(TRequest request, CancellationToken cancellationToken);
}
