using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

namespace EventRouter.Tests.Publish;

public sealed class EventPublishExceptionTests
{
    [Fact]
    public void InnerExceptions_AreTheFailuresExceptionsInOrder()
    {
        var first = new InvalidOperationException("first");
        var second = new ArgumentException("second");
        var failures = new[]
        {
            new ListenerFailure(new ListenerInfo("A", typeof(object), ListenerLifetime.Singleton), first),
            new ListenerFailure(new ListenerInfo("B", typeof(string), ListenerLifetime.Transient), second),
        };

        var error = new EventPublishException("Ping", failures);

        Assert.Equal(new Exception[] { first, second }, error.InnerExceptions);
        Assert.Same(failures, error.Failures);
    }

    // LINQ's iterators bring generic virtual methods into every Native AOT app that can fail a publish; the
    // constructor calls nothing of System.Linq, itself or through the exception's own helpers.
    [Fact]
    public void Constructor_CallsNoLinq()
    {
        var constructor = typeof(EventPublishException).GetConstructor([typeof(string), typeof(IReadOnlyList<ListenerFailure>)])!;
        var called = new List<MethodBase>();
        var pending = new Stack<MethodBase>([constructor]);
        while (pending.TryPop(out var method))
        {
            foreach (var target in CalledMethods(method).Where(m => !called.Contains(m)))
            {
                called.Add(target);
                if (target.DeclaringType == typeof(EventPublishException))
                {
                    pending.Push(target);
                }
            }
        }

        Assert.Contains(called, m => m.DeclaringType == typeof(AggregateException));
        Assert.DoesNotContain(called, m => m.DeclaringType?.Namespace == "System.Linq");
    }

    // Every call or newobj target in a method's IL (an opcode byte followed by a method token that resolves).
    private static IEnumerable<MethodBase> CalledMethods(MethodBase method)
    {
        var il = method.GetMethodBody()!.GetILAsByteArray()!;
        for (var i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] is not (0x28 or 0x6F or 0x73)) continue;
            var token = BitConverter.ToInt32(il, i + 1);
            if ((token >> 24) is not (0x06 or 0x0A or 0x2B)) continue;
            MethodBase? target = null;
            try { target = method.Module.ResolveMethod(token); }
            catch (ArgumentException) { }
            if (target is not null) yield return target;
        }
    }
}
