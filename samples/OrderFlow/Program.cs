// The order flow used by docs/testing.md: publish -> listeners -> module request -> dead letter on failure.
return await OrderFlow.OrderFlowApp.RunAsync(System.Console.Out).ConfigureAwait(false);
