using System.Collections.Generic;

namespace EventRouter.Generator.Shared;

/// <summary>
/// Breaks one long line of generated C# into shorter ones, each with its extra indentation, the way the code would be
/// written by hand, trying in order: a doc comment at spaces; <c>try { … } catch (…) { … }</c> into its two clauses;
/// <c>if (…) return …;</c> after the condition; an expression-bodied member after its <c>=&gt;</c>; an argument,
/// parameter or generic argument list one item per line; a string literal after each <c>\n</c> escape, as literals
/// joined with <c>+</c>. Each piece is broken again while still too long. The code stays the same: strings,
/// characters and names are never split.
/// </summary>
internal static class LineBreaker
{
    public static List<(int Depth, string Text)> Break(string line, int indent, int max)
    {
        var lines = new List<(int, string)>();
        Add(lines, line, 0, indent, max);
        return lines;
    }

    private static void Add(List<(int, string)> lines, string line, int depth, int indent, int max)
    {
        if (indent + depth * 4 + line.Length <= max || !TryBreak(line, out var pieces))
        {
            lines.Add((depth, line));
            return;
        }
        foreach (var (extra, text) in pieces)
        {
            Add(lines, text, depth + extra, indent, max);
        }
    }

    private static bool TryBreak(string line, out List<(int, string)> pieces)
    {
        pieces = new List<(int, string)>();
        if (line.StartsWith("///", System.StringComparison.Ordinal))
        {
            return BreakComment(line, pieces);
        }
        return BreakTryCatch(line, pieces) || BreakIfReturn(line, pieces) || BreakArrow(line, pieces) || BreakArguments(line, pieces)
            || BreakStringLiteral(line, pieces);
    }

    /// <summary><c>/// a b c</c> at the last space before the middle that is outside an XML tag.</summary>
    private static bool BreakComment(string line, List<(int, string)> pieces)
    {
        var inTag = false;
        var best = -1;
        for (var i = 4; i < line.Length; i++)
        {
            if (line[i] == '<')
            {
                inTag = true;
            }
            else if (line[i] == '>')
            {
                inTag = false;
            }
            else if (line[i] == ' ' && !inTag && (best < 0 || i <= line.Length / 2 || best < 4))
            {
                best = i;
            }
        }
        if (best <= 4)
        {
            return false;
        }
        pieces.Add((0, line.Substring(0, best)));
        pieces.Add((0, "/// " + line.Substring(best + 1)));
        return true;
    }

    private static bool BreakTryCatch(string line, List<(int, string)> pieces)
    {
        if (!line.StartsWith("try { ", System.StringComparison.Ordinal))
        {
            return false;
        }
        var split = FindTopLevel(line, " catch (", 0);
        if (split < 0)
        {
            return false;
        }
        pieces.Add((0, line.Substring(0, split)));
        pieces.Add((0, line.Substring(split + 1)));
        return true;
    }

    private static bool BreakIfReturn(string line, List<(int, string)> pieces)
    {
        if (!line.StartsWith("if (", System.StringComparison.Ordinal))
        {
            return false;
        }
        var close = Matching(line, 3);
        if (close < 0 || close + 2 >= line.Length || line[close + 1] != ' ' || line[line.Length - 1] == '{')
        {
            return false;
        }
        pieces.Add((0, line.Substring(0, close + 1)));
        pieces.Add((1, line.Substring(close + 2)));
        return true;
    }

    private static bool BreakArrow(string line, List<(int, string)> pieces)
    {
        var arrow = FindTopLevel(line, " => ", 0);
        if (arrow < 0)
        {
            return false;
        }
        pieces.Add((0, line.Substring(0, arrow) + " =>"));
        pieces.Add((1, line.Substring(arrow + 4)));
        return true;
    }

    /// <summary>
    /// One item per line of a bracket group: the last group holding a comma at the outermost level that has one
    /// (generic argument lists included), else the one-item argument or generic argument list with the most text (a
    /// lone lambda, a long generic argument).
    /// </summary>
    private static bool BreakArguments(string line, List<(int, string)> pieces)
    {
        var (open, close) = FindGroup(line, 0, line.Length);
        if (open < 0)
        {
            return false;
        }
        var brace = line[open] == '{';
        pieces.Add((0, line.Substring(0, open + 1).TrimEnd()));
        var start = open + 1;
        for (var i = start; i < close; i++)
        {
            i = SkipLiteral(line, i);
            if (i >= close)
            {
                break;
            }
            if (line[i] is '(' or '[' or '{' || IsAngleOpen(line, i))
            {
                i = Matching(line, i);
            }
            else if (line[i] == ',')
            {
                pieces.Add((1, line.Substring(start, i - start).Trim() + ","));
                start = i + 1;
            }
        }
        var last = line.Substring(start, close - start).Trim();
        if (brace)
        {
            pieces.Add((1, last));
            pieces.Add((0, line.Substring(close).TrimStart()));
        }
        else
        {
            pieces.Add((1, last + line.Substring(close)));
        }
        return true;
    }

    /// <summary>The group to break in [from, to): see <see cref="BreakArguments"/>; (-1, -1) when there is none.</summary>
    private static (int Open, int Close) FindGroup(string line, int from, int to)
    {
        var comma = (Open: -1, Close: -1);
        var single = (Open: -1, Close: -1);
        var groups = new List<(int Open, int Close)>();
        for (var i = from; i < to; i++)
        {
            i = SkipLiteral(line, i);
            if (i >= to)
            {
                break;
            }
            if (line[i] is '(' or '[' or '{' || IsAngleOpen(line, i))
            {
                var end = Matching(line, i);
                if (end < 0 || end >= to)
                {
                    break; // an unclosed group: the line ends inside it
                }
                groups.Add((i, end));
                if (HasTopLevelComma(line, i + 1, end))
                {
                    comma = (i, end);
                }
                else if (line[i] is '(' or '<' && end - i > 1 && (single.Open < 0 || end - i >= single.Close - single.Open))
                {
                    single = (i, end);
                }
                i = end;
            }
        }
        if (comma.Open >= 0)
        {
            return comma;
        }
        if (single.Open >= 0)
        {
            return single;
        }
        for (var g = groups.Count - 1; g >= 0; g--)
        {
            var inner = FindGroup(line, groups[g].Open + 1, groups[g].Close);
            if (inner.Open >= 0)
            {
                return inner;
            }
        }
        return (-1, -1);
    }

    /// <summary>A long string literal with <c>\n</c> escapes, as one literal per line joined with <c>+</c> (still a constant).</summary>
    private static bool BreakStringLiteral(string line, List<(int, string)> pieces)
    {
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] != '"' || (i > 0 && line[i - 1] == '@'))
            {
                var next = SkipLiteral(line, i);
                if (next > i)
                {
                    i = next - 1;
                }
                continue;
            }
            var end = SkipLiteral(line, i) - 1;
            var literal = line.Substring(i, end - i + 1);
            var parts = new List<string>();
            var start = 1;
            for (var k = 1; k < literal.Length - 1; k++)
            {
                if (literal[k] == '\\')
                {
                    if (literal[k + 1] == 'n' && k + 2 < literal.Length - 1)
                    {
                        parts.Add(literal.Substring(start, k + 2 - start));
                        start = k + 2;
                    }
                    k++;
                }
            }
            if (parts.Count == 0)
            {
                i = end;
                continue;
            }
            parts.Add(literal.Substring(start, literal.Length - 1 - start));
            pieces.Add((0, line.Substring(0, i) + "\"" + parts[0] + "\" +"));
            for (var p = 1; p < parts.Count - 1; p++)
            {
                pieces.Add((1, "\"" + parts[p] + "\" +"));
            }
            pieces.Add((1, "\"" + parts[parts.Count - 1] + "\"" + line.Substring(end + 1)));
            return true;
        }
        return false;
    }

    private static bool HasTopLevelComma(string line, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            i = SkipLiteral(line, i);
            if (i >= to)
            {
                return false;
            }
            if (line[i] is '(' or '[' or '{' || IsAngleOpen(line, i))
            {
                i = Matching(line, i);
                if (i < 0)
                {
                    return false;
                }
            }
            else if (line[i] == ',')
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The first <paramref name="text"/> outside brackets and literals, or -1.</summary>
    private static int FindTopLevel(string line, string text, int from)
    {
        for (var i = from; i < line.Length; i++)
        {
            i = SkipLiteral(line, i);
            if (i >= line.Length)
            {
                return -1;
            }
            if (string.CompareOrdinal(line, i, text, 0, text.Length) == 0)
            {
                return i;
            }
            if (line[i] is '(' or '[' or '{' || IsAngleOpen(line, i))
            {
                i = Matching(line, i);
                if (i < 0)
                {
                    return -1;
                }
            }
        }
        return -1;
    }

    /// <summary>The index of the bracket closing the one at <paramref name="open"/>, or -1.</summary>
    private static int Matching(string line, int open)
    {
        var stack = new Stack<char>();
        for (var i = open; i < line.Length; i++)
        {
            i = SkipLiteral(line, i);
            if (i >= line.Length)
            {
                return -1;
            }
            var c = line[i];
            if (c is '(' or '[' or '{' || IsAngleOpen(line, i))
            {
                stack.Push(c == '(' ? ')' : c == '[' ? ']' : c == '{' ? '}' : '>');
            }
            else if (c is ')' or ']' or '}' || (c == '>' && stack.Count > 0 && stack.Peek() == '>'))
            {
                if (stack.Count == 0 || stack.Pop() != c)
                {
                    return -1;
                }
                if (stack.Count == 0)
                {
                    return i;
                }
            }
        }
        return -1;
    }

    /// <summary>A '&lt;' of a generic name (right after a letter or digit), not a less-than.</summary>
    private static bool IsAngleOpen(string line, int i) =>
        line[i] == '<' && i > 0 && (char.IsLetterOrDigit(line[i - 1]) || line[i - 1] == '_');

    /// <summary>At a string or character literal, the index just past it; otherwise <paramref name="i"/>.</summary>
    private static int SkipLiteral(string line, int i)
    {
        while (i < line.Length && line[i] is '"' or '\'')
        {
            var quote = line[i];
            var verbatim = quote == '"' && i > 0 && line[i - 1] == '@';
            i++;
            while (i < line.Length && line[i] != quote)
            {
                i += !verbatim && line[i] == '\\' ? 2 : 1;
            }
            i++;
        }
        return i;
    }
}
