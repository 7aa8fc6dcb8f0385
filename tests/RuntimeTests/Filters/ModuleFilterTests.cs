using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Generated;
using EventRouter.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventRouter.Tests.Filters;

public sealed class ModuleFilterTests : IAsyncLifetime
{
    // A safety net so a bug shows up as a failed test instead of a hung run; never a timing assertion.
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private const string Before = "outer:before:{0}@filtered/FilteredModule";

    private readonly List<ModuleServer> _servers = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }

    private (FilteredModule Module, ModuleServer<FilteredModule> Server, FilteredModuleClient Client) Start(bool inline, Action<ModuleServerOptions>? configure = null)
    {
        var module = new FilteredModule();
        var options = new ModuleServerOptions { Name = "filtered", RunInlineWhenIdle = inline };
        configure?.Invoke(options);
        var server = new ModuleServer<FilteredModule>(module, options);
        _servers.Add(server);
        server.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return (module, server, new FilteredModuleClient(server));
    }

    private static async Task<T> Guard<T>(ValueTask<T> task) => await task.AsTask().WaitAsync(HangGuard);

    private static string BeforeOf(string messageType) => string.Format(System.Globalization.CultureInfo.InvariantCulture, Before, messageType);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RequestFilters_RunInOrderAroundTheHandler_AndKnowTheModuleAndMessage(bool inline)
    {
        var (_, _, client) = Start(inline);
        var request = new AuditedQuote("plain");

        var reply = await Guard(client.RequestAsync(request));

        Assert.Equal("handled:plain", reply);
        var trace = request.Trace.Entries;
        Assert.Equal(6, trace.Length);
        Assert.Equal(BeforeOf(nameof(AuditedQuote)), trace[0]);
        Assert.Equal("short:pass", trace[1]);
        Assert.StartsWith("audit:before#", trace[2], StringComparison.Ordinal);
        Assert.Equal(new[] { "handler:AuditedQuote", "audit:after", "outer:after:handled:plain" }, trace[3..]);
    }

    [Fact]
    public async Task RequestFilters_AppliesTo_WrapsOnlyAssignableRequestTypes()
    {
        var (_, _, client) = Start(inline: false);
        var quote = new Quote("plain");
        var unfiltered = new Unfiltered(7);

        await Guard(client.RequestAsync(quote));
        var n = await Guard(client.RequestAsync(unfiltered));

        Assert.Equal(new[] { BeforeOf(nameof(Quote)), "short:pass", "handler:Quote", "outer:after:handled:plain" }, quote.Trace.Entries);
        Assert.Equal(7, n);
        Assert.DoesNotContain(OuterModuleFilter.Seen, seen => ReferenceEquals(seen, unfiltered));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RequestFilter_ShortCircuit_ReturnsTheFiltersResponse_AndTheHandlerIsNotCalled(bool inline)
    {
        var (module, _, client) = Start(inline);
        var request = new Quote("short");

        var reply = await Guard(client.RequestAsync(request));

        Assert.Equal("from filter", reply);
        Assert.Equal(0, module.HandlerCalls);
        Assert.Equal(new[] { BeforeOf(nameof(Quote)), "short:answered", "outer:after:from filter" }, request.Trace.Entries);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RequestFilter_HandlerThrows_FilterObservesIt_CallerGetsIt_ModuleKeepsRunning(bool inline)
    {
        var (_, _, client) = Start(inline);
        var failing = new Quote("throw");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Guard(client.RequestAsync(failing)));

        Assert.Equal("handler failed", error.Message);
        Assert.Equal(new[] { BeforeOf(nameof(Quote)), "short:pass", "handler:Quote", "outer:observed:handler failed" }, failing.Trace.Entries);
        Assert.Equal("handled:plain", await Guard(client.RequestAsync(new Quote("plain"))));
    }

    [Fact]
    public async Task RequestFilter_AsynchronousHandler_FilterRunsItsAfterPartWhenTheHandlerCompletes()
    {
        var (_, _, client) = Start(inline: true);
        var request = new Quote("async");

        Assert.Equal("handled:async", await Guard(client.RequestAsync(request)));

        Assert.Equal(new[] { BeforeOf(nameof(Quote)), "short:pass", "handler:Quote", "outer:after:handled:async" }, request.Trace.Entries);
    }

    [Fact]
    public async Task CommandFilters_WrapTheHandler_AndAFilterWithOnlyARequestMethodPassesCommandsOn()
    {
        var (module, server, client) = Start(inline: false);
        var command = new Jot("plain");

        await client.SendAsync(command);
        await server.ShutdownAsync(ModuleShutdownMode.Graceful).WaitAsync(HangGuard);

        // ShortCircuitModuleFilter applies to Jot too, but only overrides the request method: the default calls next.
        Assert.Equal(new[] { BeforeOf(nameof(Jot)), "handler:Jot", "outer:after" }, command.Trace.Entries);
        Assert.Equal(1, module.HandlerCalls);
    }

    [Fact]
    public async Task CommandFilter_HandlerThrows_FilterObservesIt_AndTheServerReportsTheFailure()
    {
        var failures = new List<ModuleCommandFailure>();
        var (_, server, client) = Start(inline: false, o => o.OnCommandFailed = f => failures.Add(f));
        var command = new Jot("throw");

        await client.SendAsync(command);
        await server.ShutdownAsync(ModuleShutdownMode.Graceful).WaitAsync(HangGuard);

        Assert.Equal(new[] { BeforeOf(nameof(Jot)), "handler:Jot", "outer:observed:handler failed" }, command.Trace.Entries);
        Assert.Equal(1, server.FailedCommandCount);
        var failure = Assert.Single(failures);
        Assert.Equal(typeof(Jot), failure.CommandType);
        Assert.Equal("handler failed", failure.Exception.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Filters_RunOnTheModule_ARequestBackToTheSameModuleFromAFilterIsRefused(bool inline)
    {
        var (_, _, client) = Start(inline);
        // Were the chain run on the caller's side, this nested request would simply be queued and answered.
        var request = new Quote("plain") { Reenter = async () => await client.RequestAsync(new Quote("nested")) };

        var reply = await Guard(client.RequestAsync(request));

        Assert.Equal("handled:plain", reply);
        Assert.Contains("reenter:refused:filtered", request.Trace.Entries);
        Assert.DoesNotContain("reenter:allowed", request.Trace.Entries);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Filters_RunOneMessageAtATime_AQueuedRequestsFiltersWaitForTheRunningHandler(bool inline)
    {
        var (_, _, client) = Start(inline);
        var first = new Quote("block");
        var firstReply = client.RequestAsync(first).AsTask();
        await first.Entered.Task.WaitAsync(HangGuard);

        var second = new Quote("plain");
        var secondReply = client.RequestAsync(second).AsTask();

        // The module is busy with the first request: the second one's filters have not started.
        Assert.Empty(second.Trace.Entries);
        first.Release.SetResult();
        Assert.Equal("handled:block", await firstReply.WaitAsync(HangGuard));
        Assert.Equal("handled:plain", await secondReply.WaitAsync(HangGuard));
        Assert.Equal(BeforeOf(nameof(Quote)), second.Trace.Entries[0]);
        Assert.DoesNotContain("handler:concurrent", first.Trace.Entries.Concat(second.Trace.Entries));
    }

    [Fact]
    public async Task FilterImplementingBothInterfaces_WrapsListenersAndModuleHandlers()
    {
        var (_, _, client) = Start(inline: false);
        var published = new AuditedEvent(new FilterTrace());
        var request = new AuditedQuote("plain");

        await new EventDispatcher().PublishAsync(published);
        await Guard(client.RequestAsync(request));

        Assert.Equal(2, published.Trace.Entries.Length);
        Assert.StartsWith("audit:AuditedEventListener#", published.Trace.Entries[0], StringComparison.Ordinal);
        Assert.Equal("listener", published.Trace.Entries[1]);
        Assert.Contains(request.Trace.Entries, e => e.StartsWith("audit:before#", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithDependencyInjection_FiltersComeFromTheContainer_OneSingletonServesListenersAndModules()
    {
        var services = new ServiceCollection();
        services.AddSingleton(new FilterDependency { Prefix = "di" });
        services.AddEventRouter();
        services.AddModuleServer<FilteredModule>();
        services.AddModuleServer<DependentModule>();
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        // DependentModuleFilter has no parameterless constructor: AddModuleServer registered it, the container built it.
        var dependent = await Guard(provider.GetRequiredService<DependentModuleClient>().RequestAsync(new DependentRequest(1)));
        var published = new AuditedEvent(new FilterTrace());
        await provider.GetRequiredService<IEventPublisher>().PublishAsync(published);
        var request = new AuditedQuote("plain");
        await Guard(provider.GetRequiredService<FilteredModuleClient>().RequestAsync(request));

        Assert.Equal("di:n1", dependent);
        var instance = provider.GetRequiredService<AuditFilter>().Instance;
        Assert.Equal($"audit:AuditedEventListener#{instance}", published.Trace.Entries[0]);
        Assert.Contains($"audit:before#{instance}", request.Trace.Entries);
        foreach (var service in Enumerable.Reverse(hosted))
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task FilterWithDependencies_ServerWithoutServices_FailsTheRequestWithAClearError()
    {
        await using var server = new ModuleServer<DependentModule>(new DependentModule());
        await server.StartAsync(CancellationToken.None);
        var client = new DependentModuleClient(server);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Guard(client.RequestAsync(new DependentRequest(1))));

        Assert.Contains("Cannot create module filter", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(DependentModuleFilter), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoteClientOfAFilteredModule_RunsNoFiltersItself_TheServingSidesClientDoes()
    {
        var (_, _, local) = Start(inline: true);
        var transport = new LoopbackTransport(local);
        var remote = new FilteredModuleClient(transport);
        var request = new Quote("plain");

        var reply = await Guard(remote.RequestAsync(request));

        // The transport hands the request to the serving side's local client, which runs the chain once, around the module.
        Assert.Equal("handled:plain", reply);
        Assert.Equal(1, transport.Requests);
        Assert.Equal(BeforeOf(nameof(Quote)), request.Trace.Entries[0]);
        Assert.Single(request.Trace.Entries, e => e.StartsWith("outer:before:", StringComparison.Ordinal));
    }

    /// <summary>Stands in for a broker: sends through the serving side's local client, as the RabbitMQ bridge does.</summary>
    private sealed class LoopbackTransport(FilteredModuleClient serving) : IModuleTransport, IModuleMessageVisitor
    {
        private Func<Quote, CancellationToken, ValueTask<string>>? _quote;

        public int Requests { get; private set; }

        public async ValueTask<TResponse> RequestAsync<TRequest, TResponse>(TRequest request, CancellationToken cancellationToken)
        {
            Requests++;
            if (_quote is null)
            {
                serving.VisitMessages(this);
            }
            return request is Quote quote && await _quote!(quote, cancellationToken) is TResponse response
                ? response
                : throw new NotSupportedException(typeof(TRequest).Name);
        }

        public ValueTask SendAsync<TCommand>(TCommand command, CancellationToken cancellationToken) => throw new NotSupportedException();

        public void Request<TRequest, TResponse>(Func<TRequest, CancellationToken, ValueTask<TResponse>> send)
        {
            if (send is Func<Quote, CancellationToken, ValueTask<string>> quote)
            {
                _quote = quote;
            }
        }

        public void Command<TCommand>(Func<TCommand, CancellationToken, ValueTask> send)
        {
        }
    }
}

// Measures allocations: a listener attached by a parallel test would put the instrumented path under it.
[Collection(TelemetrySensitive.Name)]
public sealed class ModuleFilterAllocationTests
{
    [Fact]
    public async Task RequestAsync_SynchronousFilter_IdleModule_AllocatesNothing()
    {
        await using var server = new ModuleServer<CountedModule>(new CountedModule(), new ModuleServerOptions { RunInlineWhenIdle = true });
        await server.StartAsync(CancellationToken.None);
        var client = new CountedModuleClient(server);
        var query = new CountedQuery(1);
        await WaitUntilInlineReady(client, query);
        for (var i = 0; i < 200; i++)
        {
            _ = CompletedResult(client.RequestAsync(query));
        }
        var calls = CountingModuleFilter.Calls;

        var total = 0;
        var allocated = Allocations.OnThisThread(
            _ =>
            {
                var pending = client.RequestAsync(query);
                Assert.True(pending.IsCompletedSuccessfully);
                total += CompletedResult(pending);
            },
            warmUps: 0);

        Assert.Equal(2000, total);
        Assert.Equal(0, allocated);
        Assert.Equal(calls + 1000, CountingModuleFilter.Calls);
    }

    private static T CompletedResult<T>(ValueTask<T> completed) => InlineRequests.CompletedResult(completed);

    private static Task WaitUntilInlineReady(CountedModuleClient client, CountedQuery query) => InlineRequests.WaitUntilInlineReadyAsync(() => client.RequestAsync(query));
}
