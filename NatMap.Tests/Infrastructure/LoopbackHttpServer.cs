using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace NatMap.Tests.Infrastructure;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (port 0) for notifier tests: it records each request and answers
/// with the status <see cref="Respond"/> picks, after <see cref="Gate"/> (when set) lets it.
/// </summary>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>();
    private readonly Task _accept;
    private int _count;

    public LoopbackHttpServer()
    {
        _listener.Start();
        _accept = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Uri Url(string path = "/hook") => new($"http://127.0.0.1:{Port}{path}");

    /// <summary>The status of the answer to the request with this 1-based number (default: 204).</summary>
    public Func<int, int> Respond { get; set; } = _ => 204;

    /// <summary>When set, it answers instead of <see cref="Respond"/>: a status, a body and extra header lines.</summary>
    public Func<Request, (int Status, string Body, string Headers)>? Handler { get; set; }

    /// <summary>When set, each answer waits for it (the request is recorded first).</summary>
    public Task? Gate { get; set; }

    public async Task<Request> NextAsync(TimeSpan timeout) => await _requests.Reader.ReadAsync().AsTask().WaitAsync(timeout);

    public bool TryNext(out Request? request) => _requests.Reader.TryRead(out request);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                connections.Add(ServeAsync(client));
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            await Task.WhenAll(connections).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new List<byte>();
            var chunk = new byte[4096];
            try
            {
                while (true)
                {
                    int headerEnd;
                    while ((headerEnd = IndexOfHeaderEnd(buffer)) < 0)
                    {
                        int read = await stream.ReadAsync(chunk, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        buffer.AddRange(chunk.AsSpan(0, read));
                    }

                    var head = Encoding.ASCII.GetString([.. buffer.GetRange(0, headerEnd)]).Split("\r\n");
                    var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    foreach (var line in head.Skip(1))
                    {
                        int colon = line.IndexOf(':', StringComparison.Ordinal);
                        headers[line[..colon]] = line[(colon + 1)..].Trim();
                    }

                    int length = headers.TryGetValue("Content-Length", out var text) ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0;
                    buffer.RemoveRange(0, headerEnd + 4);
                    while (buffer.Count < length)
                    {
                        int read = await stream.ReadAsync(chunk, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        buffer.AddRange(chunk.AsSpan(0, read));
                    }

                    var body = Encoding.UTF8.GetString([.. buffer.GetRange(0, length)]);
                    buffer.RemoveRange(0, length);
                    var parts = head[0].Split(' ');
                    int number = Interlocked.Increment(ref _count);
                    var request = new Request(number, parts[0], parts[1], headers, body);
                    _requests.Writer.TryWrite(request);
                    if (Gate is { } gate)
                    {
                        await gate.WaitAsync(_stop.Token);
                    }

                    var (status, content, extra) = Handler?.Invoke(request) ?? (Respond(number), "", "");
                    var bytes = Encoding.UTF8.GetBytes(content);
                    var answer = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} Status\r\n{extra}Content-Length: {bytes.Length}\r\n\r\n").Concat(bytes).ToArray();
                    await stream.WriteAsync(answer, _stop.Token);
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
            }
            catch (IOException)
            {
                // The client gave up on this connection (an attempt timed out).
            }
        }
    }

    private static int IndexOfHeaderEnd(List<byte> buffer)
    {
        for (int i = 0; i + 3 < buffer.Count; i++)
        {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>One request; <c>Number</c> is 1-based, in arrival order.</summary>
    internal sealed record Request(int Number, string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);
}
