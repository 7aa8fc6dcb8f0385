using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.CompilerServices;
using EventRouter.Modules;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter.Tests.Modules;

/// <summary>A generated client built on an <see cref="IModuleTransport"/> instead of a local server.</summary>
public sealed class ModuleTransportTests
{
    [Fact]
    public async Task RemoteClient_SendsRequestsAndCommandsThroughTheTransport_NotToAModule()
    {
        var transport = new RecordingTransport();
        var client = new TestModuleClient(transport);

        var reply = await client.RequestAsync(new Echo(7));
        await client.SendAsync(new Note("hello"));

        Assert.Null(client.Server);
        Assert.Equal(new EchoReply(7), reply);
        Assert.Equal(new object[] { new Echo(7), new Note("hello") }, transport.Sent);
    }

    [Fact]
    public async Task RemoteClient_TransportErrorReachesTheCaller()
    {
        var client = new TestModuleClient(new RecordingTransport { Failure = new ModuleRequestTimeoutException("TestModule", typeof(Echo), TimeSpan.FromSeconds(1)) });

        await Assert.ThrowsAsync<ModuleRequestTimeoutException>(() => client.RequestAsync(new Echo(1)).AsTask());
    }

    [Fact]
    public void VisitMessages_ShowsEveryRequestAndCommandTypeOfTheModule()
    {
        var visitor = new ListingVisitor();
        new TestModuleClient(new RecordingTransport()).VisitMessages(visitor);

        Assert.Equal(
            new[]
            {
                "request Add -> Int32", "request Block -> String", "request Echo -> EchoReply", "request GetLog -> String[]",
                "request HoldUntil -> Boolean", "request Throw -> Int32", "request WaitForStop -> Boolean",
                "command FailCommand", "command Note", "command Tally",
            },
            visitor.Seen);
    }

    [Fact]
    public async Task VisitMessages_SendDelegatesGoThroughTheClient_ToTheLocalModule()
    {
        await using var server = new ModuleServer<TestModule>(new TestModule());
        await server.StartAsync(CancellationToken.None);
        var visitor = new ListingVisitor();
        new TestModuleClient(server).VisitMessages(visitor);

        var reply = await visitor.SendEcho!(new Echo(3), CancellationToken.None);

        Assert.Equal(new EchoReply(3), reply);
    }

    [Fact]
    public async Task AddModuleServer_ResolvesTheClientAlsoAsModuleClientBase()
    {
        var services = new ServiceCollection();
        services.AddModuleServer<TestModule>();
        await using var provider = services.BuildServiceProvider();

        Assert.Same(provider.GetRequiredService<TestModuleClient>(), provider.GetRequiredService<ModuleClient<TestModule>>());
    }

    [Fact]
    public void RegisterRemoteClient_BuildsTheClientOnTheTransport()
    {
        var services = new ServiceCollection();
        var transport = new RecordingTransport();
        RegisterRemote<TestModule>(services, _ => transport);
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<TestModuleClient>();
        Assert.Null(client.Server);
        Assert.Same(client, provider.GetRequiredService<ModuleClient<TestModule>>());
        Assert.Null(provider.GetService<ModuleServer<TestModule>>());
    }

    [Fact]
    public void ServingAndCallingRemotelyTheSameModule_IsRejectedEitherWay()
    {
        var served = new ServiceCollection();
        served.AddModuleServer<TestModule>();
        var first = Assert.Throws<InvalidOperationException>(() => RegisterRemote<TestModule>(served, _ => new RecordingTransport()));
        Assert.Contains("served in this process", first.Message);

        var remote = new ServiceCollection();
        RegisterRemote<TestModule>(remote, _ => new RecordingTransport());
        var second = Assert.Throws<InvalidOperationException>(() => remote.AddModuleServer<TestModule>());
        Assert.Contains("remote module", second.Message);
    }

    // The member is implemented explicitly (a static abstract), as transports reach it: through the type parameter.
    private static void RegisterRemote<TModule>(IServiceCollection services, Func<IServiceProvider, IModuleTransport> transport)
        where TModule : IModuleServerRegistration =>
        TModule.RegisterRemoteClient(services, transport);

    private sealed class RecordingTransport : IModuleTransport
    {
        public List<object?> Sent { get; } = new();

        public Exception? Failure { get; init; }

        public ValueTask<TResponse> RequestAsync<TRequest, TResponse>(TRequest request, CancellationToken cancellationToken)
        {
            Sent.Add(request);
            if (Failure is not null)
            {
                return ValueTask.FromException<TResponse>(Failure);
            }
            // Echo answers in kind, the way the real module would; other requests are not used by these tests.
            return request is Echo echo && new EchoReply(echo.Id) is TResponse reply
                ? ValueTask.FromResult(reply)
                : throw new NotSupportedException(typeof(TRequest).Name);
        }

        public ValueTask SendAsync<TCommand>(TCommand command, CancellationToken cancellationToken)
        {
            Sent.Add(command);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class ListingVisitor : IModuleMessageVisitor
    {
        public List<string> Seen { get; } = new();

        public Func<Echo, CancellationToken, ValueTask<EchoReply>>? SendEcho { get; private set; }

        public void Request<TRequest, TResponse>(Func<TRequest, CancellationToken, ValueTask<TResponse>> send)
        {
            Seen.Add($"request {typeof(TRequest).Name} -> {typeof(TResponse).Name}");
            if (send is Func<Echo, CancellationToken, ValueTask<EchoReply>> echo)
            {
                SendEcho = echo;
            }
        }

        public void Command<TCommand>(Func<TCommand, CancellationToken, ValueTask> send) => Seen.Add($"command {typeof(TCommand).Name}");
    }
}
