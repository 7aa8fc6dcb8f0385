using System.Text;

namespace EventRouter.Generator.Shared;

/// <summary>
/// Writes C# source with tracked indentation and '\n' line endings on every platform (deterministic output). A line
/// longer than <see cref="MaxLineLength"/> is broken where a person would break it (see <see cref="LineBreaker"/>),
/// so generated code reads without scrolling; only line breaks change, never the code.
/// </summary>
internal sealed class SourceWriter
{
    /// <summary>The longest line written, indentation included, unless a single name or literal is longer.</summary>
    public const int MaxLineLength = 160;

    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length == 0)
        {
            _text.Append('\n');
            return this;
        }
        foreach (var (depth, text) in LineBreaker.Break(line, _indent * 4, MaxLineLength))
        {
            _text.Append(' ', (_indent + depth) * 4).Append(text).Append('\n');
        }
        return this;
    }

    /// <summary>
    /// Writes <paramref name="text"/> as it is, with no indentation or line breaking: the rest of a multi-line literal
    /// whose first line <see cref="Line"/> wrote.
    /// </summary>
    public SourceWriter Raw(string text)
    {
        _text.Append(text);
        return this;
    }

    /// <summary>Writes the line, then "{", and indents until the matching <see cref="Close"/>.</summary>
    public SourceWriter Open(string line)
    {
        Line(line);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    public SourceWriter Indent()
    {
        _indent++;
        return this;
    }

    public SourceWriter Unindent()
    {
        _indent--;
        return this;
    }

    public override string ToString() => _text.ToString();
}
