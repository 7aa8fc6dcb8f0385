using System;
using System.Security.Cryptography;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EventRouter.Generator.Shared;

/// <summary>
/// A strong hash of what one file declares: what the symbols of a compilation are made of, without what is written
/// inside member bodies. Two versions of a file with the same shape declare the same symbols, so a pipeline that reads
/// only symbols (never a body, never a position) computes the same models from either.
/// </summary>
/// <remarks>
/// <para>In the hash: every token outside member bodies (attributes and their arguments, base lists, signatures,
/// constraints, const, field, property and enum member initializers, using directives, modifiers), the directives
/// that change what is compiled or how (<c>#if</c>, <c>#define</c>, <c>#nullable</c>, <c>#line</c>, ... — wherever
/// they are, since a <c>#nullable</c> inside a body still governs the declarations after it), and the parse options.
/// Left out: the contents of the bodies of methods, constructors, destructors, operators, conversion operators,
/// accessors and expression-bodied properties and indexers (a marker of which kind of body is there stays in, so
/// <c>;</c> against <c>{ }</c> still differs), the statements of a top-level program (they declare no symbol a model
/// reads: only the synthesized entry point's signature depends on them), trivia (comments, whitespace, inactive
/// <c>#if</c> text), <c>#region</c> and <c>#pragma</c>.</para>
/// <para>One thing a body can declare: a property accessor that uses the <c>field</c> keyword gives the property a
/// backing field (which a <c>[field: ...]</c> attribute then lands on), so whether a property's or accessor's body
/// contains a <c>field</c> token is in the hash too.</para>
/// <para>Positions are not in the hash: the models carry no location (the analyzers report every diagnostic from
/// their own compilation), so moving a declaration within a file changes nothing downstream.</para>
/// </remarks>
internal static class DeclarationShape
{
    // Markers written in place of what is left out; negative, so they never collide with a token's SyntaxKind.
    private const int BodyMarker = -1;
    private const int FieldKeywordMarker = -2;
    private const int TopLevelStatementMarker = -3;
    private const int DirectiveMarker = -4;
    private const int OptionsMarker = -5;

    /// <summary>The shape of <paramref name="tree"/>, as a Base64 SHA-256.</summary>
    public static string Of(SyntaxTree tree, CancellationToken cancellationToken)
    {
        using var writer = new HashWriter();
        if (tree.Options is CSharpParseOptions options)
        {
            writer.Add(OptionsMarker);
            writer.Add((int)options.LanguageVersion);
            writer.Add((int)options.Kind);
            foreach (var symbol in options.PreprocessorSymbolNames)
            {
                writer.Add(symbol);
            }
        }

        var root = tree.GetRoot(cancellationToken);
        // An explicit stack: initializers outside bodies can nest deeper than recursion should go (long concatenations).
        var pending = new System.Collections.Generic.Stack<SyntaxNodeOrToken>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var item = pending.Pop();
            if (item.IsToken)
            {
                Add(writer, item.AsToken());
                continue;
            }
            var node = item.AsNode()!;
            if (IsMemberBody(node))
            {
                writer.Add(BodyMarker);
                writer.Add(node.RawKind);
                if (node.Parent is AccessorDeclarationSyntax or PropertyDeclarationSyntax or IndexerDeclarationSyntax && UsesFieldKeyword(node))
                {
                    writer.Add(FieldKeywordMarker);
                }
                continue;
            }
            if (node is GlobalStatementSyntax)
            {
                writer.Add(TopLevelStatementMarker);
                continue;
            }
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var child in node.ChildNodesAndTokens().Reverse())
            {
                pending.Push(child);
            }
        }

        // Directives live in trivia, which the walk above skips; ContainsDirectives lets this skip whole subtrees.
        for (var directive = root.GetFirstDirective(); directive is not null; directive = directive.GetNextDirective())
        {
            if (directive is RegionDirectiveTriviaSyntax or EndRegionDirectiveTriviaSyntax or PragmaWarningDirectiveTriviaSyntax or PragmaChecksumDirectiveTriviaSyntax)
            {
                continue;
            }
            writer.Add(DirectiveMarker);
            foreach (var token in directive.DescendantTokens())
            {
                Add(writer, token);
            }
        }
        return writer.Finish();
    }

    /// <summary>A body whose contents declare nothing a model reads: of a method-like member, an accessor, or an expression-bodied property or indexer.</summary>
    private static bool IsMemberBody(SyntaxNode node) =>
        node is BlockSyntax or ArrowExpressionClauseSyntax
        && node.Parent is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax
            or PropertyDeclarationSyntax or IndexerDeclarationSyntax;

    private static bool UsesFieldKeyword(SyntaxNode body)
    {
        foreach (var token in body.DescendantTokens())
        {
            // An identifier for compilers before C# 14, a keyword after: the text is the same.
            if (token.Text == "field")
            {
                return true;
            }
        }
        return false;
    }

    private static void Add(HashWriter writer, SyntaxToken token)
    {
        writer.Add(token.RawKind);
        // Keywords and punctuation are their kind; identifiers and literals need their text.
        if (SyntaxFacts.GetText(token.Kind()).Length == 0)
        {
            writer.Add(token.Text);
        }
    }

    /// <summary>Feeds ints and strings to an incremental SHA-256 through a small buffer.</summary>
    private sealed class HashWriter : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly byte[] _buffer = new byte[8192];
        private int _length;

        public void Add(int value)
        {
            Reserve(4);
            _buffer[_length++] = (byte)value;
            _buffer[_length++] = (byte)(value >> 8);
            _buffer[_length++] = (byte)(value >> 16);
            _buffer[_length++] = (byte)(value >> 24);
        }

        /// <summary>Length first, so adjacent strings cannot run into each other.</summary>
        public void Add(string value)
        {
            Add(value.Length);
            for (var i = 0; i < value.Length;)
            {
                Reserve(2);
                for (var end = Math.Min(value.Length, i + ((_buffer.Length - _length) / 2)); i < end; i++)
                {
                    _buffer[_length++] = (byte)value[i];
                    _buffer[_length++] = (byte)(value[i] >> 8);
                }
            }
        }

        public string Finish()
        {
            Flush();
            return Convert.ToBase64String(_hash.GetHashAndReset());
        }

        public void Dispose() => _hash.Dispose();

        private void Reserve(int bytes)
        {
            if (_length + bytes > _buffer.Length)
            {
                Flush();
            }
        }

        private void Flush()
        {
            _hash.AppendData(_buffer, 0, _length);
            _length = 0;
        }
    }
}
