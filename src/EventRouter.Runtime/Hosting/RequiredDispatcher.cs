using System;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter.Hosting;

/// <summary>Resolves the dispatcher that parts built on the router need, naming the missing call when it is absent.</summary>
internal static class RequiredDispatcher
{
    /// <summary>The dispatcher registered by <c>AddEventRouter()</c>.</summary>
    /// <param name="provider">The container.</param>
    /// <param name="requiredBy">What needs it, as the user registered it (for example <c>AddEventDispatchLoop()</c>).</param>
    /// <exception cref="InvalidOperationException"><c>AddEventRouter()</c> was not called.</exception>
    internal static EventDispatcherBase Get(IServiceProvider provider, string requiredBy) =>
        provider.GetService<EventDispatcherBase>() ?? throw new InvalidOperationException(Message(requiredBy));

    internal static string Message(string requiredBy) => string.Format(
        CultureInfo.InvariantCulture,
        "{0} needs the EventRouter dispatcher, and none is registered: call services.AddEventRouter() (generated into the project that holds the listeners) as well.",
        requiredBy);
}
