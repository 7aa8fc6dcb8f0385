using System;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EventRouter.Tests.Infrastructure;

/// <summary>One log entry as a test asserts it.</summary>
internal sealed record LogEntry(LogLevel Level, EventId Id, string Message, Exception? Exception);

/// <summary>The one log capture of the test projects: a logger factory (and provider) that keeps every entry of every category.</summary>
internal sealed class LogCapture : ILoggerFactory, ILoggerProvider
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue(new LogEntry(logLevel, eventId, formatter(state, exception), exception));
    }
}
