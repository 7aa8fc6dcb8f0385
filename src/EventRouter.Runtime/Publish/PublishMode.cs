using System;

namespace EventRouter;

/// <summary>How the listeners of one event run during a publish.</summary>
public enum PublishMode
{
    /// <summary>One after another, in the table's stable order; the cancellation token is checked between them.</summary>
    Sequential = 0,

    /// <summary>All started at once; the publish completes when all have completed.</summary>
    Concurrent = 1,
}
