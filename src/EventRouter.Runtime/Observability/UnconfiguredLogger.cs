using System;
using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace EventRouter;

/// <summary>
/// The router's logger when neither <see cref="EventRouterOptions.LoggerFactory"/> nor a DI logger factory is there
/// (<c>new EventDispatcher()</c>): warnings and errors go to standard error, each distinct message once. Without it the
/// default <see cref="NoListenerPolicy.Log"/>, and failures in the background, would say nothing at all. Trace output
/// was not enough: outside a debugger nothing shows it. Every host has a logger factory, so a hosted app never writes here.
/// </summary>
internal sealed class UnconfiguredLogger : ILogger
{
    // Distinct messages written; past the cap one notice says that the rest are dropped, so a loop cannot flood the console.
    internal const int MaxMessages = 100;
    private readonly ConcurrentDictionary<string, byte> _written = new(StringComparer.Ordinal);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        ArgumentNullException.ThrowIfNull(formatter);
        var message = formatter(state, exception);
        if (_written.Count > MaxMessages || !_written.TryAdd(message, 0))
        {
            return;
        }
        var level = logLevel == LogLevel.Warning ? "warn" : logLevel == LogLevel.Error ? "fail" : "crit";
        var text = _written.Count > MaxMessages
            ? "warn: EventRouter: more distinct warnings than " + MaxMessages.ToString(CultureInfo.InvariantCulture) + "; the rest are not shown. Set EventRouterOptions.LoggerFactory to log them all."
            : string.Create(CultureInfo.InvariantCulture, $"{level}: EventRouter[{eventId.Id}] {message}{(exception is null ? string.Empty : Environment.NewLine + exception)}{Environment.NewLine}      (shown once: no logger is configured. Set EventRouterOptions.LoggerFactory to log through your logging, or NoListenerPolicy.Ignore for events nobody has to listen to.)");
        Console.Error.WriteLine(text);
    }
}
