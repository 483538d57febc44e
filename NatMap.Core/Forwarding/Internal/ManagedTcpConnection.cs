using System.Net;
using System.Net.Sockets;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// One relayed connection for the managed engine: a loop per direction that waits with a
/// zero-byte receive (so an idle direction holds no buffer), then rents a pooled buffer for as
/// long as data keeps coming. Nothing is allocated per read or write: socket ValueTasks reuse the
/// socket's cached operation objects and each loop's state machine is boxed once.
/// </summary>
internal sealed class ManagedTcpConnection
{
    private readonly Socket _client;
    private readonly Socket _target;
    private readonly TcpRelayCounters _counters;
    private readonly RelayBufferPool _pool;
    private readonly int _bufferSize;
    private long _lastActivity;
    private int _aborted;
    private string? _abortReason;

    public ManagedTcpConnection(Socket client, Socket target, TcpRelayCounters counters, RelayBufferPool pool, int bufferSize)
    {
        _client = client;
        _target = target;
        _counters = counters;
        _pool = pool;
        _bufferSize = bufferSize;
        RemoteEndPoint = client.RemoteEndPoint;
        _lastActivity = Environment.TickCount64;
    }

    public EndPoint? RemoteEndPoint { get; }

    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>Relays both directions until both have finished (FIN each way) or one fails.</summary>
    public async Task<string> RunAsync()
    {
        Task<string?> up = RelayAsync(_client, _target, toTarget: true);
        Task<string?> down = RelayAsync(_target, _client, toTarget: false);
        string? upReason = await up.ConfigureAwait(false);
        string? downReason = await down.ConfigureAwait(false);
        Abort();
        return Volatile.Read(ref _abortReason) ?? upReason ?? downReason ?? "closed";
    }

    /// <summary>
    /// Closes both sockets, which ends both loops; safe from any thread, more than once. A reason
    /// (idle timeout, forwarder stopped) given by the first call is the one the connection ends with.
    /// </summary>
    public void Abort(string? reason = null)
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            Volatile.Write(ref _abortReason, reason);
            _client.Dispose();
            _target.Dispose();
        }
    }

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    private async Task<string?> RelayAsync(Socket source, Socket destination, bool toTarget)
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    await source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    buffer = _pool.Rent();
                }

                int received = await source.ReceiveAsync(buffer.AsMemory(0, _bufferSize), SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    // Half-close: pass the FIN on and keep the other direction running.
                    destination.Shutdown(SocketShutdown.Send);
                    return null;
                }

                Volatile.Write(ref _lastActivity, Environment.TickCount64);
                int sent = 0;
                while (sent < received)
                {
                    sent += await destination.SendAsync(buffer.AsMemory(sent, received - sent), SocketFlags.None).ConfigureAwait(false);
                }

                Volatile.Write(ref _lastActivity, Environment.TickCount64);
                if (toTarget)
                {
                    Interlocked.Add(ref _counters.BytesToTarget, received);
                }
                else
                {
                    Interlocked.Add(ref _counters.BytesFromTarget, received);
                }

                if (received < _bufferSize)
                {
                    // The socket is probably drained: give the buffer back before waiting again.
                    _pool.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (SocketException ex)
        {
            Abort();
            return ex.SocketErrorCode.ToString();
        }
        catch (ObjectDisposedException)
        {
            Abort();
            return IsAborted ? "aborted" : "disposed";
        }
        finally
        {
            if (buffer is not null)
            {
                _pool.Return(buffer);
            }
        }
    }
}
