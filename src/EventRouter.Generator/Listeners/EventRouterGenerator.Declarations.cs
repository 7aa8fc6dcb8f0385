using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using EventRouter.Generator.Listeners.Models;
using EventRouter.Generator.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EventRouter.Generator.Listeners;

public sealed partial class EventRouterGenerator
{
    /// <summary>One file's part of the declaration key: its <see cref="DeclarationShape"/> and the names the syntax-first steps read.</summary>
    internal sealed record FileShape(string Shape, CandidateScan.FileNames Names);

    /// <summary>
    /// What the models depend on beyond the files: the references (their listeners and events, the DI abstractions,
    /// a friend's generated types), the assembly name (the nested generated namespace, internals access) and the
    /// options (nullable context, strong-name key). References compare as <see cref="MetadataReference"/> objects: a
    /// host hands out a new one when a referenced assembly changes, and one kept across edits when it does not.
    /// </summary>
    internal sealed class CompilationShape : IEquatable<CompilationShape>
    {
        private readonly string? _assemblyName;
        private readonly CompilationOptions _options;
        private readonly ImmutableArray<MetadataReference> _references;

        public CompilationShape(Compilation compilation)
        {
            _assemblyName = compilation.AssemblyName;
            _options = compilation.Options;
            _references = compilation.References.ToImmutableArray();
        }

        public bool Equals(CompilationShape? other) =>
            other is not null
            && _assemblyName == other._assemblyName
            && _options.Equals(other._options)
            && _references.SequenceEqual(other._references);

        public override bool Equals(object? obj) => Equals(obj as CompilationShape);

        public override int GetHashCode() => (_assemblyName?.GetHashCode() ?? 0) ^ _references.Length;
    }

    /// <summary>A compilation with the key it was taken for (see <see cref="DeclarationsComparer"/>).</summary>
    internal readonly record struct DeclarationCompilation(EquatableArray<FileShape> Files, CompilationShape Shape, Compilation Compilation);

    /// <summary>
    /// Equal when the keys are: every file's shape, in order, and the compilation's shape. The compilation itself is
    /// left out, so when an edit changed no declaration the step keeps the compilation it held and the semantic steps
    /// after it stay cached.
    /// </summary>
    private sealed class DeclarationsComparer : IEqualityComparer<DeclarationCompilation>
    {
        public static readonly DeclarationsComparer Instance = new();

        public bool Equals(DeclarationCompilation x, DeclarationCompilation y) => x.Files.Equals(y.Files) && x.Shape.Equals(y.Shape);

        public int GetHashCode(DeclarationCompilation obj) => obj.Files.Count ^ obj.Shape.GetHashCode();
    }

    /// <summary>
    /// Finds the [EventListener], [Event] and [EventFilter] classes of a compilation without
    /// <c>ForAttributeWithMetadataName</c>, whose transforms run again for every attributed class on every change of
    /// the compilation. Syntax first, as that does: a file is read only when one of its type declarations carries an
    /// attribute named like ours (with or without the <c>Attribute</c> suffix, qualified or not) or like a using alias
    /// (global or not, in any file) of one; each such declaration is then bound, and its attributes are compared with
    /// ours by metadata name, so a look-alike of another namespace is no match. A class declared in parts counts once.
    /// </summary>
    internal static class Discovery
    {
        /// <summary>The source's listeners, named events and event filters; null models (invalid classes, which the analyzers report) left out.</summary>
        internal sealed record Declared(EquatableArray<ListenerModel> Listeners, EquatableArray<EventTypeModel> NamedEvents, EquatableArray<FilterModel> Filters);

        private const string Suffix = "Attribute";

        private static readonly string[] s_ours =
        {
            AttributeKey(MetadataSimpleName(KnownNames.EventListenerAttribute)),
            AttributeKey(MetadataSimpleName(KnownNames.EventAttribute)),
            AttributeKey(MetadataSimpleName(KnownNames.EventFilterAttribute)),
        };

        /// <summary>An attribute's name as its uses compare: <c>[EventListener]</c> and <c>[EventListenerAttribute]</c> are both <c>EventListener</c>.</summary>
        public static string AttributeKey(string name) =>
            name.Length > Suffix.Length && name.EndsWith(Suffix, StringComparison.Ordinal) ? name.Substring(0, name.Length - Suffix.Length) : name;

        /// <summary>
        /// The attribute names that may mean one of ours: their own, and every alias whose target is one, transitively.
        /// Aliases of every file join (a global alias reaches every file); a local one reaching too far only reads a file more.
        /// </summary>
        public static HashSet<string> CandidateAttributeNames(IEnumerable<CandidateScan.Alias> aliases)
        {
            var names = new HashSet<string>(s_ours, StringComparer.Ordinal);
            var all = aliases.ToList();
            for (var grew = true; grew;)
            {
                grew = false;
                foreach (var alias in all)
                {
                    grew |= names.Contains(AttributeKey(alias.Target)) && names.Add(AttributeKey(alias.Name));
                }
            }
            return names;
        }

        /// <param name="files">The shapes of <paramref name="compilation"/>'s files, in its order.</param>
        public static Declared Find(Compilation compilation, EquatableArray<FileShape> files, CancellationToken cancellationToken)
        {
            var names = CandidateAttributeNames(files.SelectMany(f => f.Names.Aliases));
            var listeners = new List<ListenerModel>();
            var events = new List<EventTypeModel>();
            var filters = new List<FilterModel>();
            var seen = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            var index = 0;
            foreach (var tree in compilation.SyntaxTrees)
            {
                var file = index < files.Count ? files[index] : null;
                index++;
                if (file is not null && !file.Names.AttributeNames.Any(names.Contains))
                {
                    continue;
                }
                SemanticModel? model = null;
                foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes(static n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax))
                {
                    if (node is not (BaseTypeDeclarationSyntax or DelegateDeclarationSyntax) || !HasCandidateAttribute((MemberDeclarationSyntax)node, names))
                    {
                        continue;
                    }
                    cancellationToken.ThrowIfCancellationRequested();
                    model ??= compilation.GetSemanticModel(tree);
                    if (model.GetDeclaredSymbol(node, cancellationToken) is not INamedTypeSymbol type || !seen.Add(type))
                    {
                        continue;
                    }
                    // The kinds of declaration ForAttributeWithMetadataName was asked for: a type declaration for a
                    // listener or a filter (a class or record class when valid), any type for [Event].
                    var isTypeDeclaration = node is TypeDeclarationSyntax;
                    foreach (var attribute in type.GetAttributes())
                    {
                        if (isTypeDeclaration && Symbols.IsNamed(attribute.AttributeClass, KnownNames.EventListenerAttribute))
                        {
                            if (Parser.ParseListener(type, fromSource: true, attribute) is { } listener)
                            {
                                listeners.Add(listener);
                            }
                        }
                        else if (Symbols.IsNamed(attribute.AttributeClass, KnownNames.EventAttribute))
                        {
                            if (Parser.ParseNamedEvent(type) is { } named)
                            {
                                events.Add(named);
                            }
                        }
                        else if (isTypeDeclaration && Symbols.IsNamed(attribute.AttributeClass, KnownNames.EventFilterAttribute))
                        {
                            if (FilterParser.Parse(type, attribute, FilterKinds.Event) is { } filter)
                            {
                                filters.Add(filter);
                            }
                        }
                    }
                }
            }
            return new Declared(listeners.ToEquatableArray(), events.ToEquatableArray(), filters.ToEquatableArray());
        }

        private static bool HasCandidateAttribute(MemberDeclarationSyntax declaration, HashSet<string> names)
        {
            foreach (var list in declaration.AttributeLists)
            {
                foreach (var attribute in list.Attributes)
                {
                    if (names.Contains(AttributeKey(CandidateScan.SimpleName(attribute.Name))))
                    {
                        return true;
                    }
                }
            }
            return false;
        }

        private static string MetadataSimpleName(string metadataName) => metadataName.Substring(metadataName.LastIndexOf('.') + 1);
    }
}
