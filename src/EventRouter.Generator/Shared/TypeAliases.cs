using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace EventRouter.Generator.Shared;

/// <summary>
/// Short names for the project's types in one generated file: each <c>global::</c> qualified name is written through
/// a <c>using</c> alias of its namespace (or containing type), <c>global::App.Orders.OrderPlaced</c> as
/// <c>App_Orders.OrderPlaced</c>. A large dispatch table names each type many times; the aliases keep that text
/// (what the compiler parses and binds) close to what a person would write.
/// </summary>
/// <remarks>
/// The aliases are declared inside the generated namespace, so only that namespace's own members come before them in
/// name lookup; <see cref="Reserved"/> keeps them apart from the names the generated code uses unqualified.
/// </remarks>
internal sealed class TypeAliases
{
    // A global:: qualified dotted name, as far as it goes: type arguments and nested parts after them are matched again.
    private static readonly Regex s_qualified = new(@"global::(@?\w+(?:\.@?\w+)*)", RegexOptions.CultureInvariant);

    private readonly HashSet<string> _reserved;
    private readonly Dictionary<string, string> _byPrefix = new(StringComparer.Ordinal);
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _short = new(StringComparer.Ordinal); // a table names each type many times

    /// <param name="reserved">Names the file uses unqualified (its fixed aliases, its generated types): no alias takes them.</param>
    public TypeAliases(IEnumerable<string> reserved)
    {
        _reserved = new HashSet<string>(reserved, StringComparer.Ordinal);
    }

    /// <summary>The fixed aliases every file of the event generator may use, as <c>using</c> lines.</summary>
    public static readonly (string Alias, string Target)[] Fixed =
    {
        ("CancellationToken", "global::System.Threading.CancellationToken"),
        ("Exception", "global::System.Exception"),
        ("IServiceProvider", "global::System.IServiceProvider"),
        ("ListenerInfo", "global::EventRouter.ListenerInfo"),
        ("ListenerLifetime", "global::EventRouter.ListenerLifetime"),
        ("Type", "global::System.Type"),
        ("Unsafe", "global::System.Runtime.CompilerServices.Unsafe"),
        ("ValueTask", "global::System.Threading.Tasks.ValueTask"),
    };

    /// <summary><paramref name="fullName"/> with every <c>global::</c> qualified part written through an alias.</summary>
    public string Short(string fullName)
    {
        if (!_short.TryGetValue(fullName, out var written))
        {
            written = s_qualified.Replace(fullName, match =>
            {
                var dotted = match.Groups[1].Value;
                var last = dotted.LastIndexOf('.');
                return last < 0 ? match.Value : AliasOf(dotted.Substring(0, last)) + dotted.Substring(last);
            });
            _short.Add(fullName, written);
        }
        return written;
    }

    /// <summary>The <c>using</c> lines of the aliases handed out so far, ordered by alias.</summary>
    public IEnumerable<string> Usings() =>
        _byPrefix.OrderBy(p => p.Value, StringComparer.Ordinal).Select(p => $"using {p.Value} = global::{p.Key};");

    private string AliasOf(string prefix)
    {
        if (_byPrefix.TryGetValue(prefix, out var alias))
        {
            return alias;
        }
        var stem = new StringBuilder();
        foreach (var part in prefix.Split('.'))
        {
            stem.Append(stem.Length == 0 ? "" : "_").Append(part.TrimStart('@'));
        }
        alias = stem.ToString();
        for (var n = 2; _taken.Contains(alias) || _reserved.Contains(alias); n++)
        {
            alias = stem.ToString() + n;
        }
        _taken.Add(alias);
        alias = TypeNames.Escape(alias);
        _byPrefix.Add(prefix, alias);
        return alias;
    }
}
