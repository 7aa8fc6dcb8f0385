using System;
using System.ComponentModel;

namespace QuickStart.DependencyInjection;

// WORKAROUND, delete this file once the generator is fixed: for a scoped or transient listener without a
// parameterless constructor the generator emits `CreateListener(services, null)`, whose type argument C# cannot
// infer (CS0411). A parameterless constructor makes it emit `static () => new T()` instead. DI still picks the
// constructor with the dependency (the longest one it can satisfy), so the sample behaves the same.

public sealed partial class WelcomeEmailSender
{
    /// <summary>Not for use: see the comment at the top of this file.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public WelcomeEmailSender() => throw new NotSupportedException("Resolve WelcomeEmailSender from DI.");
}

public sealed partial class WelcomeGiftSender
{
    /// <summary>Not for use: see the comment at the top of this file.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public WelcomeGiftSender() => throw new NotSupportedException("Resolve WelcomeGiftSender from DI.");
}
