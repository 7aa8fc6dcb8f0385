using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace EventRouter.Generator.Shared;

/// <summary>
/// Names generated members after the types they serve (<c>OrderPlaced_Route</c>, <c>_auditListener</c>) rather than by
/// position, so a new listener renames nothing else and a stack trace names the event and the listener.
/// </summary>
/// <remarks>
/// A stem is letters and digits only: the type's simple name with its generic arguments spelled in
/// (<c>Envelope&lt;int&gt;</c> is <c>EnvelopeOfInt</c>), prefixed with as many enclosing namespace or type names as it
/// takes to tell same-named types apart (<c>BillingOrderPlaced</c>, <c>ShippingOrderPlaced</c>), with a number as the
/// last resort. Generated names join stems and a role with underscores (<c>Paid_Ledger_Chain</c>); since no stem
/// holds one, two different stem lists never give the same name, and no name can be a keyword or an inherited member
/// (those hold no underscore). A stem depends only on the set of types it is chosen among, so the same sources always
/// give the same names.
/// </remarks>
internal static class MemberNames
{
    /// <summary>A unique stem for each of <paramref name="fullNames"/> (<c>global::</c> qualified, as emitted), by full name.</summary>
    /// <param name="fullNames">The types to name, in any order, repeats allowed.</param>
    /// <param name="role">
    /// A word the generated names append anyway (<c>Listener</c>, <c>Filter</c>): left off the end of a type name so
    /// <c>AuditListener</c> gives <c>Audit_Listener</c>, not <c>AuditListener_Listener</c>, while that keeps stems apart.
    /// </param>
    public static Dictionary<string, string> Stems(IEnumerable<string> fullNames, string? role = null)
    {
        var names = fullNames.Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.Ordinal).ToList();
        var segments = names.ToDictionary(n => n, Segments, StringComparer.Ordinal);
        var stems = new Dictionary<string, string>(StringComparer.Ordinal);
        var pending = names;
        if (role is not null)
        {
            var trimmed = names.ToDictionary(n => n, n => Trim(segments[n], role), StringComparer.Ordinal);
            pending = Assign(pending, trimmed, stems);
        }
        pending = Assign(pending, segments, stems);
        // Fully qualified and still equal (names that differ only in characters a stem drops): number them in order.
        foreach (var name in pending)
        {
            var stem = Qualified(segments[name], int.MaxValue);
            var taken = new HashSet<string>(stems.Values, StringComparer.Ordinal);
            var n = 2;
            while (taken.Contains(stem + n))
            {
                n++;
            }
            stems[name] = stem + n;
        }
        return stems;
    }

    /// <summary>Gives each pending name the least qualified stem no other name has or may get at that level; returns the names left.</summary>
    private static List<string> Assign(List<string> pending, Dictionary<string, List<string>> segments, Dictionary<string, string> stems)
    {
        for (var level = 0; pending.Count > 0; level++)
        {
            var candidates = pending.ToDictionary(n => n, n => Qualified(segments[n], level), StringComparer.Ordinal);
            var taken = new HashSet<string>(stems.Values, StringComparer.Ordinal);
            var clashing = new HashSet<string>(
                candidates.GroupBy(c => c.Value, StringComparer.Ordinal).Where(g => g.Count() > 1 || taken.Contains(g.Key)).Select(g => g.Key),
                StringComparer.Ordinal);
            var exhausted = pending.All(n => level >= segments[n].Count - 1);
            foreach (var name in pending)
            {
                if (!clashing.Contains(candidates[name]))
                {
                    stems[name] = candidates[name];
                }
            }
            pending = pending.Where(n => !stems.ContainsKey(n)).ToList();
            if (exhausted)
            {
                break;
            }
        }
        return pending;
    }

    private static List<string> Trim(List<string> segments, string role)
    {
        var last = segments[segments.Count - 1];
        if (last.Length <= role.Length || !last.EndsWith(role, StringComparison.Ordinal))
        {
            return segments;
        }
        var trimmed = new List<string>(segments);
        trimmed[trimmed.Count - 1] = last.Substring(0, last.Length - role.Length);
        return trimmed;
    }

    /// <summary>A private field name for a stem and role: <c>_orderPlacedRoute</c>.</summary>
    public static string Field(string stem, string role) => "_" + char.ToLowerInvariant(stem[0]) + stem.Substring(1) + role;

    /// <summary>The simple name (last) and the enclosing namespace or type names before it, each already a stem part.</summary>
    private static List<string> Segments(string fullName)
    {
        var parts = SplitTopLevel(StripGlobal(fullName), '.');
        var result = new List<string>(parts.Count);
        foreach (var part in parts)
        {
            result.Add(Spell(part));
        }
        return result;
    }

    private static string Qualified(List<string> segments, int level)
    {
        var start = Math.Max(0, segments.Count - 1 - level);
        var text = new StringBuilder();
        for (var i = start; i < segments.Count; i++)
        {
            text.Append(segments[i]);
        }
        return text.Length > 0 ? text.ToString() : "Type";
    }

    /// <summary>One name segment as letters and digits: generic arguments as <c>Of…And…</c>, arrays as <c>Array</c>.</summary>
    private static string Spell(string segment)
    {
        var text = new StringBuilder();
        var open = segment.IndexOf('<');
        var head = open < 0 ? segment : segment.Substring(0, open);
        AppendWord(text, head);
        if (open >= 0)
        {
            var close = segment.LastIndexOf('>');
            var arguments = SplitTopLevel(segment.Substring(open + 1, Math.Max(0, close - open - 1)), ',');
            for (var i = 0; i < arguments.Count; i++)
            {
                text.Append(i == 0 ? "Of" : "And");
                var argument = SplitTopLevel(StripGlobal(arguments[i].Trim()), '.');
                text.Append(Spell(argument[argument.Count - 1]));
            }
            AppendWord(text, segment.Substring(close + 1));
        }
        return text.ToString();
    }

    private static void AppendWord(StringBuilder text, string word)
    {
        var upper = true;
        foreach (var c in word)
        {
            if (c == '[')
            {
                text.Append("Array");
                upper = true;
            }
            else if (c == '?')
            {
                text.Append("Nullable");
                upper = true;
            }
            else if (char.IsLetterOrDigit(c))
            {
                text.Append(upper ? char.ToUpperInvariant(c) : c);
                upper = false;
            }
            else
            {
                upper = true; // '_', ']', '(', ',' and the like: dropped, and the next letter starts a word
            }
        }
    }

    private static string StripGlobal(string name) => name.Replace("global::", string.Empty);

    /// <summary>Splits on <paramref name="separator"/> outside angle brackets and parentheses.</summary>
    private static List<string> SplitTopLevel(string text, char separator)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '<' or '(')
            {
                depth++;
            }
            else if (c is '>' or ')')
            {
                depth--;
            }
            else if (c == separator && depth == 0)
            {
                parts.Add(text.Substring(start, i - start));
                start = i + 1;
            }
        }
        parts.Add(text.Substring(start));
        return parts;
    }
}
