using System;
using System.IO;
using System.Threading;

namespace Orders.Listeners;

/// <summary>
/// Where the sample's listeners print: the console, unless a caller (the samples' tests) sets a writer for its flow.
/// </summary>
public static class OrdersOutput
{
    private static readonly AsyncLocal<TextWriter?> s_current = new();

    /// <summary>The writer of the current run.</summary>
    public static TextWriter Out => s_current.Value ?? Console.Out;

    /// <summary>Sets the writer for the calling flow and everything it awaits.</summary>
    public static void Use(TextWriter writer) => s_current.Value = writer;
}
