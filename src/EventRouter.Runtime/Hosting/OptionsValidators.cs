using System;
using System.Diagnostics.CodeAnalysis;
using EventRouter.DispatchLoop;
using EventRouter.Modules;
using EventRouter.Reactor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EventRouter.Hosting;

/// <summary>
/// Validates options through the options pipeline, so that a bad value, whether set in code or bound from
/// configuration, fails when the host starts (<c>ValidateOnStart</c>) with the same message the type's own checks give.
/// </summary>
internal abstract class OptionsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            Check(options);
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException invalid)
        {
            return ValidateOptionsResult.Fail(invalid.Message);
        }
        catch (InvalidOperationException invalid)
        {
            return ValidateOptionsResult.Fail(invalid.Message);
        }
    }

    protected abstract void Check(TOptions options);
}

internal sealed class EventRouterOptionsValidator : OptionsValidator<EventRouterOptions>
{
    protected override void Check(EventRouterOptions options) => options.Validate();
}

internal sealed class DispatchLoopOptionsValidator : OptionsValidator<DispatchLoopOptions>
{
    protected override void Check(DispatchLoopOptions options) => options.Validate();
}

internal sealed class EventLoopOptionsValidator : OptionsValidator<EventLoopOptions>
{
    protected override void Check(EventLoopOptions options) => options.Validate();
}

/// <summary>
/// Checks every setting but the handler and publisher: the host fills the publisher in from its container when the
/// server is created, and the server's constructor then checks that one of the two is set.
/// </summary>
internal sealed class TcpServerOptionsValidator : OptionsValidator<TcpServerOptions>
{
    protected override void Check(TcpServerOptions options)
    {
        options.ValidateValues();
        options.ValidateServer();
    }
}

internal sealed class ModuleServerOptionsValidator : OptionsValidator<ModuleServerOptions>
{
    protected override void Check(ModuleServerOptions options) => options.Validate();
}

/// <summary>The one way every part registers its options: configured, validated by its validator, checked at start.</summary>
internal static class ValidatedOptions
{
    internal static void Add<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TValidator>(IServiceCollection services, string name, Action<TOptions>? configure)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        var options = services.AddOptions<TOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
    }
}
