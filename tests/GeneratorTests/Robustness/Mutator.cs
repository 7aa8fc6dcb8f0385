using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EventRouter.Generator.Tests.Robustness;

/// <summary>
/// Random edits of C# source, each small and each a thing users write by mistake or on purpose: deleted and
/// duplicated tokens, truncated files, renamed attributes, keyword identifiers, changed type shapes (file, generic,
/// abstract, static, nested, partial, struct, record) and listeners, modules and events of unusual types.
/// </summary>
internal sealed class Mutator
{
    private static readonly string[] AttributeNames = { "EventListener", "EventFilter", "ModuleServer", "Event", "EventId", "PartitionKey", "Obsolete" };

    private static readonly string[] Keywords = { "class", "event", "namespace", "static", "void", "object", "string", "int", "params", "operator", "base", "this", "record", "file" };

    /// <summary>Event, request and command types that have broken generated code before, or could.</summary>
    private static readonly string[] UnusualTypes =
    {
        "int", "int?", "string", "object", "(int, string)", "(int A, string? B)", "System.Collections.Generic.List<(int, string?)>",
        "int[]", "string?[]", "int[][,]", "System.Collections.Generic.List<int>.Enumerator", "System.Collections.Generic.Dictionary<string, int?>",
        "System.Collections.Generic.IEnumerable<string?>", "System.Enum", "System.ValueType", "System.Action", "System.DayOfWeek",
        "System.Exception", "System.IDisposable", "System.Guid?", "System.Collections.Generic.KeyValuePair<string, object?>",
        "System.Tuple<int, string>", "(int, (string, int?))", "System.Nullable<System.DateTime>", "dynamic", "System.Span<int>",
    };

    private readonly Random _random;

    public Mutator(Random random) => _random = random;

    /// <summary>One to three edits of <paramref name="source"/>, each described in <paramref name="log"/>.</summary>
    /// <remarks>
    /// A third of the variants get one syntax edit (deleted, duplicated or inserted token, truncation), which mostly
    /// leaves code that does not compile: the generators must only not throw. The rest get one or two edits that
    /// mostly compile (renames, shapes, nesting, injected types), where the generated code must compile too.
    /// </remarks>
    public string Mutate(string source, List<string> log)
    {
        if (_random.Next(3) == 0)
        {
            return MutateOnce(source, log, Pick(new[] { 0, 1, 2, 11 }));
        }
        var count = 1 + _random.Next(2);
        for (var i = 0; i < count; i++)
        {
            source = MutateOnce(source, log, Pick(new[] { 3, 4, 4, 5, 6, 7, 8, 9, 10 }));
        }
        return source;
    }

    private string MutateOnce(string source, List<string> log, int operation)
    {
        var root = CSharpSyntaxTree.ParseText(source, RobustnessHarness.ParseOptions).GetRoot();
        var tokens = root.DescendantTokens().Where(t => t.Span.Length > 0).ToList();
        if (tokens.Count == 0)
        {
            log.Add("append listener");
            return source + Injection();
        }
        switch (operation)
        {
            case 0:
            {
                var token = Pick(tokens);
                log.Add($"delete token '{token.Text}' at {token.SpanStart}");
                return source.Remove(token.SpanStart, token.Span.Length);
            }
            case 1:
            {
                var token = Pick(tokens);
                log.Add($"duplicate token '{token.Text}' at {token.SpanStart}");
                return source.Insert(token.Span.End, " " + token.Text);
            }
            case 2:
            {
                var at = _random.Next(source.Length);
                log.Add($"truncate at {at}");
                return source.Substring(0, at);
            }
            case 3:
            {
                var names = tokens.Where(t => t.IsKind(SyntaxKind.IdentifierToken) && t.Parent?.FirstAncestorOrSelf<AttributeSyntax>() is not null && AttributeNames.Contains(t.Text)).ToList();
                if (names.Count == 0)
                {
                    goto default;
                }
                var token = Pick(names);
                var name = Pick(AttributeNames.Where(a => a != token.Text).ToList());
                log.Add($"rename attribute {token.Text} to {name} at {token.SpanStart}");
                return Replace(source, token.Span, name);
            }
            case 4:
            {
                // A consistent rename of a name declared here to a verbatim keyword: still compiles.
                var declared = DeclaredNames(root).ToList();
                if (declared.Count == 0)
                {
                    goto default;
                }
                var name = Pick(declared);
                var keyword = "@" + Pick(Keywords);
                log.Add($"rename {name} to {keyword}");
                var spans = tokens.Where(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == name).Select(t => t.Span).OrderByDescending(s => s.Start);
                foreach (var span in spans)
                {
                    source = Replace(source, span, keyword);
                }
                return source;
            }
            case 5:
            case 6:
            {
                var types = root.DescendantNodes().OfType<TypeDeclarationSyntax>().ToList();
                if (types.Count == 0)
                {
                    goto default;
                }
                return Reshape(source, Pick(types), log);
            }
            case 7:
            {
                var types = root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>().Where(t => t.Parent is not TypeDeclarationSyntax).ToList();
                if (types.Count == 0)
                {
                    goto default;
                }
                var type = Pick(types);
                var outer = Pick(new[] { "public static partial class Outer{0}", "public sealed class Outer{0}<TOuter>", "internal sealed partial class Outer{0}", "public sealed class Outer{0}<TOuter> where TOuter : struct" });
                var header = string.Format(outer, _random.Next(100));
                log.Add($"nest {type.Identifier.Text} in '{header}'");
                return source.Insert(type.FullSpan.End, "\n}\n").Insert(type.FullSpan.Start, "\n" + header + "\n{\n");
            }
            case 8:
            case 9:
            case 10:
            {
                var injection = Injection();
                log.Add("inject " + injection.Trim());
                // Inside the last namespace block when there is one, else at the end (file-scoped or global namespace).
                var block = root.DescendantNodes().OfType<NamespaceDeclarationSyntax>().LastOrDefault();
                return block is null ? source + injection : source.Insert(block.CloseBraceToken.SpanStart, injection);
            }
            default:
            {
                var token = Pick(tokens);
                var insertion = Pick(new[] { "?", "<int>", "[]", "file ", "static ", "new ", "partial ", "@", "," });
                log.Add($"insert '{insertion}' before '{token.Text}' at {token.SpanStart}");
                return source.Insert(token.SpanStart, insertion);
            }
        }
    }

    private string Reshape(string source, TypeDeclarationSyntax type, List<string> log)
    {
        var name = type.Identifier.Text;
        switch (_random.Next(9))
        {
            case 0:
                log.Add($"make {name} file-local");
                return ReplaceModifiers(source, type, m => m.Where(x => !x.IsKind(SyntaxKind.PublicKeyword) && !x.IsKind(SyntaxKind.InternalKeyword)).Select(x => x.Text).Prepend("file"));
            case 1:
                log.Add($"make {name} abstract");
                return ReplaceModifiers(source, type, m => m.Where(x => !x.IsKind(SyntaxKind.SealedKeyword)).Select(x => x.Text).Append("abstract"));
            case 2:
                log.Add($"make {name} static");
                return ReplaceModifiers(source, type, m => m.Where(x => !x.IsKind(SyntaxKind.SealedKeyword)).Select(x => x.Text).Append("static"));
            case 3:
                log.Add($"toggle partial on {name}");
                return ReplaceModifiers(source, type, m => m.Any(x => x.IsKind(SyntaxKind.PartialKeyword))
                    ? m.Where(x => !x.IsKind(SyntaxKind.PartialKeyword)).Select(x => x.Text)
                    : m.Select(x => x.Text).Append("partial"));
            case 4:
                log.Add($"make {name} generic");
                return source.Insert(type.Identifier.Span.End, type.TypeParameterList is null ? "<TMutant>" : "");
            case 5:
                log.Add($"make {name} private");
                return ReplaceModifiers(source, type, m => m.Where(x => !x.IsKind(SyntaxKind.PublicKeyword) && !x.IsKind(SyntaxKind.InternalKeyword)).Select(x => x.Text).Prepend("private"));
            case 6:
            {
                var keyword = Pick(new[] { "struct", "record", "record struct", "interface", "class", "record class" });
                log.Add($"make {name} a {keyword}");
                var end = type is RecordDeclarationSyntax { ClassOrStructKeyword.Span.Length: > 0 } record ? record.ClassOrStructKeyword.Span.End : type.Keyword.Span.End;
                return source.Remove(type.Keyword.SpanStart, end - type.Keyword.SpanStart).Insert(type.Keyword.SpanStart, keyword);
            }
            case 7:
                log.Add($"remove sealed from {name}");
                return ReplaceModifiers(source, type, m => m.Where(x => !x.IsKind(SyntaxKind.SealedKeyword)).Select(x => x.Text));
            default:
                log.Add($"make {name} protected internal");
                return ReplaceModifiers(source, type, m => m.Where(x => !x.IsKind(SyntaxKind.PublicKeyword) && !x.IsKind(SyntaxKind.InternalKeyword)).Select(x => x.Text).Prepend("protected internal"));
        }
    }

    private static string ReplaceModifiers(string source, TypeDeclarationSyntax type, Func<SyntaxTokenList, IEnumerable<string>> change)
    {
        var text = string.Join(" ", change(type.Modifiers)) + " ";
        return type.Modifiers.Count == 0
            ? source.Insert(type.Keyword.SpanStart, text)
            : Replace(source, TextSpanOf(type.Modifiers.Span.Start, type.Keyword.SpanStart), text);
    }

    /// <summary>A listener, module, filter or event of an unusual shape, fully qualified so it compiles in any file.</summary>
    private string Injection()
    {
        var n = _random.Next(1000);
        var type = Pick(UnusualTypes);
        const string Task = "System.Threading.Tasks.ValueTask";
        const string Token = "System.Threading.CancellationToken";
        var modifiers = Pick(new[] { "public sealed", "internal sealed", "file sealed", "public", "internal abstract", "public static" });
        return _random.Next(6) switch
        {
            0 => $"\n[EventRouter.EventListener] {modifiers} class Mutant{n} : EventRouter.IEventListener<{type}> {{ public {Task} HandleAsync({type} e, {Token} ct) => default; }}\n",
            1 => $"\n[EventRouter.EventListener] {modifiers} class Mutant{n} : EventRouter.IEventListener<{type}> {{ {Task} EventRouter.IEventListener<{type}>.HandleAsync({type} e, {Token} ct) => default; }}\n",
            2 => $"\n[EventRouter.Modules.ModuleServer] {modifiers} partial class Mutant{n} : EventRouter.Modules.IRequestHandler<{type}, {Pick(UnusualTypes)}> {{ public {Task}<{Pick(UnusualTypes)}> HandleAsync({type} r, {Token} ct) => default; }}\n",
            3 => $"\n[EventRouter.Modules.ModuleServer] {modifiers} partial class Mutant{n} : EventRouter.Modules.ICommandHandler<{type}> {{ public {Task} HandleAsync({type} c, {Token} ct) => default; }}\n",
            4 => $"\n{modifiers} record Mutant{n}([property: EventRouter.{Pick(new[] { "EventId", "PartitionKey" })}] {type} Key) : Mutant{n}Base;\npublic abstract record Mutant{n}Base {{ [EventRouter.EventId] public {Pick(new[] { "string", "int", "object?" })} Id {{ {Pick(new[] { "get;", "private get; set;", "protected get; init;", "get; init;" })} }} = default!; }}\n[EventRouter.EventListener] public sealed class Mutant{n}Listener : EventRouter.IEventListener<Mutant{n}Base> {{ public {Task} HandleAsync(Mutant{n}Base e, {Token} ct) => default; }}\n",
            _ => $"\n[EventRouter.EventFilter(Order = {_random.Next(3)})] {modifiers} class Mutant{n} : EventRouter.{Pick(new[] { "IEventFilter", "IModuleFilter" })} {{ }}\n",
        };
    }

    private static IEnumerable<string> DeclaredNames(SyntaxNode root) =>
        root.DescendantNodes().SelectMany(n => n switch
        {
            BaseTypeDeclarationSyntax t => new[] { t.Identifier.ValueText },
            BaseNamespaceDeclarationSyntax ns => ns.Name.DescendantTokens().Where(x => x.IsKind(SyntaxKind.IdentifierToken)).Select(x => x.ValueText),
            PropertyDeclarationSyntax p => new[] { p.Identifier.ValueText },
            ParameterSyntax p => new[] { p.Identifier.ValueText },
            _ => Array.Empty<string>(),
        }).Where(s => s.Length > 0).Distinct().OrderBy(s => s, StringComparer.Ordinal);

    private static string Replace(string source, Microsoft.CodeAnalysis.Text.TextSpan span, string text) =>
        source.Remove(span.Start, span.Length).Insert(span.Start, text);

    private static Microsoft.CodeAnalysis.Text.TextSpan TextSpanOf(int start, int end) => Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(start, end);

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
}
