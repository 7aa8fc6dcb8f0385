using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.Extensions.Logging;

namespace EventRouter.Tests.Observability;

public sealed class LogEventIdTests
{
    private static readonly (MethodInfo Method, LoggerMessageAttribute Attribute)[] LogMethods =
        typeof(EventRouterDiagnostics).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()!))
            .Where(m => m.Attribute is not null)
            .ToArray();

    [Fact]
    public void LoggerMessages_HaveUniqueStableEventIdsInTheirPartsRange()
    {
        Assert.NotEmpty(LogMethods);
        Assert.Equal(LogMethods.Length, LogMethods.Select(m => m.Attribute.EventId).Distinct().Count());
        foreach (var (method, attribute) in LogMethods)
        {
            var range = method.DeclaringType!.Name switch
            {
                "Log" => (1000, 1999),
                "DispatchLoopLog" => (2000, 2999),
                "ModuleLog" => (3000, 3999),
                "ReactorLog" => (5000, 5999),
                var other => throw new Xunit.Sdk.XunitException($"Log class {other} has no documented event-id range."),
            };
            Assert.InRange(attribute.EventId, range.Item1, range.Item2);
        }
    }

    [Fact]
    public void ObservabilityDoc_ListsEveryLogEventId()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "observability.md"));

        var missing = LogMethods.Where(m => !doc.Contains($"| {m.Attribute.EventId} |", StringComparison.Ordinal))
            .Select(m => $"{m.Attribute.EventId} {m.Method.DeclaringType!.Name}.{m.Method.Name}").ToList();

        Assert.True(missing.Count == 0, "docs/observability.md does not list: " + string.Join(", ", missing));
    }

    private static string RepositoryRoot() => Repository.Root;
}
