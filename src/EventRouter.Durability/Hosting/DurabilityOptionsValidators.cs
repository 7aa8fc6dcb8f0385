using EventRouter.Hosting;

namespace EventRouter.Durability;

internal sealed class DurableStoreOptionsValidator : OptionsValidator<DurableStoreOptions>
{
    protected override void Check(DurableStoreOptions options) => options.Validate();
}

internal sealed class OutboxRelayOptionsValidator : OptionsValidator<OutboxRelayOptions>
{
    protected override void Check(OutboxRelayOptions options) => options.Validate();
}
