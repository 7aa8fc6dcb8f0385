using System;
using System.Collections.Generic;
using System.Linq;
using EventRouter.Generator.Modules.Models;
using EventRouter.Generator.Shared;

namespace EventRouter.Generator.Modules;

public sealed partial class ModuleServerGenerator
{
    /// <summary>Puts the applicable module filters around a module's handlers: a pure function of models, so its output caches.</summary>
    internal static class FilterComposer
    {
        /// <summary>
        /// The module with, for every handler, the filters whose <c>AppliesTo</c> its message type is assignable to.
        /// When no filter applies the module is returned as it is, so its generated code does not change.
        /// </summary>
        /// <param name="module">The module.</param>
        /// <param name="filters">Every module filter of the compilation, outermost first.</param>
        public static ModuleModel Apply(ModuleModel module, EquatableArray<FilterModel> filters)
        {
            if (filters.Count == 0)
            {
                return module;
            }
            var used = new List<FilterModel>();
            EquatableArray<int> Around(EquatableArray<string> assignableTo)
            {
                var chain = new List<int>();
                foreach (var filter in filters)
                {
                    if (filter.AppliesTo is { } only && !assignableTo.Contains(only, StringComparer.Ordinal))
                    {
                        continue;
                    }
                    var index = used.IndexOf(filter);
                    if (index < 0)
                    {
                        index = used.Count;
                        used.Add(filter);
                    }
                    chain.Add(index);
                }
                return chain.ToEquatableArray();
            }

            // Filters are numbered by first use over requests, commands, then streams, each in the module's ordinal order: stable.
            var requests = module.Requests.Select(r => r with { Filters = Around(r.AssignableTo) }).ToEquatableArray();
            var commands = module.Commands.Select(c => c with { Filters = Around(c.AssignableTo) }).ToEquatableArray();
            var streams = module.Streams.Select(s => s with { Filters = Around(s.AssignableTo) }).ToEquatableArray();
            return used.Count == 0
                ? module
                : module with { Requests = requests, Commands = commands, Streams = streams, Filters = used.ToEquatableArray() };
        }
    }
}
