using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace NatMap.Tests.Forwarding;

/// <summary>Loopback servers and helpers for the forwarder tests.</summary>
internal static partial class ForwardingTestKit
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    public static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    public static Socket Listen()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(AnyLoopback);
        socket.Listen(4096);
        return socket;
    }

    public static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint, Ct).AsTask().WaitAsync(TestTimeout, Ct);
        return socket;
    }

    /// <summary>Deterministic pseudo-random bytes, different per seed.</summary>
    public static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Sends <paramref name="total"/> bytes of <paramref name="pattern"/> repeated, returning their SHA-256.</summary>
    public static async Task<byte[]> SendAsync(Socket socket, byte[] pattern, long total)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long sent = 0;
        while (sent < total)
        {
            int chunk = (int)Math.Min(pattern.Length, total - sent);
            hash.AppendData(pattern, 0, chunk);
            int offset = 0;
            while (offset < chunk)
            {
                offset += await socket.SendAsync(pattern.AsMemory(offset, chunk - offset), SocketFlags.None, Ct);
            }

            sent += chunk;
        }

        return hash.GetHashAndReset();
    }

    /// <summary>Reads to end of stream, returning the byte count and SHA-256 of what arrived.</summary>
    public static async Task<(long Length, byte[] Hash)> ReceiveToEndAsync(Socket socket)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[128 * 1024];
        long total = 0;
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, Ct);
            if (n == 0)
            {
                return (total, hash.GetHashAndReset());
            }

            hash.AppendData(buffer, 0, n);
            total += n;
        }
    }

    /// <summary>True once the peer has closed (end of stream or reset).</summary>
    public static async Task<bool> IsClosedByPeerAsync(Socket socket)
    {
        var buffer = new byte[16];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, Ct);
                if (n == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the timeout passes.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestTimeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Timed out waiting for " + what);
            }

            await Task.Delay(10, Ct);
        }
    }

    public static long ReadRssBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    /// <summary>Raises RLIMIT_NOFILE (root may raise the hard limit too); returns the soft limit in force.</summary>
    public static unsafe ulong RaiseOpenFileLimit(ulong wanted)
    {
        const int RlimitNoFile = 7;
        ulong* limit = stackalloc ulong[2];
        if (GetRLimit(RlimitNoFile, limit) != 0)
        {
            return 0;
        }

        if (limit[0] >= wanted)
        {
            return limit[0];
        }

        ulong* raised = stackalloc ulong[2];
        raised[0] = wanted;
        raised[1] = Math.Max(limit[1], wanted);
        if (SetRLimit(RlimitNoFile, raised) != 0)
        {
            raised[0] = limit[1];
            raised[1] = limit[1];
            SetRLimit(RlimitNoFile, raised);
        }

        GetRLimit(RlimitNoFile, limit);
        return limit[0];
    }

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static unsafe partial int GetRLimit(int resource, ulong* limit);

    [LibraryImport("libc", EntryPoint = "setrlimit")]
    private static unsafe partial int SetRLimit(int resource, ulong* limit);
}
