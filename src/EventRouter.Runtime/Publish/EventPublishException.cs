using System;
using System.Collections.Generic;
using System.Text;

namespace EventRouter;

/// <summary>Thrown after a publish in which one or more listeners failed; every other listener still ran.</summary>
public sealed class EventPublishException : AggregateException
{
    /// <summary>Creates the exception.</summary>
    public EventPublishException(string eventName, IReadOnlyList<ListenerFailure> failures)
        : base(BuildMessage(eventName, failures), Exceptions(failures))
    {
        EventName = eventName;
        Failures = failures;
    }

    /// <summary>The name of the event that was published.</summary>
    public string EventName { get; }

    /// <summary>Each failed listener with its exception, in the order the listeners ran.</summary>
    public IReadOnlyList<ListenerFailure> Failures { get; }

    // A loop rather than LINQ's Select: Select's iterators are generic virtual methods, which make a Native AOT app
    // carry the runtime type loader.
    private static Exception[] Exceptions(IReadOnlyList<ListenerFailure> failures)
    {
        var exceptions = new Exception[failures.Count];
        for (var i = 0; i < exceptions.Length; i++) exceptions[i] = failures[i].Exception;
        return exceptions;
    }

    private static string BuildMessage(string eventName, IReadOnlyList<ListenerFailure> failures)
    {
        var text = new StringBuilder();
        text.Append(failures.Count).Append(failures.Count == 1 ? " listener" : " listeners")
            .Append(" failed handling event '").Append(eventName).Append("': ");
        for (var i = 0; i < failures.Count; i++)
        {
            if (i > 0) text.Append("; ");
            var f = failures[i];
            text.Append(f.Listener.Name).Append(" threw ").Append(f.Exception.GetType().Name)
                .Append(": ").Append(f.Exception.Message);
        }
        return text.ToString();
    }
}
