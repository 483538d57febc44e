using System.Net;
using Microsoft.Extensions.Logging;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// The control endpoints of a <see cref="UdpForwarder"/> (the STUN servers of the mapper's
/// forward-mode checks): datagrams from them go to the handler instead of being relayed. The list
/// is copied on write, so the receive loop reads it without a lock.
/// </summary>
internal sealed class UdpControlEndPoints
{
    private readonly UdpControlDatagramHandler? _handler;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private UdpControlEndPoint[] _endPoints = [];

    public UdpControlEndPoints(UdpControlDatagramHandler? handler, ILogger logger)
    {
        _handler = handler;
        _logger = logger;
    }

    public void Add(IPEndPoint endPoint)
    {
        lock (_gate)
        {
            _endPoints = [.. _endPoints, new UdpControlEndPoint(endPoint)];
        }
    }

    public bool Remove(IPEndPoint endPoint)
    {
        lock (_gate)
        {
            var kept = Array.FindAll(_endPoints, c => !c.EndPoint.Equals(endPoint));
            bool removed = kept.Length != _endPoints.Length;
            _endPoints = kept;
            return removed;
        }
    }

    /// <summary>Hands a datagram from a registered control endpoint to the handler; false when the sender is a client.</summary>
    public bool TryDeliver(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        var endPoints = Volatile.Read(ref _endPoints);
        for (int i = 0; i < endPoints.Length; i++)
        {
            if (endPoints[i].Matches(from))
            {
                Deliver(datagram, endPoints[i].EndPoint);
                return true;
            }
        }

        return false;
    }

    private void Deliver(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (_handler is null)
        {
            return;
        }

        try
        {
            _handler(datagram, from);
        }
        catch (Exception ex)
        {
            ForwardingLog.ControlHandlerFailed(_logger, ex);
        }
    }
}
