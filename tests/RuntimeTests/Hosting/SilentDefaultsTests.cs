using System;
using System.IO;
using System.Threading.Tasks;
using EventRouter.Generated;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventRouter.Tests.Hosting;

public sealed record NobodyListensToThis(int N);

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StandardErrorCollection
{
    public const string Name = "Standard error";
}

/// <summary>What the defaults say when nothing is configured.</summary>
[Collection(StandardErrorCollection.Name)]
public sealed class SilentDefaultsTests
{
    [Fact]
    public async Task NoListenerPolicyLog_WithoutLogger_WritesTheWarningOnceToStandardError()
    {
        var captured = await CaptureStandardError(async () =>
        {
            var dispatcher = new EventDispatcher();
            await dispatcher.PublishAsync(new NobodyListensToThis(1));
            await dispatcher.PublishAsync(new NobodyListensToThis(2));
            await dispatcher.PublishAsync((object)new NobodyListensToThis(3));
        });

        var line = $"warn: EventRouter[1001] No listener handles event '{typeof(NobodyListensToThis).FullName}' ({typeof(NobodyListensToThis).FullName}).";
        Assert.Equal(1, Occurrences(captured, line));
        Assert.Contains("no logger is configured", captured, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoListenerPolicyLog_WithLoggerFactory_WritesNothingToStandardError()
    {
        var captured = await CaptureStandardError(async () =>
        {
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddEventRouter();
            await using var provider = services.BuildServiceProvider();
            await provider.GetRequiredService<IEventPublisher>().PublishAsync(new NobodyListensToThis(1));
        });

        Assert.DoesNotContain("EventRouter[1001]", captured, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnconfiguredLogger_ManyDistinctMessages_StopsAfterTheCapWithOneNotice()
    {
        var captured = await CaptureStandardError(() =>
        {
            var logger = new UnconfiguredLogger();
            for (var i = 0; i < UnconfiguredLogger.MaxMessages * 3; i++)
            {
                logger.LogWarning("message {Number}", i);
            }
            logger.LogInformation("not a warning");
            return Task.CompletedTask;
        });

        Assert.Equal(UnconfiguredLogger.MaxMessages, Occurrences(captured, "warn: EventRouter[0] message "));
        Assert.Equal(1, Occurrences(captured, "the rest are not shown"));
        Assert.DoesNotContain("not a warning", captured, StringComparison.Ordinal);
    }

    private static async Task<string> CaptureStandardError(Func<Task> action)
    {
        var original = Console.Error;
        using var writer = new StringWriter();
        Console.SetError(writer);
        try
        {
            await action();
        }
        finally
        {
            Console.SetError(original);
        }
        return writer.ToString();
    }

    private static int Occurrences(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
