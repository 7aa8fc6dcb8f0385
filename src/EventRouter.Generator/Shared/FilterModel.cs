namespace EventRouter.Generator.Shared;

/// <summary>A valid [EventFilter] class.</summary>
/// <param name="AppliesTo">Full name of the type events must be assignable to, or null for every event.</param>
/// <param name="DirectCall">True when a public <c>InvokeAsync&lt;TEvent&gt;</c> implements the interface, so the generated chain calls it on the class (no generic interface dispatch).</param>
internal sealed record FilterModel(string FullName, string DisplayName, int Order, string? AppliesTo, bool HasParameterlessConstructor, bool DirectCall);
