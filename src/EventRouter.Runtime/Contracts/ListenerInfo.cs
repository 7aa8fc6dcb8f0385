using System;
using System.Collections.Generic;

namespace EventRouter;

/// <summary>One listener in a route: its name (full type name), type and lifetime.</summary>
/// <param name="Name">The listener's full type name, used in errors, logs and the event map.</param>
/// <param name="ListenerType">The listener class.</param>
/// <param name="Lifetime">How its instances are created.</param>
public sealed record ListenerInfo(string Name, Type ListenerType, ListenerLifetime Lifetime);
