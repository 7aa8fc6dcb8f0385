using System;

namespace EventRouter.Reactor;

/// <summary>Published when a connection has closed.</summary>
/// <param name="Connection">The connection.</param>
/// <param name="Reason">Why it closed.</param>
/// <param name="Exception">The error behind the close, if any.</param>
public readonly record struct ConnectionClosed(TcpConnection Connection, CloseReason Reason, Exception? Exception);
