namespace EventRouter.Generator.Shared;

/// <summary>Names of the tracked pipeline steps of both generators, for incremental-caching tests.</summary>
internal static class TrackingNames
{
    // The event generator (Listeners/).
    public const string FileShapes = nameof(FileShapes);
    public const string DeclarationCompilation = nameof(DeclarationCompilation);
    public const string Declarations = nameof(Declarations);
    public const string Listeners = nameof(Listeners);
    public const string NamedEvents = nameof(NamedEvents);
    public const string CandidateNames = nameof(CandidateNames);
    public const string Candidates = nameof(Candidates);
    public const string References = nameof(References);
    public const string Filters = nameof(Filters);
    public const string Table = nameof(Table);

    // The module generator (Modules/).
    public const string ModuleServers = nameof(ModuleServers);
    public const string ModuleFilters = nameof(ModuleFilters);
    public const string ModuleServerOutput = nameof(ModuleServerOutput);
    public const string ModuleMap = nameof(ModuleMap);
}
