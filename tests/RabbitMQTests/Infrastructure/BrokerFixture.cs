using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using RabbitMQ.Client;

namespace EventRouter.RabbitMQ.Tests;

/// <summary>
/// A real RabbitMQ node for the tests, of their own: these tests stop, restart and alarm their broker, so they never
/// share a node with the other test projects (which run at the same time against the node of
/// <c>scripts/services/rabbitmq.sh</c>, and would see those restarts as faults of their own). Started through the same
/// script (installing Debian's rabbitmq-server when missing) on its own port, node name and data dir, and stopped
/// afterwards; <c>ER_RABBITMQ_URI</c> names an existing broker to use instead (the default node's script then
/// restarts it).
/// </summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private readonly string _script = Path.Combine(FindRepositoryRoot(), "scripts", "services", "rabbitmq.sh");
    private (string Key, string Value)[] _nodeEnvironment = [];
    private bool _owned;

    public string Uri { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("ER_RABBITMQ_URI") is { Length: > 0 } uri)
        {
            Uri = uri;
            return;
        }
        var dir = Path.Combine(Path.GetTempPath(), $"eventrouter-rabbitmq-tests-{Environment.ProcessId}");
        _nodeEnvironment =
        [
            ("ER_RABBITMQ_DIR", dir),
            ("ER_RABBITMQ_PORT", Environment.GetEnvironmentVariable("ER_RABBITMQ_TESTS_PORT") is { Length: > 0 } port ? port : "5698"),
            ("ER_RABBITMQ_DIST_PORT", Environment.GetEnvironmentVariable("ER_RABBITMQ_TESTS_DIST_PORT") is { Length: > 0 } distPort ? distPort : "25698"),
            ("ER_RABBITMQ_NODE", $"eventrouter-tests-{Environment.ProcessId}@localhost"),
        ];
        _owned = true;
        await RunScriptAsync("start");
        Uri = (await File.ReadAllTextAsync(Path.Combine(dir, "uri"))).Trim();
    }

    public async Task DisposeAsync()
    {
        if (_owned)
        {
            await RunScriptAsync("stop");
            var dir = _nodeEnvironment[0].Value;
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A file still held by the exiting node: the temp dir is cleaned by the OS eventually.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>Stops the broker application (every connection drops), waits, and starts it again.</summary>
    public async Task RestartBrokerAsync(TimeSpan down)
    {
        await StopBrokerAsync();
        await Task.Delay(down);
        await StartBrokerAsync();
    }

    public Task StopBrokerAsync() => RunScriptAsync("ctl stop_app");

    public Task StartBrokerAsync() => RunScriptAsync("ctl start_app");

    /// <summary>
    /// Raises (or clears) the broker's memory alarm: while it is raised the broker stops reading from connections that
    /// publish, so their publishes are never confirmed, and nothing else changes. 0.4 is the default of the node.
    /// </summary>
    public Task SetMemoryAlarmAsync(bool raised) => RunScriptAsync($"ctl set_vm_memory_high_watermark {(raised ? "0" : "0.4")}");

    // Reads what the broker accepts (up to its 128 MiB), as the bridge does.
    public async Task<IConnection> ConnectAsync() =>
        await new ConnectionFactory { Uri = new System.Uri(Uri), MaxInboundMessageBodySize = RabbitMQBridge.BrokerMaxMessageSize }.CreateConnectionAsync();

    /// <summary>Takes every message off a queue (on <paramref name="channel"/>, or a connection of its own).</summary>
    public async Task<List<BasicGetResult>> DrainAsync(string queue, IChannel? channel = null)
    {
        IConnection? connection = null;
        if (channel is null)
        {
            connection = await ConnectAsync();
            channel = await connection.CreateChannelAsync();
        }
        try
        {
            var messages = new List<BasicGetResult>();
            while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
            {
                messages.Add(message);
            }
            return messages;
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>Publishes hand-made JSON straight to a queue, with one header naming what it is (event name or message type).</summary>
    public static async Task PublishRawAsync(IChannel channel, string queue, string messageId, string header, string name, string json)
    {
        var properties = new BasicProperties
        {
            MessageId = messageId,
            ContentType = "application/json",
            Headers = new Dictionary<string, object?> { [header] = name },
        };
        await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, Encoding.UTF8.GetBytes(json));
    }

    /// <summary>A header's text (AMQP long strings arrive as bytes).</summary>
    public static string Text(IDictionary<string, object?> headers, string key) =>
        headers.TryGetValue(key, out var value) ? value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : value?.ToString() ?? "" : "";

    private async Task RunScriptAsync(string arguments)
    {
        var start = new ProcessStartInfo("bash", $"\"{_script}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var (key, value) in _nodeEnvironment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmq.sh {arguments} failed ({process.ExitCode}): {await output}{await error}");
        }
    }

    internal static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EventRouter.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("EventRouter.sln not found above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "RabbitMQ broker";
}
