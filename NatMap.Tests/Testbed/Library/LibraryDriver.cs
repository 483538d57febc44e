using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using NatMap.Cli.Logging;
using NatMap.Forwarding;
using NatMap.Mapping;
using NatMap.Stun;

namespace NatMap.Tests.Testbed.Library;

/// <summary>
/// Not a test: a small program inside the test executable (reached through <see cref="Program"/>) that
/// runs <see cref="PortMapper.Create"/> and <see cref="IPortMapper.WatchAsync"/> with the options given
/// as <c>key=value</c> arguments and prints one <see cref="MappingEvent"/> line per event on stdout;
/// library logs go to stderr. It asserts nothing: the test that started it reads the lines and judges
/// them. It runs until SIGTERM or SIGINT, then prints <c>ended</c> once the stream has ended and exits 0.
/// With <c>serve=echo</c> it serves the mapped TCP port in-process instead
/// (<see cref="PortMapper.CreateTcpServer"/>): every connection is echoed over its
/// <see cref="System.IO.Pipelines.IDuplexPipe"/> until the peer's FIN, then answered with FIN, and
/// an <c>echoed REMOTE BYTES</c> line is printed (<c>echo failed REMOTE ...</c> if it broke).
/// </summary>
internal static partial class LibraryDriver
{
    /// <summary>The hidden first argument of the test executable that runs the driver.</summary>
    public const string Argument = "--natmap-library-driver";

    /// <summary>
    /// Keys: <c>protocol</c> (tcp, udp), <c>stun</c> (repeatable), <c>http</c>, <c>port</c> (a port
    /// spec), <c>keepalive-ms</c>, <c>retry-ms</c>, <c>forward</c>, <c>forward-port</c>, and
    /// <c>serve</c>: <c>echo</c> for in-process TCP serving, <c>udp-echo</c> for UDP (see <see cref="ServeUdpEchoAsync"/>).
    /// </summary>
    public static int Run(ReadOnlySpan<string> arguments)
    {
        PortMapperOptions options;
        string? serve;
        try
        {
            (options, serve) = Parse(arguments);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine("library driver: " + ex.Message);
            return 2;
        }

        return RunUntilSignalled(stop => serve == "udp-echo" ? ServeUdpEchoAsync(options, stop) : WatchAsync(options, serve == "echo", stop));
    }

    /// <summary>
    /// Runs <paramref name="body"/> until SIGTERM or SIGINT cancels its token; then prints <c>ended</c>
    /// and returns 0, or prints <c>failed TYPE: message</c> and returns 1 if it threw.
    /// </summary>
    internal static int RunUntilSignalled(Func<CancellationToken, Task> body)
    {
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        try
        {
            body(stop.Token).GetAwaiter().GetResult();
            Write("ended");
            return 0;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The library must never throw for a network fault; if it does, the test sees why.
            Write("failed " + ex.GetType().Name + ": " + ex.Message.ReplaceLineEndings(" "));
            Console.Error.WriteLine(ex.ToString());
            return 1;
        }
    }

    private static async Task WatchAsync(PortMapperOptions options, bool serve, CancellationToken cancellationToken)
    {
        using var logs = new CliLoggerFactory(new StderrLoggerProvider(Console.Error, LogLevel.Debug));
        IMappedTcpServer? server = serve ? PortMapper.CreateTcpServer(options, logs) : null;
        await using var mapper = server ?? PortMapper.Create(options, logs);
        var echoing = server is null ? Task.CompletedTask : EchoAsync(server);
        var clock = Stopwatch.StartNew();
        Write("watching");
        await foreach (var change in mapper.WatchAsync(cancellationToken).ConfigureAwait(false))
        {
            Write(MappingEvent.Format(change, clock.Elapsed));
        }

        await mapper.DisposeAsync();
        await echoing;
    }

    /// <summary>Accepts until the server is disposed, echoing each connection on a task of its own.</summary>
    private static async Task EchoAsync(IMappedTcpServer server)
    {
        while (true)
        {
            TcpPipeConnection connection;
            try
            {
                connection = await server.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => EchoOneAsync(connection));
        }
    }

    private static async Task EchoOneAsync(TcpPipeConnection connection)
    {
        await using (connection.ConfigureAwait(false))
        {
            var (input, output) = (connection.Transport.Input, connection.Transport.Output);
            long echoed = 0;
            try
            {
                while (true)
                {
                    var result = await input.ReadAsync().ConfigureAwait(false);
                    foreach (var segment in result.Buffer)
                    {
                        await output.WriteAsync(segment).ConfigureAwait(false);
                    }

                    echoed += result.Buffer.Length;
                    input.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }

                // The peer's FIN ended the input: answer with ours.
                await output.CompleteAsync().ConfigureAwait(false);
                await input.CompleteAsync().ConfigureAwait(false);
                Write(string.Create(CultureInfo.InvariantCulture, $"echoed {connection.RemoteEndPoint} {echoed}"));
            }
            catch (IOException ex)
            {
                Write(string.Create(CultureInfo.InvariantCulture, $"echo failed {connection.RemoteEndPoint} after {echoed} bytes: {ex.Message}"));
            }
        }
    }

    private static (PortMapperOptions Options, string? Serve) Parse(ReadOnlySpan<string> arguments)
    {
        var options = new PortMapperOptions();
        string? serve = null;
        foreach (var argument in arguments)
        {
            var (key, value) = argument.IndexOf('=', StringComparison.Ordinal) is > 0 and var at
                ? (argument[..at], argument[(at + 1)..])
                : throw new FormatException($"argument '{argument}' is not key=value");
            switch (key)
            {
                case "protocol":
                    options.Protocol = value switch
                    {
                        "tcp" => MappingProtocol.Tcp,
                        "udp" => MappingProtocol.Udp,
                        _ => throw new FormatException($"protocol '{value}' is not tcp or udp"),
                    };
                    break;
                case "stun":
                    options.StunServers.Add(StunServerEndPoint.Parse(value));
                    break;
                case "http":
                    options.HttpServer = value;
                    break;
                case "port":
                    options.Port = PortSpec.TryParse(value, out var spec, out var error) ? spec : throw new FormatException(error);
                    break;
                case "keepalive-ms":
                    options.KeepAliveInterval = TimeSpan.FromMilliseconds(Number(key, value));
                    break;
                case "retry-ms":
                    options.RetryDelay = TimeSpan.FromMilliseconds(Number(key, value));
                    break;
                case "forward":
                    options.TargetHost = value;
                    break;
                case "forward-port":
                    options.TargetPort = Number(key, value);
                    break;
                case "serve":
                    serve = value is "echo" or "udp-echo" ? value : throw new FormatException($"serve '{value}' is not echo or udp-echo");
                    break;
                default:
                    throw new FormatException($"unknown key '{key}'");
            }
        }

        return (options, serve);
    }

    private static int Number(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : throw new FormatException($"{key} '{value}' is not a number");

    /// <summary>One line on stdout, whole, whichever thread writes it.</summary>
    internal static void Write(string line)
    {
        lock (Console.Out)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }
}
