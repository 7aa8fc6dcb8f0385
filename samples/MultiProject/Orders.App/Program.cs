using System;

return await Orders.App.OrdersSample.RunAsync(Console.Out).ConfigureAwait(false);
