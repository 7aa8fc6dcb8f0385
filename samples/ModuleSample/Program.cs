using System;

return await ModuleSample.ModuleServerSample.RunAsync(Console.Out).ConfigureAwait(false);
