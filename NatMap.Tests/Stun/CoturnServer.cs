using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NatMap.Stun.Internal;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Stun;

/// <summary>
/// A real coturn (<c>turnserver</c>) on 127.0.0.1 and ::1 for <see cref="StunServerTests"/>, started
/// once per test class. It listens on a free port and the next one (coturn's RFC 5780 alternate
/// port). Readiness is a Binding answer over UDP and a TCP connect on both families, never a sleep.
/// </summary>
public sealed class CoturnServer : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly string _directory = Directory.CreateTempSubdirectory("natmap-coturn-").FullName;
    private readonly System.Text.StringBuilder _log = new();
    private Process? _process;

    /// <summary>The port coturn listens on (UDP and TCP, both families).</summary>
    public int Port { get; private set; }

    /// <summary>Why the server is not available, or null when it runs.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>What coturn printed so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async ValueTask InitializeAsync()
    {
        string? path = Requirements.FindOnPath("turnserver");
        if (path is null)
        {
            Unavailable = "needs the 'turnserver' command on PATH (coturn; ./scripts/test.sh, run as root, installs it)";
            return;
        }

        if (!Socket.OSSupportsIPv6)
        {
            Unavailable = "needs IPv6 on loopback (::1)";
            return;
        }

        // The free port is only known free when probed; another test on the machine may take it
        // before coturn binds it, so a start that never becomes ready is retried on a new port.
        for (int attempt = 1; ; attempt++)
        {
            Port = FindFreePortPair();
            var process = _process = Start(path);
            using var timeout = new CancellationTokenSource(StartTimeout);
            try
            {
                await WaitReadyAsync(process, timeout.Token);
                return;
            }
            catch (Exception ex) when (attempt < 3 && ex is OperationCanceledException or InvalidOperationException)
            {
                Stop();
            }
            catch (OperationCanceledException)
            {
                throw new InvalidOperationException("coturn did not answer within " + StartTimeout + " on port " + Port + ". Its log:\n" + Log);
            }
        }
    }

    private Process Start(string path)
    {
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var argument in new[]
        {
            "-n", "-S", "--no-tls", "--no-dtls", "--no-cli",
            "-L", "127.0.0.1", "-L", "::1",
            "--listening-port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--log-file", "stdout", "--simple-log",
            "--pidfile", Path.Combine(_directory, "turnserver.pid"),
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("turnserver did not start");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Stop()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        process.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // coturn may still hold its pid file for a moment; a temp folder left behind is harmless.
        }

        return ValueTask.CompletedTask;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private async Task WaitReadyAsync(Process process, CancellationToken cancellationToken)
    {
        foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            var server = new IPEndPoint(address, Port);
            while (!await UdpAnswersAsync(server) || !await TcpAcceptsAsync(server))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (process.HasExited)
                {
                    throw new InvalidOperationException("coturn exited with code " + process.ExitCode + ". Its log:\n" + Log);
                }
            }
        }
    }

    // Each probe waits for an answer up to 200 ms; the loop around it is the readiness poll.
    private static async Task<bool> UdpAnswersAsync(IPEndPoint server)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var transaction = StunBindingTransaction.Create();
        await socket.SendToAsync(transaction.Request, SocketFlags.None, server);
        var buffer = new byte[2048];
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        try
        {
            while (true)
            {
                var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(server.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0), timeout.Token);
                if (transaction.Accept(buffer.AsSpan(0, received.ReceivedBytes), out _) == StunAcceptResult.Success)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<bool> TcpAcceptsAsync(IPEndPoint server)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        try
        {
            await socket.ConnectAsync(server, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A port free for UDP and TCP on 127.0.0.1 and ::1, whose successor is free too.</summary>
    private static int FindFreePortPair()
    {
        // Other test classes run at the same time and may hold thousands of ephemeral ports (the
        // idle-connection and churn tests), so a free pair can take many draws.
        for (int attempt = 0; attempt < 5000; attempt++)
        {
            int port;
            using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }

            if (port < IPEndPoint.MaxPort && IsFree(port) && IsFree(port + 1))
            {
                return port;
            }
        }

        throw new InvalidOperationException("no free loopback port pair found");
    }

    private static bool IsFree(int port)
    {
        var sockets = new List<Socket>();
        try
        {
            foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
            {
                foreach (var (type, protocol) in new[] { (SocketType.Dgram, ProtocolType.Udp), (SocketType.Stream, ProtocolType.Tcp) })
                {
                    var socket = new Socket(address.AddressFamily, type, protocol);
                    sockets.Add(socket);
                    socket.Bind(new IPEndPoint(address, port));
                }
            }

            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }
}
