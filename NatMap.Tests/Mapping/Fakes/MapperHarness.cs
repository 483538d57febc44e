using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Mapping;
using NatMap.Mapping.Internal;

namespace NatMap.Tests.Mapping.Fakes;

/// <summary>Builds mappers over a chosen STUN probe and reads their events with a timeout.</summary>
internal static class MapperHarness
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A mapper as <see cref="PortMapper.Create"/> builds it (validated options, the library's STUN client),
    /// with STUN timeouts shortened so that a silent server fails a check quickly.
    /// </summary>
    public static IPortMapper Create(PortMapperOptions options, ILoggerFactory? loggerFactory = null)
    {
        var (settings, probe, logs) = Probe(options, loggerFactory);
        return PortMapperFactory.Create(settings, probe, logs);
    }

    /// <summary>An in-process UDP server as <see cref="PortMapper.CreateUdpServer"/> builds it, with the same shortened STUN timeouts.</summary>
    public static MappedUdpServer CreateUdpServer(PortMapperOptions options, ILoggerFactory? loggerFactory = null)
    {
        var (settings, probe, logs) = Probe(options, loggerFactory);
        return PortMapperFactory.CreateUdpServer(settings, probe, logs);
    }

    /// <summary>A server as <see cref="PortMapper.CreateTcpServer"/> builds it, with the same short STUN timeouts.</summary>
    public static IMappedTcpServer CreateTcpServer(PortMapperOptions options, ILoggerFactory? loggerFactory = null)
    {
        var (settings, probe, logs) = Probe(options, loggerFactory);
        return PortMapperFactory.CreateTcpServer(settings, probe, logs);
    }

    public static async Task<MappingChanged> NextAsync(IAsyncEnumerator<MappingChanged> events)
    {
        Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken), "the mapping stream ended early");
        return events.Current;
    }

    /// <summary>The NAT of the tests: the source seen, moved to a documentation address and shifted port.</summary>
    public static Func<IPEndPoint, IPEndPoint> Nat(int portShift, string publicAddress = "203.0.113.7") =>
        source => new IPEndPoint(IPAddress.Parse(publicAddress), ((source.Port + portShift - 1) % 65535) + 1);

    /// <summary>A base port such that <paramref name="count"/> consecutive TCP and UDP ports on 127.0.0.1 are free now.</summary>
    public static int FreeRange(int count)
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int first = Random.Shared.Next(20000, 60000);
            if (Enumerable.Range(first, count).All(IsFree))
            {
                return first;
            }
        }

        throw new InvalidOperationException("no free port range found on 127.0.0.1");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (MapperSettings Settings, IStunProbe Probe, ILoggerFactory Logs) Probe(PortMapperOptions options, ILoggerFactory? loggerFactory)
    {
        options.Validate();
        var settings = MapperSettings.From(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        var probe = StunProbe.Create(settings, loggerFactory, stun =>
        {
            stun.InitialRto = TimeSpan.FromMilliseconds(100);
            stun.MaxRequests = 2;
            stun.LastWaitMultiplier = 2;
            stun.TcpTimeout = TimeSpan.FromMilliseconds(500);
        });
        return (settings, probe, loggerFactory);
    }
}
