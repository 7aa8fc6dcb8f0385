using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace EventRouter.Docs.Tests;

/// <summary>The diagnostics' help links use the repository address the packages use, and land on a section of docs/diagnostics.md.</summary>
public sealed class HelpLinkTests
{
    private static readonly string RepositoryUrl =
        typeof(HelpLinkTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "EventRouterRepositoryUrl").Value!;

    [Fact]
    public void EveryDescriptor_LinksToItsSectionOfTheDiagnosticsPage_AtTheConfiguredRepository()
    {
        var descriptors = typeof(EventRouter.Generator.Listeners.EventRouterGenerator).Assembly
            .GetType("EventRouter.Generator.Diagnostics.DiagnosticDescriptors", throwOnError: true)!
            .GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToList();
        Assert.True(descriptors.Count >= 15, $"only {descriptors.Count} descriptors found");

        var anchors = DocReferenceTests.Anchors("docs/diagnostics.md");

        Assert.StartsWith("https://", RepositoryUrl, StringComparison.Ordinal);
        var prefix = RepositoryUrl.TrimEnd('/') + "/blob/main/docs/diagnostics.md#";
        foreach (var d in descriptors)
        {
            Assert.True(d.HelpLinkUri.StartsWith(prefix, StringComparison.Ordinal), $"{d.Id}: {d.HelpLinkUri} does not start with {prefix}");
            var anchor = d.HelpLinkUri[prefix.Length..];
            Assert.True(anchors.Contains(anchor), $"{d.Id}: docs/diagnostics.md has no section #{anchor}");
            Assert.Equal(d.Id.ToLowerInvariant(), anchor);
        }
    }

    [Fact]
    public void TheAnalyzers_ReportOnlyDescribedDiagnostics()
    {
        // Every diagnostic an analyzer can report comes from the descriptors checked above (so carries a checked link).
        var analyzers = typeof(EventRouter.Generator.Listeners.EventRouterGenerator).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer).IsAssignableFrom(t))
            .Select(t => (Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer)Activator.CreateInstance(t)!);
        foreach (var d in analyzers.SelectMany(a => a.SupportedDiagnostics))
        {
            Assert.StartsWith(RepositoryUrl.TrimEnd('/') + "/blob/main/docs/diagnostics.md#" + d.Id.ToLowerInvariant(), d.HelpLinkUri, StringComparison.Ordinal);
        }
    }
}
