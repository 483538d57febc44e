using System.Net;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// What a <see cref="TcpForwarder"/> tracks of each connection it holds, whatever is on the other
/// side (a target socket, or the app's pipes): when bytes last moved, for the idle sweep, and a
/// way to close it from any thread, for the sweep and for stopping.
/// </summary>
internal abstract class RelayedConnection
{
    private long _lastActivity = Environment.TickCount64;
    private int _aborted;
    private string? _abortReason;

    /// <summary>The peer that connected.</summary>
    public EndPoint? RemoteEndPoint { get; protected set; }

    public long LastActivity => Volatile.Read(ref _lastActivity);

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>The reason given by the first <see cref="Abort"/>, if any.</summary>
    public string? AbortReason => Volatile.Read(ref _abortReason);

    /// <summary>Notes that bytes moved now.</summary>
    public void Touch() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    /// <summary>
    /// Closes the connection, which ends its loops; safe from any thread, more than once. A reason
    /// (idle timeout, forwarder stopped) given by the first call is the one the connection ends with.
    /// </summary>
    public void Abort(string? reason = null)
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            Volatile.Write(ref _abortReason, reason);
            OnAbort();
        }
    }

    /// <summary>Closes the sockets and wakes the loops; called once.</summary>
    protected abstract void OnAbort();

    /// <summary>Makes a pooled connection new again.</summary>
    protected void ResetState()
    {
        Volatile.Write(ref _abortReason, null);
        Volatile.Write(ref _aborted, 0);
        Touch();
    }
}
