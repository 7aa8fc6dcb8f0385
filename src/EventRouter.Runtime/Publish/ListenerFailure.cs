using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace EventRouter;

/// <summary>One listener's failure while handling an event.</summary>
/// <param name="Listener">The listener that failed.</param>
/// <param name="Exception">What it threw.</param>
public sealed record ListenerFailure(ListenerInfo Listener, Exception Exception);
