using System;
using System.Diagnostics;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter.DispatchLoop;

// The delivery side: one worker per lane, the success path first (no allocation when listeners complete
// synchronously), and the retry path, which allocates, only after a failure.
public sealed partial class EventDispatchLoop
{
    private enum Outcome : byte
    {
        Succeeded,
        Skipped,
        Failed,
        Aborted,
    }

    private readonly struct AttemptResult
    {
        public static readonly AttemptResult Succeeded = new(Outcome.Succeeded, null);
        public static readonly AttemptResult Skipped = new(Outcome.Skipped, null);
        public static readonly AttemptResult Aborted = new(Outcome.Aborted, null);

        public AttemptResult(Outcome outcome, Exception? exception)
        {
            Outcome = outcome;
            Exception = exception;
        }

        public Outcome Outcome { get; }

        public Exception? Exception { get; }
    }

    private async Task RunLaneAsync(Lane lane)
    {
        // No token: the lane ends when stop completes its writer and the worker has read everything. After an abort
        // the remaining events are still read, and returned as undelivered.
        while (await lane.WaitToReadAsync().ConfigureAwait(false))
        {
            while (DrainInline(lane, out var slow))
            {
                try
                {
                    await DeliverAsync(lane, slow.Envelope, slow.ResumeAt, slow.Invoked, slow.InFlight, slow.Thrown).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // Every expected failure is handled inside; this guards the worker (and the accounting) against a bug.
                    DispatchLoopLog.UnexpectedFailure(_logger, ex, slow.Envelope.Route.EventName);
                    LaneCounters.Increment(ref lane.Counters.DeadLettered);
                }
            }
        }
    }

    /// <summary>
    /// Handles queued events for as long as they take the success path. Returns false when the queue is empty, true
    /// with the event that needs <see cref="DeliverAsync"/>. A plain method, so the events it handles live in
    /// registers and on its stack, not in the worker's async state machine on the heap (every write there is a GC
    /// write barrier).
    /// </summary>
    private bool DrainInline(Lane lane, out SlowDelivery slow)
    {
        while (lane.TryRead(out var envelope))
        {
            if (_abortToken.IsCancellationRequested)
            {
                ReturnUndelivered(lane, envelope.Event, envelope.Route, envelope.EventId, envelope.AllSlots());
                continue;
            }
            var resumeAt = RunInline(in envelope, out var invoked, out var inFlight, out var thrown);
            if (resumeAt < 0)
            {
                LaneCounters.Increment(ref lane.Counters.Handled);
                continue;
            }
            slow = new SlowDelivery(envelope, resumeAt, invoked, inFlight, thrown);
            return true;
        }
        slow = default;
        return false;
    }

    /// <summary>Where <see cref="DeliverAsync"/> takes over an event from <see cref="RunInline"/>.</summary>
    private readonly record struct SlowDelivery(Envelope Envelope, int ResumeAt, bool Invoked, ValueTask InFlight, Exception? Thrown);

    /// <summary>
    /// The success path, without an async state machine: runs the listeners of an event that needs no scope, id check
    /// or timeout, for as long as they complete synchronously and successfully. Returns -1 when all did; otherwise
    /// the index where <see cref="DeliverAsync"/> takes over, with that listener's pending task or exception when it
    /// was already <paramref name="invoked"/> (it must not be invoked twice).
    /// </summary>
    private int RunInline(in Envelope envelope, out bool invoked, out ValueTask inFlight, out Exception? thrown)
    {
        invoked = false;
        inFlight = default;
        thrown = null;
        var route = envelope.Route;
        if (envelope.EventId is not null || _hasDeliveryTimeout || (route.RequiresScope && _services is not null) || envelope.IsJournaled)
        {
            return 0;
        }
        var count = envelope.SlotCount;
        for (var i = 0; i < count; i++)
        {
            ValueTask pending;
            try
            {
                pending = envelope.InvokeAt(i, null, _abortToken);
            }
            catch (Exception ex)
            {
                invoked = true;
                thrown = ex;
                return i;
            }
            if (!pending.IsCompletedSuccessfully)
            {
                invoked = true;
                inFlight = pending;
                return i;
            }
            pending.GetAwaiter().GetResult(); // consumes an IValueTaskSource-backed result
        }
        return -1;
    }

    /// <summary>
    /// Runs the listeners from <paramref name="start"/> on (the first one possibly already invoked by
    /// <see cref="RunInline"/>); hands the event to the retry path only if one failed.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask DeliverAsync(Lane lane, Envelope envelope, int start, bool invoked, ValueTask inFlight, Exception? thrown)
    {
        var route = envelope.Route;
        var count = envelope.SlotCount;
        PendingDelivery? pending = null;

        AsyncServiceScope scope = default;
        IServiceProvider? services = null;
        var scoped = route.RequiresScope && _services is not null;
        if (scoped)
        {
            // A scope per delivery: scoped listeners of one delivery share instances; a retry gets a fresh scope.
            scope = _services!.CreateAsyncScope();
            services = scope.ServiceProvider;
        }
        try
        {
            for (var i = start; i < count; i++)
            {
                if (envelope.HasRetriesBefore && !envelope.IsSubscription(i) && envelope.RetryBefore(envelope.InfoAt(i).Name) is { } retry && !envelope.CompletedBefore(retry.ListenerName))
                {
                    // It waited for a retry when the previous process stopped: its retries go on where they were.
                    (pending ??= new PendingDelivery(envelope)).Resume(i, retry);
                    continue;
                }
                var result = !invoked || i != start
                    ? await AttemptAsync(lane, envelope, i, services).ConfigureAwait(false)
                    : thrown is not null
                        ? Classify(thrown)
                        : await AwaitAttemptAsync(inFlight).ConfigureAwait(false);
                if (result.Outcome is Outcome.Failed or Outcome.Aborted)
                {
                    (pending ??= new PendingDelivery(envelope)).Record(i, result);
                }
            }
        }
        finally
        {
            if (scoped)
            {
                await DisposeScopeAsync(scope, route).ConfigureAwait(false);
            }
        }

        if (pending is null)
        {
            LaneCounters.Increment(ref lane.Counters.Handled);
            JournalCompleted(in envelope);
            return;
        }
        await RetryAsync(lane, pending).ConfigureAwait(false);
    }

    /// <summary>One attempt of one listener. The common case (no id, no timeout, synchronous completion) allocates nothing.</summary>
    private ValueTask<AttemptResult> AttemptAsync(Lane lane, Envelope envelope, int index, IServiceProvider? services, int attempt = 1)
    {
        if (_abortToken.IsCancellationRequested)
        {
            return new ValueTask<AttemptResult>(AttemptResult.Aborted);
        }
        if (envelope.EventId is not null || _hasDeliveryTimeout || envelope.IsJournaled)
        {
            return AttemptSlowAsync(lane, envelope, index, services, attempt);
        }

        ValueTask pending;
        try
        {
            pending = envelope.InvokeAt(index, services, _abortToken, attempt);
        }
        catch (Exception ex)
        {
            return new ValueTask<AttemptResult>(Classify(ex));
        }
        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult(); // consumes an IValueTaskSource-backed result
            return new ValueTask<AttemptResult>(AttemptResult.Succeeded);
        }
        return AwaitAttemptAsync(pending);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<AttemptResult> AwaitAttemptAsync(ValueTask pending)
    {
        try
        {
            await WaitForListenerAsync(pending, _abortToken).ConfigureAwait(false);
            return AttemptResult.Succeeded;
        }
        catch (Exception ex)
        {
            return Classify(ex);
        }
    }

    /// <summary>An attempt with idempotency and/or a delivery timeout.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<AttemptResult> AttemptSlowAsync(Lane lane, Envelope envelope, int index, IServiceProvider? services, int attempt)
    {
        var listener = envelope.InfoAt(index);
        var eventId = envelope.IsSubscription(index) ? null : envelope.EventId;
        if (envelope.IsJournaled && !envelope.IsSubscription(index) && envelope.CompletedBefore(listener.Name))
        {
            LaneCounters.Increment(ref lane.Counters.Deduplicated);
            return AttemptResult.Skipped;
        }
        if (eventId is not null)
        {
            if (!_abandoned.IsEmpty && _abandoned.TryGetValue((eventId, listener.Name), out var fence))
            {
                var fenced = await AwaitFenceAsync(fence, listener, envelope).ConfigureAwait(false);
                if (fenced.Outcome != Outcome.Succeeded)
                {
                    return fenced;
                }
            }
            try
            {
                if (await BoundedByStop(_idempotency.IsCompletedAsync(eventId, listener.Name, _abortToken)).ConfigureAwait(false))
                {
                    LaneCounters.Increment(ref lane.Counters.Deduplicated);
                    return AttemptResult.Skipped;
                }
            }
            catch (Exception ex)
            {
                // A store that cannot answer fails the attempt: retrying later beats running a listener twice.
                return Classify(ex);
            }
        }

        CancellationTokenSource? timeout = null;
        CancellationTokenRegistration abortLink = default;
        var token = _abortToken;
        if (_hasDeliveryTimeout)
        {
            timeout = new CancellationTokenSource(_deliveryTimeout, _time);
            abortLink = _abortToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timeout);
            token = timeout.Token;
        }
        try
        {
            var pending = envelope.InvokeAt(index, services, token, attempt);
            if (pending.IsCompleted)
            {
                pending.GetAwaiter().GetResult();
            }
            else
            {
                var task = pending.AsTask();
                try
                {
                    await WaitForListenerAsync(task, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (eventId is not null && !task.IsCompleted)
                {
                    // The call is abandoned but still runs. With an event id it must not complete twice: the next
                    // attempt for this id and listener waits for it, and a late success is marked completed.
                    var key = (eventId, listener.Name);
                    var fence = FenceAsync(task, eventId, listener.Name);
                    _abandoned[key] = fence;
                    _ = ForgetFenceAsync(key, fence);
                    throw;
                }
            }
        }
        catch (Exception ex)
        {
            if (timeout is { IsCancellationRequested: true } && !_abortToken.IsCancellationRequested)
            {
                return new AttemptResult(Outcome.Failed, new TimeoutException(
                    $"Listener {listener.Name} did not complete event '{envelope.Route.EventName}' within {_deliveryTimeout}.", ex));
            }
            return Classify(ex);
        }
        finally
        {
            abortLink.Dispose();
            // A cancelled source stays undisposed: an abandoned (hung) listener may still register on its token.
            if (timeout is { IsCancellationRequested: false })
            {
                timeout.Dispose();
            }
        }

        if (eventId is not null)
        {
            try
            {
                // Not cancelled by a stop (the listener did complete), but not waited for beyond it either.
                await BoundedByStop(_idempotency.MarkCompletedAsync(eventId, listener.Name, CancellationToken.None)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The listener did complete: failing the attempt would run it again for certain.
                DispatchLoopLog.MarkCompletedFailed(_logger, ex, listener.Name, envelope.Route.EventName, eventId);
            }
        }
        if (envelope.IsJournaled && !envelope.IsSubscription(index))
        {
            JournalListenerCompleted(in envelope, listener.Name);
        }
        return AttemptResult.Succeeded;
    }

    /// <summary>
    /// Awaits a listener that went asynchronous, but gives up when <paramref name="token"/> is cancelled even if the
    /// listener ignores it: a hung listener must not hold a stop or a timeout hostage. An abandoned listener's later
    /// failure is observed and logged at debug level.
    /// </summary>
    private Task WaitForListenerAsync(ValueTask pending, CancellationToken token) => WaitForListenerAsync(pending.AsTask(), token);

    private async Task WaitForListenerAsync(Task task, CancellationToken token)
    {
        try
        {
            await task.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!task.IsCompleted)
        {
            _ = task.ContinueWith(
                static (t, state) => DispatchLoopLog.AbandonedListenerFailed(((EventDispatchLoop)state!)._logger, t.Exception!),
                this, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
        catch (OperationCanceledException)
        {
            // The listener finished while the wait gave up: its own outcome counts, so a listener that completed is
            // never reported as pending (replaying the event would run it twice).
        }
        await task.ConfigureAwait(false);
    }

    /// <summary>
    /// A call into the idempotency store that a stop does not wait for beyond its cancellation, even if the store
    /// ignores its token: a stuck store must not hold a stop hostage. Completed calls pass through without a task.
    /// </summary>
    private ValueTask<bool> BoundedByStop(ValueTask<bool> call) =>
        call.IsCompleted ? call : new ValueTask<bool>(call.AsTask().WaitAsync(_abortToken));

    /// <inheritdoc cref="BoundedByStop(ValueTask{bool})"/>
    private ValueTask BoundedByStop(ValueTask call) =>
        call.IsCompleted ? call : new ValueTask(call.AsTask().WaitAsync(_abortToken));

    /// <summary>Ends when an abandoned call ends; marks the listener completed for the event id if the call succeeded.</summary>
    private async Task FenceAsync(Task abandoned, string eventId, string listenerName)
    {
        try
        {
            await abandoned.ConfigureAwait(false);
        }
        catch
        {
            return; // already logged by the abandoning wait; the next attempt runs the listener again
        }
        try
        {
            await _idempotency.MarkCompletedAsync(eventId, listenerName, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            DispatchLoopLog.MarkCompletedFailed(_logger, ex, listenerName, "(abandoned call)", eventId);
        }
    }

    /// <summary>Removes a fence once it ended (registered after it is stored, so it never leaves a stale entry).</summary>
    private async Task ForgetFenceAsync((string EventId, string Listener) key, Task fence)
    {
        await fence.ConfigureAwait(false); // never faults: FenceAsync catches everything
        _abandoned.TryRemove(new KeyValuePair<(string, string), Task>(key, fence));
    }

    /// <summary>
    /// Waits, for at most one delivery timeout, for an abandoned call of the same listener and event id: a call
    /// still running after that fails this attempt with a timeout without running the listener a second time.
    /// </summary>
    private async ValueTask<AttemptResult> AwaitFenceAsync(Task fence, ListenerInfo listener, Envelope envelope)
    {
        try
        {
            await fence.WaitAsync(_deliveryTimeout, _time, _abortToken).ConfigureAwait(false);
            return AttemptResult.Succeeded;
        }
        catch (OperationCanceledException) when (_abortToken.IsCancellationRequested)
        {
            return AttemptResult.Aborted;
        }
        catch (TimeoutException ex)
        {
            return new AttemptResult(Outcome.Failed, new TimeoutException(
                $"Listener {listener.Name} was still running an earlier, timed-out call for event '{envelope.Route.EventName}' after {_deliveryTimeout}.", ex));
        }
    }

    /// <summary>An OperationCanceledException caused by the loop's own stop is an interruption, not a failure.</summary>
    private AttemptResult Classify(Exception exception) =>
        exception is OperationCanceledException && _abortToken.IsCancellationRequested
            ? AttemptResult.Aborted
            : new AttemptResult(Outcome.Failed, exception);

    private RetryPolicy PolicyFor(ListenerInfo listener) =>
        _listenerRetryPolicies.Count > 0 && _listenerRetryPolicies.TryGetValue(listener.ListenerType, out var policy)
            ? policy
            : _retryPolicy;

    /// <summary>The failure path: retries each failed listener alone on its own backoff schedule until it succeeds, gives up, or the loop stops.</summary>
    private async ValueTask RetryAsync(Lane lane, PendingDelivery delivery)
    {
        var envelope = delivery.Envelope;
        var route = envelope.Route;
        var slots = envelope.SlotCount;

        // The first attempt's failures: schedule a retry or give up at once.
        for (var index = 0; index < slots; index++)
        {
            if (delivery.States[index] == ListenerState.Failed)
            {
                await ScheduleOrGiveUpAsync(delivery, index).ConfigureAwait(false);
            }
        }

        while (true)
        {
            if (_abortToken.IsCancellationRequested)
            {
                delivery.AbortRetrying();
            }
            if (!delivery.TryGetNextDue(out var due))
            {
                break;
            }
            var wait = due - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _time, _abortToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    continue; // the stop interrupted the backoff: the loop top marks what is left as undelivered
                }
            }

            AsyncServiceScope scope = default;
            IServiceProvider? services = null;
            var scoped = route.RequiresScope && _services is not null;
            if (scoped)
            {
                scope = _services!.CreateAsyncScope();
                services = scope.ServiceProvider;
            }
            try
            {
                var now = _time.GetUtcNow();
                for (var index = 0; index < slots; index++)
                {
                    if (delivery.States[index] != ListenerState.Retrying || delivery.Due[index] > now)
                    {
                        continue;
                    }
                    LaneCounters.Increment(ref lane.Counters.Retries);
                    var result = await AttemptAsync(lane, envelope, index, services, delivery.Attempts[index] + 1).ConfigureAwait(false);
                    switch (result.Outcome)
                    {
                        case Outcome.Succeeded:
                        case Outcome.Skipped:
                            delivery.States[index] = ListenerState.Done;
                            break;
                        case Outcome.Aborted:
                            delivery.States[index] = ListenerState.Undelivered;
                            break;
                        default:
                            delivery.Attempts[index]++;
                            delivery.Errors[index] = result.Exception;
                            delivery.States[index] = ListenerState.Failed;
                            await ScheduleOrGiveUpAsync(delivery, index).ConfigureAwait(false);
                            break;
                    }
                }
            }
            finally
            {
                if (scoped)
                {
                    await DisposeScopeAsync(scope, route).ConfigureAwait(false);
                }
            }
        }

        // One outcome per event: undelivered beats dead-lettered beats handled.
        List<ListenerInfo>? undelivered = null;
        var deadLettered = false;
        for (var i = 0; i < slots; i++)
        {
            switch (delivery.States[i])
            {
                case ListenerState.Undelivered:
                    (undelivered ??= new()).Add(envelope.InfoAt(i));
                    break;
                case ListenerState.DeadLettered:
                    deadLettered = true;
                    break;
            }
        }
        if (undelivered is not null)
        {
            ReturnUndelivered(lane, envelope.Event, route, envelope.EventId, undelivered);
        }
        else if (deadLettered)
        {
            LaneCounters.Increment(ref lane.Counters.DeadLettered);
            JournalCompleted(in envelope);
        }
        else
        {
            LaneCounters.Increment(ref lane.Counters.Handled);
            JournalCompleted(in envelope);
        }
    }

    private async ValueTask ScheduleOrGiveUpAsync(PendingDelivery delivery, int index)
    {
        var envelope = delivery.Envelope;
        var listener = envelope.InfoAt(index);
        var policy = PolicyFor(listener);
        var attempts = delivery.Attempts[index];
        var exception = delivery.Errors[index]!;
        var tags = new TagList
        {
            { "messaging.destination.name", envelope.Route.EventName },
            { "eventrouter.listener", listener.Name },
        };
        if (attempts >= policy.MaxAttempts)
        {
            Telemetry.DeadLettered.Add(1, tags);
            Telemetry.Mark("dead_letter", envelope.Route.EventName, envelope.Parent, envelope.Event, listener.Name, attempts, exception);
            delivery.States[index] = ListenerState.DeadLettered;
            var letter = new DeadLetter(envelope.Event, envelope.Route.EventName, envelope.EventId, listener, exception, attempts);
            try
            {
                var write = _deadLetters.WriteAsync(letter, _abortToken);
                if (write.IsCompleted)
                {
                    write.GetAwaiter().GetResult();
                }
                else
                {
                    await WaitForListenerAsync(write, _abortToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_abortToken.IsCancellationRequested)
            {
                // The stop gave up on a sink that did not finish (it may ignore its token): the sink never confirmed
                // the letter, so the event goes back to the caller of the stop with this listener still pending.
                delivery.States[index] = ListenerState.Undelivered;
            }
            catch (Exception ex)
            {
                DispatchLoopLog.DeadLetterSinkFailed(_logger, ex, letter.EventName, letter.EventId, listener.Name, attempts);
                DispatchLoopLog.DeadLettered(_logger, letter.EventName, letter.EventId, listener.Name, attempts, exception);
            }
            return;
        }
        var delay = policy.GetDelay(attempts, Random.Shared.NextDouble());
        delivery.Due[index] = _time.GetUtcNow() + delay;
        delivery.States[index] = ListenerState.Retrying;
        if (envelope.IsJournaled && !envelope.IsSubscription(index))
        {
            await JournalRetryAsync(envelope, listener.Name, attempts, delivery.Due[index]).ConfigureAwait(false);
        }
        Telemetry.Retried.Add(1, tags);
        Telemetry.Mark("retry", envelope.Route.EventName, envelope.Parent, envelope.Event, listener.Name, attempts, exception);
        DispatchLoopLog.Retrying(_logger, exception, listener.Name, envelope.Route.EventName, attempts, policy.MaxAttempts, delay);
    }

    private async ValueTask DisposeScopeAsync(AsyncServiceScope scope, EventRoute route)
    {
        try
        {
            await scope.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            DispatchLoopLog.ScopeDisposeFailed(_logger, ex, route.EventName);
        }
    }

    private enum ListenerState : byte
    {
        Done,
        Failed,
        Retrying,
        DeadLettered,
        Undelivered,
    }

    /// <summary>Per-listener state of an event that had a failure; created only then.</summary>
    private sealed class PendingDelivery
    {
        public PendingDelivery(Envelope envelope)
        {
            Envelope = envelope;
            var count = envelope.SlotCount;
            States = new ListenerState[count];
            Attempts = new int[count];
            Due = new DateTimeOffset[count];
            Errors = new Exception?[count];
        }

        public Envelope Envelope { get; }

        public ListenerState[] States { get; }

        public int[] Attempts { get; }

        public DateTimeOffset[] Due { get; }

        public Exception?[] Errors { get; }

        public void Record(int index, AttemptResult result)
        {
            if (result.Outcome == Outcome.Aborted)
            {
                States[index] = ListenerState.Undelivered;
                return;
            }
            States[index] = ListenerState.Failed;
            Attempts[index] = 1;
            Errors[index] = result.Exception;
        }

        /// <summary>A listener that waited for a retry before a restart: retrying again, with its failed attempts counted.</summary>
        public void Resume(int index, JournaledRetry retry)
        {
            States[index] = ListenerState.Retrying;
            Attempts[index] = retry.FailedAttempts;
            Due[index] = retry.DueAt;
        }

        public void AbortRetrying()
        {
            for (var i = 0; i < States.Length; i++)
            {
                if (States[i] is ListenerState.Retrying or ListenerState.Failed)
                {
                    States[i] = ListenerState.Undelivered;
                }
            }
        }

        public bool TryGetNextDue(out DateTimeOffset due)
        {
            due = DateTimeOffset.MaxValue;
            var any = false;
            for (var i = 0; i < States.Length; i++)
            {
                if (States[i] == ListenerState.Retrying && Due[i] < due)
                {
                    due = Due[i];
                    any = true;
                }
            }
            return any;
        }
    }
}
