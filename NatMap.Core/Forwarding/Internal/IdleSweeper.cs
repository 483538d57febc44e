namespace NatMap.Forwarding.Internal;

/// <summary>
/// The idle sweep shared by the forwarders: every quarter of the timeout (10 ms to 1 s) it asks the
/// owner for what has been quiet longer than the timeout, then closes those outside the owner's lock.
/// </summary>
internal static class IdleSweeper
{
    /// <summary>How often to sweep for a timeout of <paramref name="timeoutMilliseconds"/>: a quarter of it, 10 ms to 1 s (the event loops sweep on their own threads at the same pace).</summary>
    public static int IntervalMilliseconds(long timeoutMilliseconds) => (int)Math.Clamp(timeoutMilliseconds / 4, 10, 1000);

    /// <summary>Sweeps until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="idleTimeout">How long an item may stay quiet; finite and positive.</param>
    /// <param name="collectIdle">Adds to the list every item whose last activity (<see cref="Environment.TickCount64"/>) is before the cutoff.</param>
    /// <param name="close">Closes one idle item.</param>
    /// <param name="cancellationToken">Stops the sweep.</param>
    /// <typeparam name="T">What is swept: connections or sessions.</typeparam>
    /// <returns>A task that ends when the sweep stops.</returns>
    public static async Task RunAsync<T>(TimeSpan idleTimeout, Action<long, List<T>> collectIdle, Action<T> close, CancellationToken cancellationToken)
    {
        long idle = (long)idleTimeout.TotalMilliseconds;
        var expired = new List<T>();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(IntervalMilliseconds(idle)));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                collectIdle(Environment.TickCount64 - idle, expired);
                foreach (var item in expired)
                {
                    close(item);
                }

                expired.Clear();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
