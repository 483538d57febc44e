using System.Net.Sockets;
using System.Text;
using NatMap.Notify.Internal;
using NatMap.Tests.Fakes;
using NatMap.Tests.Mapping.Fakes;

namespace NatMap.Tests.Cli;

/// <summary>sd_notify against a unix datagram socket that the test owns: no systemd needed.</summary>
public sealed partial class CliProcessTests
{
    [Fact]
    public async Task Systemd_NotifySocket_ReadyAfterFirstMappingStatusOnEachChangeWatchdogAndStopping()
    {
        RequireLinux();
        var folder = Directory.CreateTempSubdirectory("natmap-notify-");
        try
        {
            string socketPath = Path.Combine(folder.FullName, "notify.sock");
            using var manager = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            manager.Bind(new UnixDomainSocketEndPoint(socketPath));
            await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
            using var process = Start(
                new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath, ["WATCHDOG_USEC"] = "400000" },
                "-u", "-k", "1", "-i", "127.0.0.1", "-s", stun.Text, "--name", "game");
            try
            {
                Assert.Equal("STATUS=starting", await ReceiveAsync(manager, m => !m.StartsWith("WATCHDOG=", StringComparison.Ordinal)));
                string ready = await ReceiveAsync(manager, m => m.StartsWith("READY=1", StringComparison.Ordinal));
                string line = (await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken))!;
                Assert.Equal("READY=1\nSTATUS=" + line, ready);
                Assert.StartsWith("203.0.113.7 ", line, StringComparison.Ordinal);

                // A new public port: a new STATUS= line, and no second READY=1.
                stun.Map = MapperHarness.Nat(600);
                string changed = await ReceiveAsync(manager, m => m.StartsWith("STATUS=", StringComparison.Ordinal));
                string next = (await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken))!;
                Assert.Equal("STATUS=" + next, changed);
                Assert.NotEqual(line, next);

                // WATCHDOG_USEC=400000: WATCHDOG=1 every 200 ms, whatever the mapper does.
                for (int i = 0; i < 3; i++)
                {
                    Assert.Equal("WATCHDOG=1", await ReceiveAsync(manager, m => m.StartsWith("WATCHDOG=", StringComparison.Ordinal)));
                }

                Assert.Equal(0, Posix.Kill(process.Id, Posix.SigTerm));
                Assert.Equal("STOPPING=1\nSTATUS=stopped", await ReceiveAsync(manager, m => m.StartsWith("STOPPING=", StringComparison.Ordinal)));
                await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
                Assert.Equal(0, process.ExitCode);
            }
            finally
            {
                KillIfRunning(process);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Systemd_Environment_WatchdogOnlyForThisProcessAndAbstractSocketsNamed()
    {
        Assert.Null(SystemdNotifier.FromEnvironment(_ => null));
        Assert.Null(SystemdNotifier.FromEnvironment(name => name == "NOTIFY_SOCKET" ? "" : null));
        using (var other = SystemdNotifier.FromEnvironment(name => name switch { "NOTIFY_SOCKET" => "@natmap-test", "WATCHDOG_USEC" => "1000000", "WATCHDOG_PID" => "1", _ => null }))
        {
            Assert.Null(other!.WatchdogInterval);
        }

        using var ours = SystemdNotifier.FromEnvironment(name => name switch { "NOTIFY_SOCKET" => "@natmap-test", "WATCHDOG_USEC" => "30000000", "WATCHDOG_PID" => Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => null });
        Assert.Equal(TimeSpan.FromSeconds(15), ours!.WatchdogInterval);

        // An abstract socket ('@' in NOTIFY_SOCKET) is reached by its name.
        using var manager = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        manager.Bind(new UnixDomainSocketEndPoint("\0natmap-test-" + Environment.ProcessId));
        using var notifier = SystemdNotifier.FromEnvironment(name => name == "NOTIFY_SOCKET" ? "@natmap-test-" + Environment.ProcessId : null);
        Assert.True(notifier!.Send(SystemdNotifier.Status("a\nb")));
        var buffer = new byte[64];
        int n = manager.Receive(buffer);
        Assert.Equal("STATUS=a b", Encoding.UTF8.GetString(buffer, 0, n));
    }

    private static async Task<string> ReceiveAsync(Socket manager, Func<string, bool> match)
    {
        var buffer = new byte[4096];
        while (true)
        {
            int n = await manager.ReceiveAsync(buffer, SocketFlags.None, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
            string message = Encoding.UTF8.GetString(buffer, 0, n);
            if (match(message))
            {
                return message;
            }
        }
    }
}
