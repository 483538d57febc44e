using System.Net.Sockets;
using NatMap.Forwarding.Internal;

namespace NatMap.Forwarding;

/// <summary>In-process serving: accepted connections go to the app as pipes instead of to a target.</summary>
public sealed partial class TcpForwarder
{
    /// <summary>
    /// In-process serving: hands the accepted socket to the app as pipes. The connection counts
    /// against the limit and is swept when idle from now on, accepted by the app or not yet.
    /// </summary>
    private void Serve(Socket client)
    {
        PrepareSocket(client);
        var connection = new ServedConnection(client, _buffers, _counters);
        lock (_gate)
        {
            _managed.Add(connection);
            connection.Start();
            Track(EndTrackedAsync(connection, connection.Completion));
        }

        _serve!(new TcpPipeConnection(connection));
    }

    /// <summary>Waits for a tracked connection to end, then stops counting and tracking it.</summary>
    private async Task EndTrackedAsync(RelayedConnection connection, Task<string> completion)
    {
        string reason;
        try
        {
            reason = await completion.ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _managed.Remove(connection);
            }

            Interlocked.Decrement(ref _counters.Active);
        }

        ForwardingLog.TcpConnectionEnded(_logger, connection.RemoteEndPoint, reason);
    }
}
