namespace NatMap.Forwarding.Internal;

/// <summary>
/// The start-once, stop-once state shared by the forwarders: a forwarder starts from new only, and
/// only the first stop of a started forwarder does the work.
/// </summary>
internal sealed class ForwarderLifecycle
{
    private const int New = 0;
    private const int Running = 1;
    private const int Stopped = 2;

    private int _state;

    /// <summary>Whether the forwarder has been started and not yet stopped.</summary>
    public bool IsRunning => Volatile.Read(ref _state) == Running;

    /// <summary>Marks the forwarder started.</summary>
    /// <exception cref="InvalidOperationException">It was started (or stopped) before.</exception>
    public void BeginStart()
    {
        if (Interlocked.CompareExchange(ref _state, Running, New) != New)
        {
            throw new InvalidOperationException("The forwarder can be started once.");
        }
    }

    /// <summary>Marks the forwarder stopped; true for the one caller that must do the stopping.</summary>
    public bool BeginStop() => Interlocked.Exchange(ref _state, Stopped) == Running;
}
