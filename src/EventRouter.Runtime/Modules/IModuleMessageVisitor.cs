using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Modules;

/// <summary>
/// Is shown every message type a module handles, with a typed way to send each: how a transport learns, without
/// reflection, which requests, stream requests and commands to accept for a module and which types to serialize.
/// </summary>
public interface IModuleMessageVisitor
{
    /// <summary>A request type the module answers.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="send">Sends one request through the client that is being visited.</param>
    void Request<TRequest, TResponse>(Func<TRequest, CancellationToken, ValueTask<TResponse>> send);

    /// <summary>A command type the module accepts.</summary>
    /// <typeparam name="TCommand">The command type.</typeparam>
    /// <param name="send">Sends one command through the client that is being visited.</param>
    void Command<TCommand>(Func<TCommand, CancellationToken, ValueTask> send);

    /// <summary>A stream request type the module answers with a stream of items. Ignored by default.</summary>
    /// <typeparam name="TRequest">The stream request type.</typeparam>
    /// <typeparam name="TItem">The item type.</typeparam>
    /// <param name="open">Opens one stream through the client that is being visited.</param>
    void Stream<TRequest, TItem>(Func<TRequest, CancellationToken, IAsyncEnumerable<TItem>> open)
    {
    }
}
