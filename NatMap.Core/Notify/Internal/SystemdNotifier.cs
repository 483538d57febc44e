using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace NatMap.Notify.Internal;

/// <summary>
/// The sd_notify protocol (sd_notify(3)), without libsystemd: datagrams of <c>KEY=value</c> lines to
/// the unix socket named by <c>NOTIFY_SOCKET</c> (a path, or an abstract name after <c>@</c>).
/// <c>WATCHDOG_USEC</c> (for this process: <c>WATCHDOG_PID</c> unset or ours) starts a timer that
/// sends <c>WATCHDOG=1</c> every half interval, as sd_watchdog_enabled(3) advises. Sending never
/// throws: a service manager that went away must not stop the mapping.
/// </summary>
internal sealed class SystemdNotifier : IDisposable
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _endPoint;
    private readonly Timer? _watchdog;

    private SystemdNotifier(string socketName, TimeSpan? watchdogInterval)
    {
        // An abstract socket's name starts with a NUL byte where NOTIFY_SOCKET has '@'.
        _endPoint = new UnixDomainSocketEndPoint(socketName[0] == '@' ? "\0" + socketName[1..] : socketName);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        if (watchdogInterval is { } interval)
        {
            WatchdogInterval = interval / 2;
            _watchdog = new Timer(_ => Send("WATCHDOG=1"), null, TimeSpan.Zero, WatchdogInterval.Value);
        }
    }

    /// <summary>How often WATCHDOG=1 is sent, or null without a watchdog.</summary>
    public TimeSpan? WatchdogInterval { get; }

    /// <summary>The notifier that the environment asks for, or null when <c>NOTIFY_SOCKET</c> is unset or empty.</summary>
    public static SystemdNotifier? FromEnvironment(Func<string, string?> environment)
    {
        var socket = environment("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(socket))
        {
            return null;
        }

        TimeSpan? watchdog = null;
        var pid = environment("WATCHDOG_PID");
        if (long.TryParse(environment("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out long usec) && usec > 0
            && (string.IsNullOrEmpty(pid) || pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture)))
        {
            watchdog = TimeSpan.FromMicroseconds(usec);
        }

        return new SystemdNotifier(socket, watchdog);
    }

    /// <summary>Sends one notification (lines joined by newlines); false when it could not be sent.</summary>
    public bool Send(string message)
    {
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(message), SocketFlags.None, _endPoint);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>A STATUS= value is one line: systemctl status shows it as is.</summary>
    public static string Status(string text) => "STATUS=" + text.ReplaceLineEndings(" ");

    public void Dispose()
    {
        _watchdog?.Dispose();
        _socket.Dispose();
    }
}
