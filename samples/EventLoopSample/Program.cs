using System;

return await EventLoopSample.EventLoopDemo.RunAsync(Console.Out).ConfigureAwait(false);
