using System;
using System.Collections.Generic;
using System.Text.Json.Serialization;
using EventRouter.CompilerServices;
using EventRouter.DispatchLoop;
using EventRouter.Modules;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter.RabbitMQ;

/// <summary>Settings of the RabbitMQ bridge, set in <c>services.AddEventRouterRabbitMQ(o =&gt; …)</c>.</summary>
public sealed class RabbitMQOptions
{
    private readonly HashSet<string> _eventNames = new(StringComparer.Ordinal);
    private readonly List<Type> _eventTypes = new();
    private readonly List<ServedModule> _servedModules = new();
    private readonly List<CalledModule> _calledModules = new();

    /// <summary>The broker's AMQP URI, for example <c>amqp://user:password@host:5672/vhost</c>. Required.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The name of this service: listener queues are named <c>&lt;ServiceName&gt;.&lt;listener&gt;</c>, so instances of
    /// the same service compete for messages and different services each get their copy. Required.
    /// </summary>
    public string? ServiceName { get; set; }

    /// <summary>
    /// The source-generated System.Text.Json context that serializes every event crossing the broker. Required; the
    /// reflection-based serializer is never used, so the bridge works trimmed and with Native AOT.
    /// </summary>
    public JsonSerializerContext? JsonContext { get; set; }

    /// <summary>Unacknowledged messages the broker sends to each listener queue's consumer at once. Default 32.</summary>
    public ushort PrefetchCount { get; set; } = 32;

    /// <summary>Messages of one listener queue handled concurrently in this process. Default 1 (in queue order).</summary>
    public ushort ConsumerConcurrency { get; set; } = 1;

    /// <summary>Attempts in process before a failed message goes to the delay queues. Default 3.</summary>
    public int ImmediateAttempts { get; set; } = 3;

    /// <summary>The pause between in-process attempts. Default 100 ms.</summary>
    public TimeSpan ImmediateRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The delays of the broker-side retries, one delay queue each (TTL + dead-letter back to the listener queue, no
    /// plugin). After the last one a message goes to the listener's dead-letter queue. Default 5 s, 30 s.
    /// </summary>
    public IList<TimeSpan> DelayedRetries { get; } = new List<TimeSpan> { TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30) };

    /// <summary>
    /// How long a publish keeps trying (broker down, connection recovering, message not confirmed) before it fails
    /// with a <see cref="BrokerPublishException"/>. Default 30 s.
    /// </summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The pause between connection recovery attempts after the broker went away. Default 2 s.</summary>
    public TimeSpan NetworkRecoveryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Remembers which listeners completed which message ids, so redeliveries are not handled twice. Default: the
    /// <see cref="IIdempotencyStore"/> registered in DI, else an <see cref="InMemoryIdempotencyStore"/> of 100,000 pairs.
    /// Use a durable store to de-duplicate across process restarts.
    /// </summary>
    public IIdempotencyStore? IdempotencyStore { get; set; }

    /// <summary>When false, this process only publishes: no listener queue is declared or consumed. Default true.</summary>
    public bool Consume { get; set; } = true;

    /// <summary>The event names that cross the broker.</summary>
    public IReadOnlyCollection<string> EventNames => _eventNames;

    internal IReadOnlyList<Type> EventTypes => _eventTypes;

    internal IReadOnlyList<ServedModule> ServedModules => _servedModules;

    internal IReadOnlyList<CalledModule> CalledModules => _calledModules;

    /// <summary>
    /// How long a remote module request waits for its response by default (<see cref="CallModule{TModule}"/> can set
    /// it per module). A request not taken off the module's queue within this time expires there, so a server that
    /// comes back later does not answer a caller that gave up. Default 30 s.
    /// </summary>
    public TimeSpan ModuleRequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Messages of one served module's queue this process holds at once, unacknowledged: each is already in the
    /// module's own queue (in order), where a request whose caller gave up is skipped at the start, and a command is
    /// acknowledged only after its handler completed. Bounds how much a stopping or crashing server hands back, and
    /// how long a request can wait here. Default 16.
    /// </summary>
    public ushort ModulePrefetchCount { get; set; } = 16;

    /// <summary>
    /// How many items of a remote module stream the reader accepts ahead of reading them: the credit it grants the
    /// serving side, which sends no more until the reader has taken half of them and granted more. A reader that stops
    /// reading therefore stops the remote handler within this many items (plus the serving module's own
    /// <c>StreamBufferCapacity</c> and the item in hand). Default 32.
    /// </summary>
    public int ModuleStreamBufferCapacity { get; set; } = 32;

    /// <summary>
    /// The largest body published (events, module requests and commands), in bytes; a larger one fails at once with
    /// <see cref="MessageTooLargeException"/>. A larger message that reaches a queue from elsewhere goes to the error
    /// queue. Default 16 MiB; at most 128 MiB (RabbitMQ's own limit).
    /// </summary>
    public int MaxMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>Test hook: runs after a listener completed and before the message is acknowledged.</summary>
    internal Func<string, System.Threading.CancellationToken, System.Threading.Tasks.Task>? BeforeAck { get; set; }

    /// <summary>Opts events in by their <see cref="EventAttribute"/> name (or full type name when they have none).</summary>
    /// <param name="eventNames">The names, for example <c>orders.placed</c>.</param>
    /// <returns>These options, for chaining.</returns>
    public RabbitMQOptions CrossBroker(params string[] eventNames)
    {
        ArgumentNullException.ThrowIfNull(eventNames);
        foreach (var name in eventNames)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name, nameof(eventNames));
            _eventNames.Add(name);
        }
        return this;
    }

    /// <summary>
    /// Opts an event type in by its name, and checks at startup that <see cref="JsonContext"/> can serialize it, also in
    /// a process that only publishes it.
    /// </summary>
    /// <typeparam name="TEvent">The event type.</typeparam>
    /// <returns>These options, for chaining.</returns>
    public RabbitMQOptions CrossBroker<TEvent>()
    {
        _eventTypes.Add(typeof(TEvent));
        _eventNames.Add(EventDispatcherBase.EventNameOf(typeof(TEvent)));
        return this;
    }

    /// <summary>
    /// Serves a module of this process to other services: its requests and commands are consumed from the durable
    /// queue <paramref name="queue"/> and run on the local <c>ModuleServer</c> through its typed client (one at a
    /// time, with its filters); responses and stream items go back to the caller through direct reply-to. The module must be registered
    /// with <c>services.AddModuleServer&lt;TModule&gt;()</c>, and every request, response and command type must be in
    /// <see cref="JsonContext"/>.
    /// </summary>
    /// <typeparam name="TModule">The <c>[ModuleServer]</c> class.</typeparam>
    /// <param name="queue">The module's queue; default <c>module.&lt;class name&gt;</c>. Callers must use the same name.</param>
    /// <returns>These options, for chaining.</returns>
    public RabbitMQOptions ServeModule<TModule>(string? queue = null)
        where TModule : class, IModuleServerRegistration
    {
        var name = ModuleQueue<TModule>(queue);
        _servedModules.Add(new ServedModule(name, typeof(TModule).Name, static services =>
        {
            var client = services.GetService<ModuleClient<TModule>>()
                ?? throw new InvalidOperationException(
                    $"RabbitMQOptions.ServeModule<{typeof(TModule).Name}>() needs the module registered in this process: call services.AddModuleServer<{typeof(TModule).Name}>().");
            return (client.VisitMessages, client.Server?.Options);
        }, typeof(TModule)));
        return this;
    }

    /// <summary>
    /// Calls a module served by another service (<see cref="ServeModule{TModule}"/> there): registers the module's
    /// generated typed client so that its requests and commands cross the broker. A request fails with
    /// <c>ModuleRequestTimeoutException</c> when no response arrives in time (for example while the serving service is
    /// down), and with <see cref="RemoteModuleException"/> when the remote handler failed. A command returns once the
    /// broker confirmed it; it waits in the module's queue while the serving service is down.
    /// </summary>
    /// <typeparam name="TModule">The <c>[ModuleServer]</c> class (shared with the serving service, for example through a contracts project).</typeparam>
    /// <param name="queue">The module's queue; default <c>module.&lt;class name&gt;</c>.</param>
    /// <param name="timeout">How long a request waits for its response; default <see cref="ModuleRequestTimeout"/>.</param>
    /// <returns>These options, for chaining.</returns>
    public RabbitMQOptions CallModule<TModule>(string? queue = null, TimeSpan? timeout = null)
        where TModule : class, IModuleServerRegistration
    {
        if (timeout is { } given && given <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), given, "A module request timeout must be positive.");
        }
        var name = ModuleQueue<TModule>(queue);
        _calledModules.Add(new CalledModule(
            name, typeof(TModule).Name, timeout,
            static (services, transport) => TModule.RegisterRemoteClient(services, transport),
            static services => services.GetRequiredService<ModuleClient<TModule>>().VisitMessages,
            typeof(TModule)));
        return this;
    }

    private string ModuleQueue<TModule>(string? queue)
    {
        if (queue is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(queue, nameof(queue));
        }
        var name = queue ?? "module." + typeof(TModule).Name;
        foreach (var module in _servedModules)
        {
            ThrowIfTaken(module.Queue, module.ModuleType);
        }
        foreach (var module in _calledModules)
        {
            ThrowIfTaken(module.Queue, module.ModuleType);
        }
        return name;

        void ThrowIfTaken(string taken, Type other)
        {
            if (other == typeof(TModule))
            {
                throw new InvalidOperationException($"Module {typeof(TModule).Name} is already served or called through the broker; a process either serves a module or calls it, once.");
            }
            if (taken == name)
            {
                throw new InvalidOperationException($"Queue '{name}' is already used by module {other.Name}.");
            }
        }
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new InvalidOperationException("RabbitMQOptions.ConnectionString is required, for example amqp://guest:guest@localhost:5672/.");
        }
        if (!Uri.TryCreate(ConnectionString, UriKind.Absolute, out var uri) || (uri.Scheme != "amqp" && uri.Scheme != "amqps"))
        {
            throw new InvalidOperationException($"RabbitMQOptions.ConnectionString '{Redact(ConnectionString)}' is not an amqp:// or amqps:// URI.");
        }
        if (string.IsNullOrWhiteSpace(ServiceName))
        {
            throw new InvalidOperationException("RabbitMQOptions.ServiceName is required: it names this service's listener queues.");
        }
        if (JsonContext is null)
        {
            throw new InvalidOperationException(
                "RabbitMQOptions.JsonContext is required: set it to a source-generated JsonSerializerContext with a [JsonSerializable] for every event that crosses the broker.");
        }
        if (PrefetchCount == 0 || ConsumerConcurrency == 0)
        {
            throw new InvalidOperationException("RabbitMQOptions.PrefetchCount and ConsumerConcurrency must be at least 1.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(ImmediateAttempts, 1, nameof(ImmediateAttempts));
        foreach (var delay in DelayedRetries)
        {
            if (delay <= TimeSpan.Zero)
            {
                throw new InvalidOperationException("RabbitMQOptions.DelayedRetries must hold positive delays.");
            }
        }
        if (PublishTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("RabbitMQOptions.PublishTimeout must be positive.");
        }
        if (ModuleRequestTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("RabbitMQOptions.ModuleRequestTimeout must be positive.");
        }
        if (ModuleStreamBufferCapacity < 1)
        {
            throw new InvalidOperationException("RabbitMQOptions.ModuleStreamBufferCapacity must be at least 1.");
        }
    }

    /// <summary>The URI without its password, for error messages and logs.</summary>
    internal static string Redact(string connectionString)
    {
        if (Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0)
        {
            var user = uri.UserInfo.Split(':')[0];
            return new UriBuilder(uri) { UserName = user, Password = string.Empty }.Uri.ToString();
        }
        return connectionString;
    }
}

/// <summary>
/// A module this process serves through the broker: its queue, its name, and how to visit its local client's messages
/// (with its server's options, which bound a served stream's wait for its reader).
/// </summary>
internal sealed record ServedModule(
    string Queue,
    string ModuleName,
    Func<IServiceProvider, (Action<IModuleMessageVisitor> Visit, ModuleServerOptions? Options)> Resolve,
    Type ModuleType);

/// <summary>
/// A module this process calls through the broker: its queue, its name, its request timeout (null: the default), how
/// to register its remote client, and how to visit that client's messages (to check the serializer context).
/// </summary>
internal sealed record CalledModule(
    string Queue,
    string ModuleName,
    TimeSpan? Timeout,
    Action<IServiceCollection, Func<IServiceProvider, IModuleTransport>> RegisterClient,
    Func<IServiceProvider, Action<IModuleMessageVisitor>> ResolveMessages,
    Type ModuleType);
