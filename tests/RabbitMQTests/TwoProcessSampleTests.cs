using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace EventRouter.RabbitMQ.Tests;

/// <summary>
/// The samples/RabbitMQ pair, run as two real processes against the test broker: the Orders service asks the Shipping
/// service's desk module for quotes and publishes orders; the Shipping service handles every order.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class TwoProcessSampleTests(BrokerFixture broker)
{
    [Fact]
    public async Task OrdersServiceCallsTheShippingDeskAndPublishes_ShippingHandlesEveryOrder()
    {
        const int Orders = 5;
        using var shipping = SampleProcess.Start("Consumer", broker.Uri, Orders);
        await Eventually.WaitUntilAsync(() => shipping.Lines.Contains("shipping: waiting for orders (Ctrl+C to stop)"), "the Shipping service to start", timeout: TestHost.Patience, pollEvery: TestHost.Poll);

        using var orders = SampleProcess.Start("Publisher", broker.Uri, Orders);
        Assert.Equal(0, await orders.ExitCodeAsync());
        Assert.Equal(0, await shipping.ExitCodeAsync());

        // Quotes came back from the other process (order-5's total of 50 ships free there).
        Assert.Contains("published order-1 (message id order-1), shipping 4.90 in 2 days", orders.Lines);
        Assert.Contains("published order-5 (message id order-5), shipping 0 in 2 days", orders.Lines);
        Assert.Contains("sent hold for order-1", orders.Lines);
        // The tracking stream, read up to its "delivered" item; the reader left before the last one.
        Assert.Equal(
            new[] { "tracking order-1: packed", "tracking order-1: in transit", "tracking order-1: delivered" },
            orders.Lines.Where(line => line.StartsWith("tracking ", StringComparison.Ordinal)));
        Assert.Contains("shipping: tracking order-1", shipping.Lines);
        for (var i = 1; i <= Orders; i++)
        {
            Assert.Contains($"shipping: quoted order-{i}: {(i == 5 ? "0" : "4.90")} in 2 days", shipping.Lines);
            Assert.Single(shipping.Lines, line => line.StartsWith($"shipping: ship order-{i} ", StringComparison.Ordinal));
        }
    }

    private sealed class SampleProcess : IDisposable
    {
        private readonly Process _process;

        private SampleProcess(Process process) => _process = process;

        public ConcurrentQueue<string> Lines { get; } = new();

        public static SampleProcess Start(string name, string brokerUri, int count)
        {
            // Built by this project's references, in the same configuration as the tests.
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
            var dll = Path.Combine(BrokerFixture.FindRepositoryRoot(), "samples", "RabbitMQ", name, "bin", configuration, "net10.0", $"RabbitMQSample.{name}.dll");
            Assert.True(File.Exists(dll), $"sample not built: {dll}");
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(dll);
            info.ArgumentList.Add(count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            info.Environment["RABBITMQ_URI"] = brokerUri;
            var sample = new SampleProcess(new Process { StartInfo = info });
            sample._process.OutputDataReceived += (_, e) => { if (e.Data is not null) sample.Lines.Enqueue(e.Data); };
            sample._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) sample.Lines.Enqueue("stderr: " + e.Data); };
            sample._process.Start();
            sample._process.BeginOutputReadLine();
            sample._process.BeginErrorReadLine();
            return sample;
        }

        public async Task<int> ExitCodeAsync()
        {
            // A hang guard, not a timing assertion.
            using var guard = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(120));
            try
            {
                await _process.WaitForExitAsync(guard.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("sample did not exit:\n" + string.Join('\n', Lines));
            }
            // The exit can be observed before the output events of the last lines have run: this returns once they have.
            _process.WaitForExit();
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            _process.Dispose();
        }
    }
}
