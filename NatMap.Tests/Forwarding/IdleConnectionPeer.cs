using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace NatMap.Tests.Forwarding;

/// <summary>
/// The far ends of many idle relayed TCP connections (the clients and the target), in a process of
/// their own: each connection then costs the test process only the forwarder's two descriptors, so
/// twice as many fit under RLIMIT_NOFILE, and its RSS holds only the forwarder's share. The test
/// executable runs this when started with <see cref="Argument"/> and a count. Protocol, a line each:
/// it prints <c>target PORT</c>; reads <c>connect PORT</c>, opens the connections and accepts
/// their relayed ends, prints <c>connected N</c>; reads <c>probe</c>, sends one byte through the
/// last connection and prints <c>probed</c> once a target socket has it; exits at end of input.
/// Failures print <c>failed REASON</c>.
/// </summary>
internal static class IdleConnectionPeer
{
    public const string Argument = "--natmap-idle-peer";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public static int Run(ReadOnlySpan<string> arguments)
    {
        try
        {
            return Run(int.Parse(arguments[0], CultureInfo.InvariantCulture));
        }
        catch (Exception ex)
        {
            Console.WriteLine("failed " + ex.GetType().Name + ": " + ex.Message.ReplaceLineEndings(" "));
            return 1;
        }
    }

    private static int Run(int count)
    {
        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        target.Listen(4096);
        Console.WriteLine("target " + ((IPEndPoint)target.LocalEndPoint!).Port);
        string? line = Console.ReadLine();
        if (line is null || !line.StartsWith("connect ", StringComparison.Ordinal))
        {
            return 0;
        }

        var forwarder = new IPEndPoint(IPAddress.Loopback, int.Parse(line["connect ".Length..], CultureInfo.InvariantCulture));
        var accepted = new List<Socket>(count);
        var clients = new List<Socket>(count);
        try
        {
            // Accept while connecting: the forwarder connects to the target as each client arrives.
            var acceptLoop = Task.Run(() =>
            {
                while (accepted.Count < count)
                {
                    accepted.Add(target.Accept());
                }
            });
            for (int i = 0; i < count; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                client.Connect(forwarder);
            }

            if (!acceptLoop.Wait(Timeout))
            {
                Console.WriteLine("failed only " + accepted.Count + " of " + count + " relayed connections reached the target");
                return 1;
            }

            Console.WriteLine("connected " + count);
            if (Console.ReadLine() != "probe")
            {
                return 0;
            }

            clients[^1].Send([7]);
            var deadline = DateTime.UtcNow + Timeout;
            while (!accepted.Exists(socket => socket.Available == 1))
            {
                if (DateTime.UtcNow > deadline)
                {
                    Console.WriteLine("failed the probe byte reached no target socket");
                    return 1;
                }

                Thread.Sleep(10);
            }

            Console.WriteLine("probed");
            Console.ReadLine();
            return 0;
        }
        finally
        {
            foreach (var socket in clients.Concat(accepted))
            {
                socket.Dispose();
            }
        }
    }
}
