using System;

return await QuickStart.QuickStartSample.RunAsync(Console.Out).ConfigureAwait(false);
