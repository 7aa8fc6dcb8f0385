using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace EventRouter.Generator.Tests.Infrastructure;

/// <summary>
/// Runs an analyzer on sources with diagnostic markup: <c>{|ER0001:text|}</c> marks the span where ER0001 must be
/// reported. Every analyzer diagnostic must be marked and every mark reported, and the source must compile without
/// errors. Built on Microsoft.CodeAnalysis.Testing, against <see cref="GeneratorHarness.References"/> (the running
/// framework and the runtime), so no reference package is downloaded.
/// </summary>
internal static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>Verifies the marked diagnostics of <paramref name="markup"/>, with <paramref name="others"/> (unmarked) in the same compilation.</summary>
    public static Task VerifyAsync(string markup, params string[] others) => VerifyAsync(markup, others, references: null, configure: null);

    /// <summary>As <see cref="VerifyAsync(string, string[])"/>, with extra references and a hook to set options or expected diagnostics.</summary>
    public static Task VerifyAsync(string markup, IEnumerable<string> others, IEnumerable<MetadataReference>? references, System.Action<Test>? configure)
    {
        var test = new Test { TestCode = markup };
        foreach (var source in others)
        {
            test.TestState.Sources.Add(source);
        }
        if (references is not null)
        {
            test.TestState.AdditionalReferences.AddRange(references);
        }
        configure?.Invoke(test);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>The test, set up like <see cref="GeneratorHarness.Compile(string[])"/>: latest language, nullable enabled.</summary>
    public sealed class Test : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        public Test()
        {
            // A target framework without a package: the references are explicit, nothing is resolved from a feed.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0");
            TestState.AdditionalReferences.AddRange(GeneratorHarness.References);
        }

        /// <summary>Diagnostic options by ID (for example a severity raised from .editorconfig).</summary>
        public Dictionary<string, ReportDiagnostic> DiagnosticOptions { get; } = new();

        protected override ParseOptions CreateParseOptions() => GeneratorHarness.ParseOptions;

        protected override CompilationOptions CreateCompilationOptions()
        {
            var options = new Dictionary<string, ReportDiagnostic>(DiagnosticOptions)
            {
                // The SDK silences these unification notices too (the runtime targets net8.0, the tests run on net10.0).
                ["CS1701"] = ReportDiagnostic.Suppress,
                ["CS1702"] = ReportDiagnostic.Suppress,
            };
            return ((CSharpCompilationOptions)base.CreateCompilationOptions())
                .WithNullableContextOptions(NullableContextOptions.Enable)
                .WithSpecificDiagnosticOptions(options);
        }
    }
}
