using System;
using System.IO;
using System.Threading;

namespace QuickStart;

/// <summary>
/// Where the sample's listeners print. It is the console when the sample runs as a program; the samples' tests set
/// it to a <see cref="StringWriter"/> to check the output. An <see cref="AsyncLocal{T}"/> flows into every listener
/// a publish runs, so the listeners can stay as plain as a <c>Console.WriteLine</c>.
/// </summary>
public static class SampleOutput
{
    private static readonly AsyncLocal<TextWriter?> s_current = new();

    /// <summary>The writer of the current run.</summary>
    public static TextWriter Out => s_current.Value ?? Console.Out;

    /// <summary>Sets the writer for the calling flow and everything it awaits.</summary>
    public static void Use(TextWriter writer) => s_current.Value = writer;
}
