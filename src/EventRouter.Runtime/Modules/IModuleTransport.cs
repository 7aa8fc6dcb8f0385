using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Modules;

/// <summary>
/// Carries a module's messages to a server in another process (for example through a message broker). A generated
/// typed client built on a transport sends every request and command through it instead of a local
/// <see cref="ModuleServer{TModule}"/>; the caller's code does not change.
/// </summary>
/// <remarks>
/// A transport keeps the module's contract: a request completes with the handler's response, or fails with the
/// handler's error or a <see cref="ModuleRequestTimeoutException"/>; it never waits forever. A stream yields the
/// handler's items in order and then ends, or fails with the handler's error or a timeout; a reader that stops reading
/// stops the remote handler. A command completes once
/// the transport has handed it on durably (not when the module has run it).
/// </remarks>
public interface IModuleTransport
{
    /// <summary>Sends a request to the remote module and waits for its response.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    ValueTask<TResponse> RequestAsync<TRequest, TResponse>(TRequest request, CancellationToken cancellationToken);

    /// <summary>Hands a command on to the remote module.</summary>
    /// <typeparam name="TCommand">The command type.</typeparam>
    /// <param name="command">The command.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    ValueTask SendAsync<TCommand>(TCommand command, CancellationToken cancellationToken);

    /// <summary>
    /// Sends a stream request to the remote module; enumerating the result reads its items. A transport that cannot
    /// carry streams throws <see cref="NotSupportedException"/> (the default).
    /// </summary>
    /// <typeparam name="TRequest">The stream request type.</typeparam>
    /// <typeparam name="TItem">The item type.</typeparam>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Stops reading and ends the remote handler's enumeration.</param>
    IAsyncEnumerable<TItem> StreamAsync<TRequest, TItem>(TRequest request, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not carry module streams.");
}
