namespace EventRouter.Generator;

/// <summary>Metadata names of runtime types. The runtime assembly is never loaded in the compiler: names only.</summary>
internal static class KnownNames
{
    public const string EventListenerAttribute = "EventRouter.EventListenerAttribute";
    public const string EventAttribute = "EventRouter.EventAttribute";
    public const string EventIdAttribute = "EventRouter.EventIdAttribute";
    public const string PartitionKeyAttribute = "EventRouter.PartitionKeyAttribute";
    public const string EventFilterAttribute = "EventRouter.EventFilterAttribute";
    public const string EventFilterInterface = "EventRouter.IEventFilter";
    public const string ModuleFilterInterface = "EventRouter.IModuleFilter";
    public const string EventRouterAssemblyAttribute = "EventRouter.CompilerServices.EventRouterAssemblyAttribute";
    public const string EventListenerInterface = "EventRouter.IEventListener`1";
    public const string ServiceCollection = "Microsoft.Extensions.DependencyInjection.IServiceCollection";

    public const string GeneratorName = "EventRouter.Generator";
}
