using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;

namespace StreamingSample;

public sealed record SetPrice(string Symbol, decimal Price);
public sealed record Watch(string Symbol, int Ticks);
public sealed record Tick(string Symbol, int Sequence, decimal Price);
public sealed record StreamsEnded;

/// <summary>A module with state (prices, a count) that streams ticks of one symbol.</summary>
[ModuleServer]
public sealed partial class PriceBook :
    ICommandHandler<SetPrice>,
    IStreamRequestHandler<Watch, Tick>,
    IRequestHandler<StreamsEnded, int>
{
    private readonly Dictionary<string, decimal> _prices = new();
    private int _streamsEnded; // no lock: the module runs one message (or stream) at a time

    public ValueTask HandleAsync(SetPrice command, CancellationToken cancellationToken)
    {
        _prices[command.Symbol] = command.Price;
        return default;
    }

    public async IAsyncEnumerable<Tick> HandleAsync(Watch request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            for (var i = 0; i < request.Ticks; i++)
            {
                if (i == 2 && !_prices.ContainsKey(request.Symbol))
                {
                    throw new KeyNotFoundException($"No price for {request.Symbol}.");
                }
                var price = _prices.GetValueOrDefault(request.Symbol) + i * 0.25m;
                yield return new Tick(request.Symbol, i, price);
                await Task.Yield();
            }
        }
        finally
        {
            // Runs when the stream ends for any reason, before the module takes its next message.
            _streamsEnded++;
        }
    }

    public ValueTask<int> HandleAsync(StreamsEnded request, CancellationToken cancellationToken) => new(_streamsEnded);
}
