using EventRouter.Hosting;

namespace EventRouter.RabbitMQ;

/// <summary>
/// Checks the bridge's settings through the options pipeline, so that a missing or bad value, whether set in code or
/// bound from configuration, fails when the host starts with the bridge's own message.
/// </summary>
internal sealed class RabbitMQOptionsValidator : OptionsValidator<RabbitMQOptions>
{
    protected override void Check(RabbitMQOptions options) => options.Validate();
}
