using EventRouter.Generator.Shared;

namespace EventRouter.Generator.Modules.Models;

/// <summary>One request type a module handles, with its response type (both fully qualified, with nullable annotations).</summary>
/// <remarks>Pipeline model: strings only, or incremental caching breaks.</remarks>
internal sealed record ModuleRequestModel(string RequestType, string ResponseType)
{
    /// <summary>The request type, its base classes and its interfaces (fully qualified, sorted): what <c>AppliesTo</c> is matched against.</summary>
    public EquatableArray<string> AssignableTo { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Indexes into <see cref="ModuleModel.Filters"/> of the filters around this handler, outermost first.</summary>
    public EquatableArray<int> Filters { get; init; } = EquatableArray<int>.Empty;
}

/// <summary>One stream request type a module handles, with its item type (both fully qualified, with nullable annotations).</summary>
/// <remarks>Pipeline model: strings only, or incremental caching breaks.</remarks>
internal sealed record ModuleStreamModel(string RequestType, string ItemType)
{
    /// <summary>The request type, its base classes and its interfaces (fully qualified, sorted): what <c>AppliesTo</c> is matched against.</summary>
    public EquatableArray<string> AssignableTo { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Indexes into <see cref="ModuleModel.Filters"/> of the filters around this handler, outermost first.</summary>
    public EquatableArray<int> Filters { get; init; } = EquatableArray<int>.Empty;
}

/// <summary>One command type a module handles (fully qualified).</summary>
internal sealed record ModuleCommandModel(string CommandType)
{
    /// <summary>The command type, its base classes and its interfaces (fully qualified, sorted): what <c>AppliesTo</c> is matched against.</summary>
    public EquatableArray<string> AssignableTo { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Indexes into <see cref="ModuleModel.Filters"/> of the filters around this handler, outermost first.</summary>
    public EquatableArray<int> Filters { get; init; } = EquatableArray<int>.Empty;
}

/// <summary>
/// A valid <c>[ModuleServer]</c> class: where it lives, its accessibility, and the messages it handles, each list
/// sorted ordinally. Request types handled more than once are left out (the analyzer reports ER0101), and so are
/// stream request types handled more than once or also as requests (ER0106).
/// </summary>
internal sealed record ModuleModel(
    string Namespace,
    string ClassName,
    string FullyQualifiedName,
    bool IsPublic,
    EquatableArray<ModuleRequestModel> Requests,
    EquatableArray<ModuleCommandModel> Commands)
{
    /// <summary>The stream request types the module answers with a stream of items, sorted ordinally.</summary>
    public EquatableArray<ModuleStreamModel> Streams { get; init; } = EquatableArray<ModuleStreamModel>.Empty;

    /// <summary>The module filters that wrap at least one of its handlers, outermost first; empty when none applies.</summary>
    public EquatableArray<FilterModel> Filters { get; init; } = EquatableArray<FilterModel>.Empty;
}
