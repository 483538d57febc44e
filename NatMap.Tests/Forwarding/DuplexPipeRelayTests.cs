using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using NatMap.Forwarding;
using static NatMap.Tests.Forwarding.ForwardingTestKit;

namespace NatMap.Tests.Forwarding;

/// <summary><see cref="DuplexPipeRelay"/> between a connection served in-process and an SslStream, on loopback.</summary>
public sealed class DuplexPipeRelayTests
{
    [Fact]
    public async Task RelayAsync_ServedConnectionToSslStream_BothWaysIntactAndCompletionPassedOn()
    {
        const int RequestLength = 3 * 1024 * 1024;
        const int ReplyLength = 5 * 1024 * 1024 + 17;
        using var certificate = CreateSelfSignedCertificate();
        using var tlsListener = Listen();
        await using var server = new TcpPipeServingTests.ServingForwarder();

        // A TLS server that reads the whole request, answers, and closes.
        var tlsServer = Task.Run(async () =>
        {
            using var accepted = await tlsListener.AcceptAsync(Ct);
            await using var tls = new SslStream(new NetworkStream(accepted, ownsSocket: false));
            await tls.AuthenticateAsServerAsync(certificate);
            var request = new byte[RequestLength];
            await tls.ReadExactlyAsync(request, Ct);
            await tls.WriteAsync(Pattern(ReplyLength, 12), Ct);
            await tls.ShutdownAsync();
            return SHA256.HashData(request);
        }, Ct);

        // The relay: the served connection's pipes on one side, a TLS client's on the other.
        using var client = await ConnectAsync(server.Forwarder.LocalEndPoint);
        await using var connection = await server.AcceptAsync();
        using var backend = await ConnectAsync((IPEndPoint)tlsListener.LocalEndPoint!);
        var tlsClient = new SslStream(new NetworkStream(backend, ownsSocket: false), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await tlsClient.AuthenticateAsClientAsync("localhost").WaitAsync(TestTimeout, Ct);
        var tlsPipe = new StreamPipe(PipeReader.Create(tlsClient), PipeWriter.Create(tlsClient, new StreamPipeWriterOptions(leaveOpen: true)));
        var relay = DuplexPipeRelay.RelayAsync(connection.Transport, tlsPipe, Ct);

        // The client sends its request and reads the answer to its end: the TLS server's close
        // completes the TLS input, so the relay completes the served output, which sends FIN.
        var receiving = ReceiveToEndAsync(client);
        var sentHash = await SendAsync(client, Pattern(RequestLength, 11), RequestLength).WaitAsync(TestTimeout, Ct);
        var (replyLength, replyHash) = await receiving.WaitAsync(TestTimeout, Ct);
        Assert.Equal(ReplyLength, replyLength);
        Assert.Equal(SHA256.HashData(Pattern(ReplyLength, 12)), replyHash);
        Assert.Equal(sentHash, await tlsServer.WaitAsync(TestTimeout, Ct));

        // The client's FIN completes the served input, so the relay's other direction ends too.
        client.Shutdown(SocketShutdown.Send);
        var moved = await relay.WaitAsync(TestTimeout, Ct);
        Assert.Equal(RequestLength, moved.FirstToSecond);
        Assert.Equal(ReplyLength, moved.SecondToFirst);
        await tlsClient.DisposeAsync();
    }

    [Fact]
    public async Task RelayAsync_Cancelled_CompletesEveryEndAndThrows()
    {
        var a = new Pipe();
        var b = new Pipe();
        var c = new Pipe();
        var d = new Pipe();
        using var cancel = new CancellationTokenSource();
        var relay = DuplexPipeRelay.RelayAsync(new StreamPipe(a.Reader, b.Writer), new StreamPipe(c.Reader, d.Writer), cancel.Token);
        await a.Writer.WriteAsync(new byte[] { 1, 2, 3 }, Ct);
        var forwarded = await d.Reader.ReadAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct);
        Assert.Equal(3, forwarded.Buffer.Length);
        d.Reader.AdvanceTo(forwarded.Buffer.End);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => relay.WaitAsync(TestTimeout, Ct));
        // Each destination learns that the relay stopped, not that its source ended cleanly.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await d.Reader.ReadAsync(Ct));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await b.Reader.ReadAsync(Ct));
    }

    [Fact]
    public async Task RelayAsync_OneSideFails_OtherDirectionStopsWithTheFailure()
    {
        var a = new Pipe();
        var b = new Pipe();
        var c = new Pipe();
        var d = new Pipe();
        var relay = DuplexPipeRelay.RelayAsync(new StreamPipe(a.Reader, b.Writer), new StreamPipe(c.Reader, d.Writer), Ct);
        await a.Writer.CompleteAsync(new IOException("reset by peer"));

        var thrown = await Assert.ThrowsAsync<IOException>(() => relay.WaitAsync(TestTimeout, Ct));
        Assert.Equal("reset by peer", thrown.Message);
        await Assert.ThrowsAsync<IOException>(async () => await d.Reader.ReadAsync(Ct));
        await Assert.ThrowsAsync<IOException>(async () => await b.Reader.ReadAsync(Ct));
    }

    private static X509Certificate2 CreateSelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // An ephemeral key cannot serve TLS on every platform: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    private sealed record StreamPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
