using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using NatMap.Forwarding.Internal;
using NatMap.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding;

/// <summary>The splice engine's side of the forwarder: choosing it, and handing connections to its event loop.</summary>
public sealed partial class TcpForwarder
{
    private TcpRelayEngine ChooseEngine()
    {
        switch (_options.Engine)
        {
            case TcpRelayEngine.Managed:
                return TcpRelayEngine.Managed;
            case TcpRelayEngine.Splice:
                if (!LinuxIo.IsSpliceAvailable())
                {
                    ThrowHelper.Throw(NatMapErrorKind.NotSupported, "The splice relay engine needs Linux with splice(2).");
                }

                return TcpRelayEngine.Splice;
            default:
                if (LinuxIo.IsSpliceAvailable())
                {
                    return TcpRelayEngine.Splice;
                }

                ForwardingLog.SpliceUnavailable(_logger);
                return TcpRelayEngine.Managed;
        }
    }

    private void StartSpliceNow(Socket client, IPEndPoint targetEndPoint, SocketAddress targetAddress)
    {
        Socket? target = null;
        bool handedOff = false;
        try
        {
            target = CreateTargetSocket(client, _resolver!.Literal!.AddressFamily);
            handedOff = StartSplice(client, target, targetEndPoint, targetAddress);
        }
        catch (SocketException ex)
        {
            Interlocked.Increment(ref _counters.Failed);
            ForwardingLog.TargetUnreachable(_logger, _resolver!.Host + ":" + _resolver.Port, client.RemoteEndPoint, ex.SocketErrorCode.ToString());
        }
        finally
        {
            if (!handedOff)
            {
                target?.Dispose();
                client.Dispose();
                Interlocked.Decrement(ref _counters.Active);
            }
        }
    }

    /// <summary>
    /// Starts the non-blocking connect to the target and hands both sockets to the event loop.
    /// connect(2) is called directly on the descriptor: Socket.Connect on a non-blocking socket
    /// reports "in progress" by throwing, an exception and its stack trace for every connection.
    /// </summary>
    private unsafe bool StartSplice(Socket client, Socket target, IPEndPoint targetEndPoint, SocketAddress targetAddress)
    {
        int targetFd = (int)target.SafeHandle.DangerousGetHandle();
        if (!LinuxIo.TrySetNonBlocking(targetFd) || !LinuxIo.TrySetNonBlocking((int)client.SafeHandle.DangerousGetHandle()))
        {
            throw new SocketException((int)SocketError.SocketError);
        }

        bool connecting = false;
        int result;
        fixed (byte* address = targetAddress.Buffer.Span)
        {
            result = LinuxIo.Connect(targetFd, address, targetAddress.Size);
        }

        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is not (LinuxIo.EINPROGRESS or LinuxIo.EAGAIN or LinuxIo.EINTR))
            {
                throw new SocketException((int)SocketErrorClassifier.FromErrno(errno));
            }

            connecting = true;
        }

        var connection = new SpliceConnection(client, target, targetEndPoint, connecting);
        return _spliceLoop!.Add(connection);
    }

    private void OnSpliceConnectionClosed(SpliceConnection connection)
    {
        Interlocked.Decrement(ref _counters.Active);
        if (connection.ConnectFailed)
        {
            Interlocked.Increment(ref _counters.Failed);
            ForwardingLog.TargetUnreachable(_logger, connection.TargetEndPoint.ToString(), connection.RemoteEndPoint, connection.FailureReason ?? "");
        }
        else
        {
            ForwardingLog.TcpConnectionEnded(_logger, connection.RemoteEndPoint, connection.FailureReason ?? "closed");
        }
    }
}
