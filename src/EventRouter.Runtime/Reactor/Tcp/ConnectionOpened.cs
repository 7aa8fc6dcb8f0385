using System;

namespace EventRouter.Reactor;

/// <summary>Published when a connection opens (with <see cref="TcpConnectionOptions.Publisher"/>).</summary>
/// <param name="Connection">The connection.</param>
public readonly record struct ConnectionOpened(TcpConnection Connection);
