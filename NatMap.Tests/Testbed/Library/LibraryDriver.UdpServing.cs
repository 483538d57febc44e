using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Cli.Logging;
using NatMap.Mapping;
using NatMap.Mapping.Internal;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Testbed.Library;

/// <summary>The driver's in-process UDP serving mode.</summary>
internal static partial class LibraryDriver
{
    /// <summary>
    /// <see cref="PortMapper.CreateUdpServer"/> as an echo: every datagram the app receives goes back
    /// to its sender from the mapped port. Besides the mapping lines it prints <c>checks N</c> each
    /// time the count of STUN answers kept from the app grows (one per answered check), and
    /// <c>app-stun N</c> if the app ever receives a datagram that looks like STUN (the wan clients
    /// send none, so any would be a check's answer leaking through).
    /// </summary>
    private static async Task ServeUdpEchoAsync(PortMapperOptions options, CancellationToken cancellationToken)
    {
        using var logs = new CliLoggerFactory(new StderrLoggerProvider(Console.Error, LogLevel.Debug));
        await using var server = PortMapper.CreateUdpServer(options, logs);
        var clock = Stopwatch.StartNew();
        Write("watching");
        var echo = EchoAsync(server, cancellationToken);
        var checks = ReportChecksAsync((MappedUdpServer)server, cancellationToken);
        await foreach (var change in server.WatchAsync(cancellationToken).ConfigureAwait(false))
        {
            Write(MappingEvent.Format(change, clock.Elapsed));
        }

        await echo.ConfigureAwait(false);
        await checks.ConfigureAwait(false);
    }

    private static async Task EchoAsync(IMappedUdpServer server, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        var peer = new SocketAddress(AddressFamily.InterNetwork);
        int stunLooking = 0;
        try
        {
            while (true)
            {
                int length = await server.ReceiveFromAsync(buffer, peer, cancellationToken).ConfigureAwait(false);
                if (StunBindingTransaction.LooksLikeStun(buffer.AsSpan(0, length)))
                {
                    Write("app-stun " + (++stunLooking).ToString(CultureInfo.InvariantCulture));
                }

                try
                {
                    await server.SendToAsync(buffer.AsMemory(0, length), peer, cancellationToken).ConfigureAwait(false);
                }
                catch (NatMapException ex)
                {
                    // UDP may drop: a full send buffer, or a rebind under way.
                    Console.Error.WriteLine("echo send failed: " + ex.Message);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or NatMapException)
        {
            // The watch ended: the stream's end is reported by the caller.
        }
    }

    private static async Task ReportChecksAsync(MappedUdpServer server, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        long reported = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                long claimed = server.ClaimedStunAnswers;
                if (claimed != reported)
                {
                    reported = claimed;
                    Write("checks " + claimed.ToString(CultureInfo.InvariantCulture));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
