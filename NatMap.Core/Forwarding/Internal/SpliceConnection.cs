using System.Net;
using System.Net.Sockets;

namespace NatMap.Forwarding.Internal;

/// <summary>A connection relayed by the <see cref="SpliceEventLoop"/>; its state is touched only by that loop's thread.</summary>
internal sealed class SpliceConnection
{
    public SpliceConnection(Socket client, Socket target, IPEndPoint targetEndPoint, bool connecting)
    {
        Client = client;
        Target = target;
        TargetEndPoint = targetEndPoint;
        RemoteEndPoint = client.RemoteEndPoint;
        ClientFd = (int)client.SafeHandle.DangerousGetHandle();
        TargetFd = (int)target.SafeHandle.DangerousGetHandle();
        Connecting = connecting;
        Created = Environment.TickCount64;
        LastActivity = Created;
        Up = new SpliceDirection(ClientFd, TargetFd, toTarget: true);
        Down = new SpliceDirection(TargetFd, ClientFd, toTarget: false);
    }

    public Socket Client { get; }

    public Socket Target { get; }

    public int ClientFd { get; }

    public int TargetFd { get; }

    public IPEndPoint TargetEndPoint { get; }

    public EndPoint? RemoteEndPoint { get; }

    public SpliceDirection Up { get; }

    public SpliceDirection Down { get; }

    public bool Connecting { get; set; }

    public long Created { get; }

    public long LastActivity { get; set; }

    public int Slot { get; set; } = -1;

    public string? FailureReason { get; set; }

    public bool ConnectFailed { get; set; }

    public bool IsFinished => FailureReason is not null || (Up.ShutdownSent && Down.ShutdownSent);
}
