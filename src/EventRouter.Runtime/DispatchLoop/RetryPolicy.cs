using System;

namespace EventRouter.DispatchLoop;

/// <summary>
/// How a failed listener is retried: up to <see cref="MaxAttempts"/> attempts in all, waiting
/// <c>InitialDelay * BackoffMultiplier^(n-1)</c> (capped at <see cref="MaxDelay"/>) before retry <c>n</c>,
/// randomized by ± <see cref="Jitter"/> of that delay so that failing listeners do not retry in lockstep.
/// </summary>
public sealed class RetryPolicy
{
    /// <summary>5 attempts, 200 ms doubling up to 30 s, ± 20 % jitter.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>One attempt: a failure goes straight to the dead-letter sink.</summary>
    public static RetryPolicy None { get; } = new() { MaxAttempts = 1 };

    /// <summary>Attempts in all, the first included. At least 1. Default: 5.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The delay before the first retry. Default: 200 ms.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between attempts. Default: 30 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The factor each delay grows by. At least 1. Default: 2.</summary>
    public double BackoffMultiplier { get; init; } = 2;

    /// <summary>The fraction (0 to 1) by which a delay is randomized up or down. Default: 0.2.</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>The delay before retry number <paramref name="retry"/> (1 = first retry) for a uniform sample in [0, 1).</summary>
    internal TimeSpan GetDelay(int retry, double sample)
    {
        var baseMs = InitialDelay.TotalMilliseconds * Math.Pow(BackoffMultiplier, retry - 1);
        var maxMs = MaxDelay.TotalMilliseconds;
        if (double.IsNaN(baseMs) || baseMs > maxMs)
        {
            baseMs = maxMs;
        }
        var ms = baseMs * (1 + Jitter * ((2 * sample) - 1));
        return TimeSpan.FromMilliseconds(Math.Clamp(ms, 0, maxMs));
    }

    internal void Validate(string name)
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(name, MaxAttempts, "RetryPolicy.MaxAttempts must be at least 1.");
        }
        if (InitialDelay < TimeSpan.Zero || MaxDelay < InitialDelay || MaxDelay.TotalMilliseconds > uint.MaxValue - 1)
        {
            throw new ArgumentOutOfRangeException(name, "RetryPolicy delays must satisfy 0 <= InitialDelay <= MaxDelay < 49 days.");
        }
        if (!(BackoffMultiplier >= 1) || double.IsInfinity(BackoffMultiplier))
        {
            throw new ArgumentOutOfRangeException(name, BackoffMultiplier, "RetryPolicy.BackoffMultiplier must be a finite number >= 1.");
        }
        if (!(Jitter >= 0 && Jitter <= 1))
        {
            throw new ArgumentOutOfRangeException(name, Jitter, "RetryPolicy.Jitter must be between 0 and 1.");
        }
    }
}
