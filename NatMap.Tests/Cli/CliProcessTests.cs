using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Cli;

/// <summary>
/// The real <c>natmap</c> executable (the apphost copied next to the tests, or NATMAP_CLI_PATH), for what cannot run
/// in-process: signals, detaching, the process's own streams. The STUN server is a loopback UDP socket
/// that never answers, so the mapper just keeps retrying.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class CliProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>The apphost next to the tests, or NATMAP_CLI_PATH (e.g. the NativeAOT build from scripts/publish-aot.sh).</summary>
    private static string NatmapPath =>
        Environment.GetEnvironmentVariable("NATMAP_CLI_PATH") is { Length: > 0 } path ? path : Path.Combine(AppContext.BaseDirectory, "natmap");

    [Theory]
    [InlineData(Posix.SigTerm)]
    [InlineData(Posix.SigInt)]
    public async Task Signal_WhileRunning_StopsCleanlyWithExitZero(int signal)
    {
        RequireLinux();
        using var silentStun = BindSilentStun(out int port);
        using var process = Start("-u", "-s", "127.0.0.1:" + port);
        try
        {
            // Readiness: the start line on stderr means the signal handlers are registered.
            var seen = await ReadUntilAsync(process.StandardError, "natmap: info: Started").WaitAsync(Timeout, TestContext.Current.CancellationToken);
            Assert.NotNull(seen);
            Assert.Equal(0, Posix.Kill(process.Id, signal));

            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
            var rest = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);

            Assert.Equal(0, process.ExitCode);
            Assert.Contains("natmap: info: Stopping", rest, StringComparison.Ordinal);
            Assert.DoesNotContain("fatal", rest, StringComparison.Ordinal);
            Assert.Equal("", await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken));
        }
        finally
        {
            KillIfRunning(process);
        }
    }

    [Fact]
    public async Task Signal_SecondWhileWaitingForScripts_EndsAtOnce()
    {
        RequireLinux();
        using var stun = BindSilentStun(out int port);
        using var stopResponder = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var responder = AnswerBindingsAsync(stun, IPEndPoint.Parse("203.0.113.1:45555"), new TaskCompletionSource<int>(), stopResponder.Token);
        var folder = Directory.CreateTempSubdirectory("natmap-signal-");
        string script = Path.Combine(folder.FullName, "hook.sh");
        string pidFile = Path.Combine(folder.FullName, "hook.pid");
        File.WriteAllText(script, $"#!/bin/sh\necho $$ > '{pidFile}'\nexec sleep 60 </dev/null >/dev/null 2>&1\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var process = Start("-v", "-u", "-s", "127.0.0.1:" + port, "-e", script);
        try
        {
            // Readiness: the script runs (it wrote its pid), so the first signal makes natmap wait for it. The
            // script lets go of natmap's pipes, or reading stderr to the end would wait for it too.
            await WaitForAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0, ready => ready);
            Assert.Equal(0, Posix.Kill(process.Id, Posix.SigTerm));
            var waiting = await ReadUntilAsync(process.StandardError, "natmap: debug: Waiting up to").WaitAsync(Timeout, TestContext.Current.CancellationToken);
            Assert.NotNull(waiting);

            // The second signal is not cancelled: its default action ends natmap without the grace period's end.
            Assert.Equal(0, Posix.Kill(process.Id, Posix.SigTerm));
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
            var rest = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);

            Assert.NotEqual(0, process.ExitCode);
            Assert.DoesNotContain("natmap: debug: Stopped", rest, StringComparison.Ordinal);
        }
        finally
        {
            KillIfRunning(process);
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out int scriptPid))
            {
                _ = Posix.Kill(scriptPid, Posix.SigTerm);
            }

            folder.Delete(recursive: true);
            await stopResponder.CancelAsync();
            await responder;
        }
    }

    [Fact]
    public async Task Udp_StunAnswers_PrintsOriginalLineFlushedWhileRunning()
    {
        RequireLinux();
        using var stun = BindSilentStun(out int port);
        using var stopResponder = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var clientPort = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var responder = AnswerBindingsAsync(stun, IPEndPoint.Parse("203.0.113.1:45555"), clientPort, stopResponder.Token);
        using var process = Start("-u", "-s", "127.0.0.1:" + port);
        try
        {
            // Read while natmap keeps running: the line must have been flushed, not left in a buffer.
            var line = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
            int localPort = await clientPort.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

            Assert.False(process.HasExited);
            Assert.NotNull(line);
            var fields = line.Split(' ');
            Assert.Equal(6, fields.Length);
            Assert.Equal(["203.0.113.1", "45555", "2001::b1f3:cb00:7101"], fields[..3]);
            Assert.Equal(localPort.ToString(System.Globalization.CultureInfo.InvariantCulture), fields[3]);
            Assert.Equal("udp", fields[4]);
            Assert.True(IPAddress.TryParse(fields[5], out var privateAddress) && privateAddress.AddressFamily == AddressFamily.InterNetwork, fields[5]);

            Assert.Equal(0, Posix.Kill(process.Id, Posix.SigTerm));
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
            Assert.Equal(0, process.ExitCode);

            // The same mapping confirmed by later checks is not printed again.
            Assert.Equal("", await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken));
        }
        finally
        {
            KillIfRunning(process);
            await stopResponder.CancelAsync();
            await responder;
        }
    }

    [Fact]
    public async Task UdpIpv6_StunAnswers_PrintsLineWithEmptyIp4pField()
    {
        RequireLinux();
        if (!Socket.OSSupportsIPv6)
        {
            Requirements.Unmet("needs IPv6 on the loopback interface");
        }

        using var stun = BindSilentStun(out int port, ipv6: true);
        using var stopResponder = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var clientPort = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var responder = AnswerBindingsAsync(stun, IPEndPoint.Parse("[2001:db8::1]:45555"), clientPort, stopResponder.Token);
        using var process = Start("-6", "-u", "-s", $"[::1]:{port}");
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
            int localPort = await clientPort.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

            Assert.NotNull(line);
            var fields = line.Split(' ');
            Assert.Equal(6, fields.Length);
            Assert.Equal(["2001:db8::1", "45555", "", localPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "udp"], fields[..5]);
            Assert.True(IPAddress.TryParse(fields[5], out var privateAddress) && privateAddress.AddressFamily == AddressFamily.InterNetworkV6, fields[5]);

            Assert.Equal(0, Posix.Kill(process.Id, Posix.SigTerm));
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            KillIfRunning(process);
            await stopResponder.CancelAsync();
            await responder;
        }
    }

    [Fact]
    public async Task BadCommandLine_RealProcess_ExitsTwoWithOneLineAndHint()
    {
        RequireLinux();
        using var process = Start("-u", "-k", "abc", "-s", "127.0.0.1");
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var stderr = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, process.ExitCode);
        Assert.Equal("natmap: -k: 'abc' is not a number of seconds\nTry 'natmap --help'.\n", stderr);
    }

    [Fact]
    public async Task Version_RealProcess_PrintsNatmapVersion()
    {
        RequireLinux();
        using var process = Start("--version");
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(0, process.ExitCode);
        Assert.StartsWith("1.0.0", await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Detach_StartsBackgroundCopyInNewSessionAndParentExits()
    {
        RequireLinux();
        using var silentStun = BindSilentStun(out int port);
        using var parent = Start("-d", "-u", "-s", "127.0.0.1:" + port);
        await parent.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var stderr = await parent.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(0, parent.ExitCode);
        var match = DetachedPid().Match(stderr);
        Assert.True(match.Success, "no pid line in: " + stderr);
        int pid = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(parent.Id, pid);
        try
        {
            // Readiness: the child calls setsid() first thing; wait until /proc shows it.
            var stat = await WaitForStatAsync(pid, s => s.Session == pid);
            Assert.NotNull(stat);
            Assert.NotEqual('Z', stat.Value.State);
            Assert.Equal(pid, stat.Value.Session);
            Assert.Equal(pid, stat.Value.ProcessGroup);
            Assert.Equal(0, stat.Value.TtyNumber);
            foreach (var fd in new[] { 0, 1, 2 })
            {
                var target = await WaitForAsync(() => new FileInfo($"/proc/{pid}/fd/{fd}").LinkTarget, t => t == "/dev/null");
                Assert.Equal("/dev/null", target);
            }

            Assert.Contains("natmap", File.ReadAllText($"/proc/{pid}/cmdline"), StringComparison.Ordinal);
        }
        finally
        {
            _ = Posix.Kill(pid, Posix.SigTerm);
            var gone = await WaitForStatAsync(pid, s => s.State is 'Z' or 'X');
            Assert.True(gone is null || gone.Value.State is 'Z' or 'X', "the background natmap did not stop on SIGTERM");
        }
    }

    private static void RequireLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            Requirements.Unmet("needs Linux (/proc, signals)");
        }
    }

    private static Socket BindSilentStun(out int port, bool ipv6 = false)
    {
        var socket = new Socket(ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
        port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        return socket;
    }

    /// <summary>A minimal STUN server: answers every Binding request with a fixed XOR-MAPPED-ADDRESS (RFC 8489 section 14.2).</summary>
    private static async Task AnswerBindingsAsync(Socket socket, IPEndPoint mapped, TaskCompletionSource<int> clientPort, CancellationToken cancellationToken)
    {
        var buffer = new byte[1500];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), cancellationToken);
                if (received.ReceivedBytes < 20 || buffer[0] != 0x00 || buffer[1] != 0x01)
                {
                    continue;
                }

                var from = (IPEndPoint)received.RemoteEndPoint;
                clientPort.TrySetResult(from.Port);
                var address = mapped.Address.GetAddressBytes();
                var response = new byte[20 + 8 + address.Length];
                response[0] = 0x01;
                response[1] = 0x01;
                response[3] = (byte)(8 + address.Length);
                buffer.AsSpan(4, 16).CopyTo(response.AsSpan(4));
                response[21] = 0x20;
                response[23] = (byte)(4 + address.Length);
                response[25] = address.Length == 4 ? (byte)0x01 : (byte)0x02;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(26), (ushort)(mapped.Port ^ 0x2112));

                // X-Address: XOR with the magic cookie, then (IPv6) with the transaction id: bytes 4..19 of the header.
                for (int i = 0; i < address.Length; i++)
                {
                    response[28 + i] = (byte)(address[i] ^ response[4 + i]);
                }

                await socket.SendToAsync(response, from, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static Process Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    private static Process Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var startInfo = new ProcessStartInfo(NatmapPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        return Process.Start(startInfo) ?? throw new InvalidOperationException("natmap did not start");
    }

    private static async Task<string?> ReadUntilAsync(StreamReader reader, string prefix)
    {
        while (await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }
        }

        return null;
    }

    private static void KillIfRunning(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill();
        }
    }

    private static Task<ProcStat?> WaitForStatAsync(int pid, Func<ProcStat, bool> condition) =>
        WaitForAsync(() => ProcStat.Read(pid), s => s is null || condition(s.Value));

    /// <summary>Polls a condition on /proc until it holds or the timeout passes; returns the last value seen.</summary>
    private static async Task<T> WaitForAsync<T>(Func<T> read, Func<T, bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        var value = read();
        while (!condition(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
            value = read();
        }

        return value;
    }

    [GeneratedRegex(@"Running in the background as pid (\d+)")]
    private static partial Regex DetachedPid();

    private readonly record struct ProcStat(char State, int ProcessGroup, int Session, int TtyNumber)
    {
        public static ProcStat? Read(int pid)
        {
            string text;
            try
            {
                text = File.ReadAllText($"/proc/{pid}/stat");
            }
            catch (IOException)
            {
                return null;
            }

            // "pid (comm) state ppid pgrp session tty_nr ..."; comm may hold spaces, so split after the last ')'.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return new ProcStat(fields[0][0], int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture), int.Parse(fields[4], System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
