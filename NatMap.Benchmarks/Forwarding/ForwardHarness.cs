using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using NatMap.Forwarding;

namespace NatMap.Benchmarks.Forwarding;

/// <summary>
/// A bare forwarder host for scripts/bench-forward.sh:
/// <c>forward --proto tcp|udp --engine splice|managed|naive --listen IP:PORT --target IP:PORT [--pipe BYTES] [--buffer BYTES]</c>.
/// Prints <c>ready IP:PORT</c> once listening and runs until SIGTERM, SIGINT or end of stdin.
/// <c>--engine sink</c> counts datagrams; <c>--engine blast --target X --pipe SECONDS --buffer SIZE</c> sends them
/// (size 0: 64 to 127 bytes, never two of one size in a row).
/// The <c>naive</c> UDP engine is the comparison point: one blocking recvfrom and one send per
/// datagram on one thread, as the original natmap does (but with 64 KiB buffers).
/// </summary>
internal static class ForwardHarness
{
    public static int Run(string[] args)
    {
        string proto = "tcp", engine = "splice";
        IPEndPoint? listen = null, target = null;
        int pipe = 0, buffer = 0;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--proto": proto = args[i + 1]; break;
                case "--engine": engine = args[i + 1]; break;
                case "--listen": listen = IPEndPoint.Parse(args[i + 1]); break;
                case "--target": target = IPEndPoint.Parse(args[i + 1]); break;
                case "--pipe": pipe = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--buffer": buffer = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine("unknown option " + args[i]); return 2;
            }
        }

        if ((listen is null && engine != "blast") || (target is null && engine != "sink"))
        {
            Console.Error.WriteLine("usage: forward --proto tcp|udp --engine splice|managed|naive --listen IP:PORT --target IP:PORT");
            return 2;
        }

        using var stop = new ManualResetEventSlim();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        _ = Task.Run(() =>
        {
            while (Console.In.Read() >= 0)
            {
            }

            stop.Set();
        });

        if (proto == "udp" && engine == "naive")
        {
            return RunNaiveUdp(listen!, target!, stop);
        }

        if (proto == "udp" && engine == "sink")
        {
            return RunSink(listen!, stop);
        }

        if (proto == "udp" && engine == "blast")
        {
            return RunBlast(target!, seconds: pipe > 0 ? pipe : 5, size: buffer);
        }

        if (listen is null || target is null)
        {
            return 2;
        }

        IAsyncDisposable forwarder;
        IPEndPoint local;
        if (proto == "tcp")
        {
            var options = new TcpForwarderOptions
            {
                ListenEndPoint = listen,
                TargetHost = target.Address.ToString(),
                TargetPort = target.Port,
                Engine = engine == "managed" ? TcpRelayEngine.Managed : TcpRelayEngine.Splice,
                MaxConnections = 100_000,
                ListenBacklog = 4096,
            };
            if (pipe > 0)
            {
                options.SplicePipeSize = pipe;
            }

            if (buffer > 0)
            {
                options.BufferSize = buffer;
            }

            var tcp = new TcpForwarder(options);
            tcp.Start();
            forwarder = tcp;
            local = tcp.LocalEndPoint;
        }
        else
        {
            var udp = new UdpForwarder(new UdpForwarderOptions
            {
                ListenEndPoint = listen,
                TargetHost = target.Address.ToString(),
                TargetPort = target.Port,
                ReceiveBufferSize = 4 * 1024 * 1024,
            });
            udp.Start();
            forwarder = udp;
            local = udp.LocalEndPoint;
        }

        Console.WriteLine("ready " + local);
        Console.Out.Flush();
        stop.Wait();
        forwarder.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return 0;
    }

    /// <summary>Counts datagrams until stopped; prints <c>received N</c>.</summary>
    private static int RunSink(IPEndPoint listen, ManualResetEventSlim stop)
    {
        var socket = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.ReceiveBufferSize = 4 * 1024 * 1024;
        socket.Bind(listen);
        long received = 0;
        var thread = new Thread(() =>
        {
            var buffer = new byte[65536];
            try
            {
                while (true)
                {
                    socket.Receive(buffer);
                    Interlocked.Increment(ref received);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        });
        thread.IsBackground = true;
        thread.Start();
        Console.WriteLine("ready " + socket.LocalEndPoint);
        Console.Out.Flush();
        stop.Wait();
        Console.WriteLine("received " + Interlocked.Read(ref received));
        socket.Dispose();
        return 0;
    }

    /// <summary>Sends datagrams of <paramref name="size"/> bytes as fast as one thread can for a while; prints <c>sent N</c>.</summary>
    private static int RunBlast(IPEndPoint target, int seconds, int size)
    {
        using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target);
        // Size 0: 64 to 127 bytes, each datagram one byte longer than the last, so no two in a row
        // have the same size (the UDP forwarder's GSO groups never form).
        bool varied = size <= 0;
        var payload = new byte[varied ? 127 : size];
        long sent = 0;
        var deadline = Environment.TickCount64 + (seconds * 1000L);
        while (Environment.TickCount64 < deadline)
        {
            for (int i = 0; i < 256; i++)
            {
                int length = varied ? 64 + (i % 64) : payload.Length;
                socket.Send(payload.AsSpan(0, length), SocketFlags.None, out SocketError error);
                if (error == SocketError.Success)
                {
                    sent++;
                }
            }
        }

        Console.WriteLine("sent " + sent);
        return 0;
    }

    private static int RunNaiveUdp(IPEndPoint listen, IPEndPoint target, ManualResetEventSlim stop)
    {
        using var listener = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        listener.ReceiveBufferSize = 4 * 1024 * 1024;
        listener.Bind(listen);
        using var upstream = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        upstream.Connect(target);
        var buffer = new byte[65536];
        var client = new SocketAddress(listen.AddressFamily);
        bool haveClient = false;
        var forward = new Thread(() =>
        {
            var from = new SocketAddress(listen.AddressFamily);
            try
            {
                while (true)
                {
                    int n = listener.ReceiveFrom(buffer, SocketFlags.None, from);
                    if (!haveClient)
                    {
                        from.Buffer.Span[..from.Size].CopyTo(client.Buffer.Span);
                        client.Size = from.Size;
                        Volatile.Write(ref haveClient, true);
                    }

                    upstream.Send(buffer.AsSpan(0, n), SocketFlags.None, out _);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        });
        forward.IsBackground = true;
        var back = new Thread(() =>
        {
            var reply = new byte[65536];
            try
            {
                while (true)
                {
                    int n = upstream.Receive(reply, SocketFlags.None, out SocketError error);
                    if (error == SocketError.Success && Volatile.Read(ref haveClient))
                    {
                        listener.SendTo(reply.AsSpan(0, n), SocketFlags.None, client);
                    }
                    else if (error is not (SocketError.Success or SocketError.ConnectionRefused))
                    {
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        });
        back.IsBackground = true;
        forward.Start();
        back.Start();
        Console.WriteLine("ready " + listener.LocalEndPoint);
        Console.Out.Flush();
        stop.Wait();
        return 0;
    }
}
