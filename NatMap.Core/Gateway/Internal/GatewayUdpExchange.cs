using System.Net;
using System.Net.Sockets;
using NatMap.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Gateway.Internal;

/// <summary>
/// One request to a PCP or NAT-PMP server and its answer, over a fresh UDP socket connected to the
/// gateway's port 5351: sent again after 250 ms, doubling (RFC 6886 section 3.1, RFC 6887 section
/// 8.1.1), a bounded number of times. Only datagrams from the gateway's port that the caller accepts
/// end the wait; an ICMP port unreachable (no daemon) fails at once. The socket comes from the
/// caller's factory, which binds it to the <c>-i</c> interface.
/// </summary>
internal static class GatewayUdpExchange
{
    public static readonly TimeSpan InitialTimeout = TimeSpan.FromMilliseconds(250);

    public const int DefaultAttempts = 4;

    private const int ReceiveBufferSize = 1100;

    /// <summary>The answer the caller accepted (a copy), and the local endpoint it was sent from.</summary>
    public static async Task<(byte[] Answer, IPEndPoint Local)> ExchangeAsync(
        IPEndPoint server,
        IPAddress? localAddress,
        BoundSocketFactory sockets,
        Func<IPAddress, byte[]> buildRequest,
        Func<ReadOnlyMemory<byte>, bool> accept,
        int attempts,
        string protocolName,
        CancellationToken cancellationToken)
    {
        // The -i interface missing is that protocol's failure too (a NatMapException, BindFailed).
        using var socket = sockets.Create(server.AddressFamily, ProtocolType.Udp, shareLocalPort: false);
        var any = server.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
        try
        {
            // The -i address may be gone (a DHCP renumbering): a failure of this protocol, not of the mapper.
            socket.Bind(new IPEndPoint(localAddress ?? any, 0));
            await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            return ThrowHelper.Throw<(byte[], IPEndPoint)>(NatMapErrorKind.GatewayUnavailable, protocolName + " server " + server + " cannot be reached: " + ex.Message, ex);
        }

        var local = (IPEndPoint)socket.LocalEndPoint!;
        var request = buildRequest(local.Address);
        var buffer = new byte[ReceiveBufferSize];
        var wait = InitialTimeout;
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(wait);
            try
            {
                await socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                while (true)
                {
                    int length = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    var answer = buffer.AsMemory(0, length);
                    if (accept(answer))
                    {
                        return (answer.ToArray(), local);
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                wait += wait;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.NetworkUnreachable or SocketError.HostUnreachable)
            {
                return ThrowHelper.Throw<(byte[], IPEndPoint)>(NatMapErrorKind.GatewayUnavailable, protocolName + " server " + server + " does not answer: " + ex.Message, ex);
            }
        }

        return ThrowHelper.Throw<(byte[], IPEndPoint)>(NatMapErrorKind.GatewayUnavailable, protocolName + " server " + server + " did not answer " + attempts + " requests");
    }
}
