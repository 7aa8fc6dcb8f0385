using System;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace EventRouter.Modules;

/// <summary>Settings of one module server.</summary>
public sealed class ModuleServerOptions
{
    private int _capacity = 1024;
    private int _streamBufferCapacity = 32;

    /// <summary>The module's name in logs and exceptions. Default: the module's type name.</summary>
    public string? Name { get; set; }

    /// <summary>How many messages may wait in the queue. Default 1024.</summary>
    public int Capacity
    {
        get => _capacity;
        set => _capacity = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Capacity must be positive.");
    }

    /// <summary>What a send does when the queue is full. Default: <see cref="ModuleFullMode.Wait"/>.</summary>
    public ModuleFullMode FullMode { get; set; } = ModuleFullMode.Wait;

    /// <summary>
    /// How long a caller waits for a response once its request is accepted. Default 30 seconds;
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns timeouts off.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many items of a stream request the module may produce ahead of its reader. When the buffer is full the
    /// handler waits at its next item. Default 32.
    /// </summary>
    public int StreamBufferCapacity
    {
        get => _streamBufferCapacity;
        set => _streamBufferCapacity = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "StreamBufferCapacity must be positive.");
    }

    /// <summary>
    /// How long, once a stream has produced its first item, the module may wait for room in the stream's full buffer, or
    /// the reader for the next item, before the stream ends with <see cref="ModuleStreamTimeoutException"/>, so a reader
    /// that stops reading cannot hold the module forever. Default 30 seconds; <see cref="Timeout.InfiniteTimeSpan"/>
    /// turns it off. Until the first item, <see cref="RequestTimeout"/> applies, as for a request's response.
    /// </summary>
    public TimeSpan StreamItemTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When the module is idle (nothing queued, nothing running), run a request on the caller's thread while holding
    /// the module's one-at-a-time guarantee, instead of paying two thread hops through the queue. Default true.
    /// </summary>
    public bool RunInlineWhenIdle { get; set; } = true;

    /// <summary>Called after a command handler failed; the server keeps running. Must not throw.</summary>
    public Action<ModuleCommandFailure>? OnCommandFailed { get; set; }

    /// <summary>The clock for request timeouts. Default: the DI <see cref="System.TimeProvider"/>, else <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Where the server logs. Default: the DI logger factory, else nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// The name of a module's options in the options pipeline: its type's full name. Configure one module with
    /// <c>services.Configure&lt;ModuleServerOptions&gt;(ModuleServerOptions.NameOf(typeof(StockModule)), o =&gt; …)</c>,
    /// every module with <c>services.ConfigureAll&lt;ModuleServerOptions&gt;(…)</c>.
    /// </summary>
    /// <param name="moduleType">The <c>[ModuleServer]</c> class.</param>
    /// <returns>The options name.</returns>
    public static string NameOf(Type moduleType)
    {
        ArgumentNullException.ThrowIfNull(moduleType);
        return moduleType.FullName ?? moduleType.Name;
    }

    internal void Validate()
    {
        if (!Enum.IsDefined(FullMode))
        {
            throw new ArgumentOutOfRangeException(nameof(FullMode), FullMode, "Unknown ModuleFullMode.");
        }
        if (RequestTimeout <= TimeSpan.Zero && RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "RequestTimeout must be positive or Timeout.InfiniteTimeSpan.");
        }
    }
}
