using System.IO.Pipelines;
using System.Net;
using NatMap.Forwarding.Internal;

namespace NatMap.Forwarding;

/// <summary>
/// An inbound TCP connection handed to the app as a pair of pipes (see
/// <see cref="Mapping.IMappedTcpServer.AcceptAsync"/>). <see cref="IDuplexPipe.Input"/> yields what the
/// peer sends and completes at the peer's FIN; completing <see cref="IDuplexPipe.Output"/> sends FIN
/// to the peer, and the other direction goes on (a half-close). Both directions apply
/// backpressure: a full input pipe stops reading from the socket, and a flush of the output
/// waits while the socket cannot take more.
/// </summary>
/// <remarks>
/// The connection is closed, and <see cref="IDuplexPipe.Input"/> completes with an
/// <see cref="IOException"/>, when the peer resets it, when nothing moves either way for the idle
/// timeout, and when the server stops. Dispose it when done: that completes both pipes, lets
/// what the app wrote go out followed by FIN (waiting up to 10 seconds for a peer that does not
/// read), then closes the socket; bytes the peer sends after that are answered with a reset.
/// </remarks>
public sealed class TcpPipeConnection : IAsyncDisposable
{
    private readonly ServedConnection _connection;

    internal TcpPipeConnection(ServedConnection connection)
    {
        _connection = connection;
        RemoteEndPoint = (IPEndPoint)connection.RemoteEndPoint!;
        LocalEndPoint = (IPEndPoint)connection.LocalEndPoint!;
    }

    /// <summary>The connection's byte streams: read the peer's bytes from Input, write yours to Output.</summary>
    public IDuplexPipe Transport => _connection;

    /// <summary>The peer's endpoint, as the local host sees it (behind a NAT, the NAT's public side for the peer).</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The local endpoint the connection arrived on: the mapping's local port.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Whether the connection has been closed (by the peer's reset, the idle timeout, the server stopping or disposal).</summary>
    internal bool IsClosed => _connection.IsAborted;

    /// <summary>
    /// Completes both pipes, waits (up to 10 seconds) for what the app wrote to be sent, and closes
    /// the connection. Safe to call more than once.
    /// </summary>
    /// <returns>A task that completes when the connection's socket is closed.</returns>
    public ValueTask DisposeAsync() => _connection.CloseAsync();
}
