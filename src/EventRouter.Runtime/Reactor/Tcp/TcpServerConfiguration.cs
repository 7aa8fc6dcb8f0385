using System;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace EventRouter.Reactor;

/// <summary>
/// The settings of <see cref="TcpServerOptions"/> that configuration can hold. Bound on its own (the options carry an
/// <see cref="IPEndPoint"/>, a codec and services, which configuration cannot) and applied over the options: a key
/// that is absent leaves the option as it is.
/// </summary>
internal sealed class TcpServerConfiguration
{
    public string? Address { get; set; }
    public int? Port { get; set; }
    public int? MaxConnections { get; set; }
    public int? Backlog { get; set; }
    public TimeSpan? ShutdownTimeout { get; set; }
    public int? MaxSendBufferSize { get; set; }
    public int? ReceivePauseThreshold { get; set; }
    public TimeSpan? IdleTimeout { get; set; }
    public TimeSpan? CloseTimeout { get; set; }

    internal static void Apply(IConfiguration section, TcpServerOptions options)
    {
        var read = section.Get<TcpServerConfiguration>();
        if (read is null)
        {
            return;
        }
        if (read.Address is not null || read.Port is not null)
        {
            options.EndPoint = new IPEndPoint(ParseAddress(read.Address) ?? options.EndPoint.Address, CheckPort(read.Port) ?? options.EndPoint.Port);
        }
        options.MaxConnections = read.MaxConnections ?? options.MaxConnections;
        options.Backlog = read.Backlog ?? options.Backlog;
        options.ShutdownTimeout = read.ShutdownTimeout ?? options.ShutdownTimeout;
        options.MaxSendBufferSize = read.MaxSendBufferSize ?? options.MaxSendBufferSize;
        options.ReceivePauseThreshold = read.ReceivePauseThreshold ?? options.ReceivePauseThreshold;
        options.IdleTimeout = read.IdleTimeout ?? options.IdleTimeout;
        options.CloseTimeout = read.CloseTimeout ?? options.CloseTimeout;
    }

    // Thrown while the options are built, which ValidateOnStart does at the host's start: the same failure, and the
    // same exception, as a value the validator rejects.
    private static IPAddress? ParseAddress(string? address) =>
        address is null ? null
        : IPAddress.TryParse(address, out var parsed) ? parsed
        : throw Invalid(string.Format(CultureInfo.InvariantCulture, "TcpServerOptions Address: '{0}' is not an IP address (for example 127.0.0.1, 0.0.0.0 or ::).", address));

    private static int? CheckPort(int? port) =>
        port is null or (>= IPEndPoint.MinPort and <= IPEndPoint.MaxPort) ? port
        : throw Invalid(string.Format(CultureInfo.InvariantCulture, "TcpServerOptions Port: {0} is not a port (0 to 65535; 0 picks a free one).", port));

    private static OptionsValidationException Invalid(string message) =>
        new(Options.DefaultName, typeof(TcpServerOptions), new[] { message });
}
