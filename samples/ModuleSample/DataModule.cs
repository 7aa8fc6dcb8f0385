using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using System.IO;
using EventRouter.Modules;

namespace ModuleSample;

// spark-channel's MyMessage enum becomes one type per message, and MyResponse one response type per request:
// the client below is generated from these, so a GetData request can only ever return Data.

/// <summary>Reads the values stored under a key (spark-channel: <c>MyMessage::GetData</c>).</summary>
public sealed record GetData(string Key);

/// <summary>The values under a key (spark-channel: <c>MyResponse::Data</c>).</summary>
public sealed record Data(IReadOnlyList<uint> Values);

/// <summary>Appends a value under a key (spark-channel: <c>MyMessage::UpdateData</c>); answered with success.</summary>
public sealed record UpdateData(string Key, uint Value);

/// <summary>A fire-and-forget log line (spark-channel: <c>MyMessage::LogEvent</c>, sent as a command).</summary>
public sealed record LogEvent(string Text);

/// <summary>
/// The module: its state is a plain dictionary, because the server runs one message at a time.
/// Where it logs comes from dependency injection.
/// </summary>
[ModuleServer]
public sealed partial class DataModule :
    IRequestHandler<GetData, Data>,
    IRequestHandler<UpdateData, bool>,
    ICommandHandler<LogEvent>
{
    private readonly Dictionary<string, List<uint>> _store = new();
    private readonly TextWriter _log;

    /// <summary>Creates the module.</summary>
    public DataModule(TextWriter log) => _log = log;

    /// <summary>Handles GetData.</summary>
    public ValueTask<Data> HandleAsync(GetData request, CancellationToken cancellationToken) =>
        new(new Data(_store.TryGetValue(request.Key, out var values) ? values.ToArray() : []));

    /// <summary>Handles UpdateData.</summary>
    public ValueTask<bool> HandleAsync(UpdateData request, CancellationToken cancellationToken)
    {
        if (!_store.TryGetValue(request.Key, out var values))
        {
            _store[request.Key] = values = new List<uint>();
        }
        values.Add(request.Value);
        return new(true);
    }

    /// <summary>Handles LogEvent.</summary>
    public ValueTask HandleAsync(LogEvent command, CancellationToken cancellationToken)
    {
        _log.WriteLine($"Event logged: {command.Text}");
        return default;
    }
}
