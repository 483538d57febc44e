using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Internal;

namespace NatMap.Sockets.Internal;

/// <summary>
/// Creates the mapper's sockets with the platform options applied. An option the OS lacks or refuses is
/// logged once as a warning and otherwise ignored, as the original tool does; except an interface
/// (<c>-i</c>) that does not exist yet, such as <c>pppoe-wan</c> before the link is up: a socket
/// without it would map through whatever interface the routing picks, so none is created until the
/// interface appears (said once as a warning, and once more when it is there).
/// </summary>
internal sealed class BoundSocketFactory
{
    private const int WarnedReuse = 1;
    private const int WarnedDevice = 2;
    private const int WarnedMark = 4;
    private const int WarnedCongestion = 8;
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;

    private readonly SocketSettings _settings;
    private readonly ILogger _logger;
    private int _warned;
    private int _interfaceMissing;

    public BoundSocketFactory(SocketSettings settings, ILogger logger)
    {
        _settings = settings;
        _logger = logger;
    }

    /// <summary>A factory that applies no platform option, for sockets the caller did not configure.</summary>
    public static BoundSocketFactory Plain { get; } = new(SocketSettings.None, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    /// <summary>A new, unbound socket; <paramref name="shareLocalPort"/> sets SO_REUSEADDR and SO_REUSEPORT.</summary>
    /// <exception cref="NatMapException">The interface named by <c>-i</c> does not exist now (<see cref="NatMapErrorKind.BindFailed"/>).</exception>
    public Socket Create(AddressFamily family, ProtocolType protocol, bool shareLocalPort)
    {
        var socket = new Socket(family, protocol == ProtocolType.Tcp ? SocketType.Stream : SocketType.Dgram, protocol);
        try
        {
            if (family == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            string? reason;
            if (shareLocalPort && !LinuxSocketOptions.TrySetReuseAddressAndPort(socket, out reason) && FirstWarning(WarnedReuse))
            {
                SocketsLog.ReusePortUnavailable(_logger, reason);
            }

            if (_settings.BindInterface is { } device)
            {
                BindToDevice(socket, device);
            }

            if (_settings.FirewallMark is { } mark && !LinuxSocketOptions.TrySetMark(socket, mark, out reason) && FirstWarning(WarnedMark))
            {
                SocketsLog.MarkUnavailable(_logger, mark, reason);
            }

            if (protocol == ProtocolType.Tcp && _settings.CongestionControl is { } algorithm
                && !LinuxSocketOptions.TrySetCongestionControl(socket, algorithm, out reason) && FirstWarning(WarnedCongestion))
            {
                SocketsLog.CongestionControlUnavailable(_logger, algorithm, reason);
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Whether the last socket asked for found no interface named by <c>-i</c>.</summary>
    public bool InterfaceMissing => Volatile.Read(ref _interfaceMissing) != 0;

    /// <summary>
    /// Whether the interface <paramref name="socket"/> was bound to by <c>-i</c> is gone: deleted (the
    /// kernel no longer knows its index) or renamed. SO_BINDTODEVICE binds an interface index, so a
    /// device deleted and created again under the same name is a different one to the socket.
    /// </summary>
    public bool IsDeviceGone(Socket socket)
    {
        if (_settings.BindInterface is not { } device || !OperatingSystem.IsLinux())
        {
            return false;
        }

        Span<byte> name = stackalloc byte[32];
        string? now;
        try
        {
            int length = socket.GetRawSocketOption(SolSocket, SoBindToDevice, name);
            now = System.Text.Encoding.UTF8.GetString(name[..length]).TrimEnd('\0');
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            now = null;
        }

        if (now == device)
        {
            return false;
        }

        SocketsLog.BoundInterfaceGone(_logger, device);
        return true;
    }

    private void BindToDevice(Socket socket, string device)
    {
        if (LinuxSocketOptions.TryBindToDevice(socket, device, out int errno))
        {
            if (Interlocked.Exchange(ref _interfaceMissing, 0) != 0)
            {
                SocketsLog.InterfacePresent(_logger, device);
            }

            return;
        }

        string reason = SocketErrorClassifier.DescribeErrno(errno);
        if (errno == LinuxIo.ENODEV)
        {
            if (Interlocked.Exchange(ref _interfaceMissing, 1) == 0)
            {
                SocketsLog.InterfaceMissing(_logger, device, reason);
            }

            ThrowHelper.Throw(NatMapErrorKind.BindFailed, "interface " + device + " does not exist (" + reason + ")");
        }

        if (FirstWarning(WarnedDevice))
        {
            SocketsLog.BindToDeviceUnavailable(_logger, device, reason);
        }
    }

    /// <summary>A new socket bound to <paramref name="localEndPoint"/>, with the options applied first.</summary>
    /// <exception cref="NatMapException">The bind failed (<see cref="NatMapErrorKind.BindFailed"/>, or <see cref="NatMapErrorKind.NotSupported"/> for a family or protocol the system lacks).</exception>
    public Socket Bind(IPEndPoint localEndPoint, ProtocolType protocol, bool shareLocalPort)
    {
        Socket? socket = null;
        try
        {
            socket = Create(localEndPoint.AddressFamily, protocol, shareLocalPort);
            socket.Bind(localEndPoint);
            return socket;
        }
        catch (SocketException ex)
        {
            socket?.Dispose();
            bool unsupported = ex.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.ProtocolNotSupported
                or SocketError.SocketNotSupported or SocketError.ProtocolFamilyNotSupported or SocketError.OperationNotSupported;
            return ThrowHelper.Throw<Socket>(
                unsupported ? NatMapErrorKind.NotSupported : NatMapErrorKind.BindFailed,
                "cannot bind a " + (protocol == ProtocolType.Tcp ? "TCP" : "UDP") + " socket to " + localEndPoint + ": " + SocketErrorClassifier.Describe(ex),
                ex);
        }
    }

    /// <summary>
    /// The source address the kernel picks towards <paramref name="remote"/>: a UDP socket connected
    /// there learns it without sending anything. Null when there is no route now (or the interface
    /// named by <c>-i</c> is gone).
    /// </summary>
    public IPAddress? SourceAddressTowards(IPEndPoint remote)
    {
        try
        {
            using var probe = Create(remote.AddressFamily, ProtocolType.Udp, shareLocalPort: false);
            probe.Connect(remote);
            return IPv4Mapped.Unmap(((IPEndPoint)probe.LocalEndPoint!).Address);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return null;
        }
    }

    /// <summary>Binds without throwing; the error says why it failed.</summary>
    public static bool TryBind(Socket socket, IPEndPoint localEndPoint, out SocketError error)
    {
        try
        {
            socket.Bind(localEndPoint);
            error = SocketError.Success;
            return true;
        }
        catch (SocketException ex)
        {
            error = ex.SocketErrorCode;
            return false;
        }
    }

    private bool FirstWarning(int flag) => (Interlocked.Or(ref _warned, flag) & flag) == 0;
}
