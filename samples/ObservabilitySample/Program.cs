using System;

return await ObservabilitySample.ObservabilityDemo.RunAsync(Console.Out).ConfigureAwait(false);
