using System;
using System.Collections.Generic;
using System.Linq;

namespace EventRouter.Generator.Shared;

/// <summary>The order of a filter chain, shared by the event and the module generator so both compose alike.</summary>
internal static class FilterOrder
{
    /// <summary>
    /// Outermost first: by Order, then by name so equal orders (reported as ER0007) still give a stable chain. A class
    /// seen twice (partial declarations) counts once.
    /// </summary>
    public static List<FilterModel> OutermostFirst(IEnumerable<FilterModel?> filters) =>
        filters
            .Where(f => f is not null).Select(f => f!)
            .GroupBy(f => f.FullName, StringComparer.Ordinal).Select(g => g.First())
            .OrderBy(f => f.Order).ThenBy(f => f.FullName, StringComparer.Ordinal)
            .ToList();
}
