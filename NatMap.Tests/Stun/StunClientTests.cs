using System.Net;
using System.Net.Sockets;
using NatMap.Stun;
using NatMap.Stun.Internal;
using NatMap.Tests.Fakes;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Stun;

/// <summary>The STUN client against scripted fakes on loopback.</summary>
public sealed class StunClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly IPEndPoint Reported = IPEndPoint.Parse("203.0.113.7:4242");

    private static readonly TimeSpan SlowRto = TimeSpan.FromSeconds(3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QueryUdpAsync_WrongTransactionFirst_KeepsWaiting()
    {
        await using var fake = LoopbackStunServer.Udp(async (index, request, client, socket) =>
        {
            var id = StunResponses.RequestId(request);
            await socket.SendToAsync(StunResponses.Success(StunResponses.Other(id), IPEndPoint.Parse("198.51.100.66:1")), client);
            await socket.SendToAsync("not stun at all, just bytes"u8.ToArray(), client);
            await socket.SendToAsync(StunResponses.Success(id, Reported), client);
        });
        using var socket = BoundUdp();

        var result = await new StunClient(Options(SlowRto, fake.Server)).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(Reported, result.MappedEndPoint);
        Assert.Equal(fake.EndPoint, result.ServerEndPoint);
        Assert.Equal(socket.LocalEndPoint, result.LocalEndPoint);
        Assert.Equal(1, fake.DatagramCount);
    }

    [Fact]
    public async Task QueryUdpAsync_AnswerFromAnotherSource_Ignored()
    {
        using var impostor = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        impostor.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var fake = LoopbackStunServer.Udp(async (index, request, client, socket) =>
        {
            var id = StunResponses.RequestId(request);

            // Right transaction id, wrong sender: must not be taken.
            await impostor.SendToAsync(StunResponses.Success(id, IPEndPoint.Parse("198.51.100.66:1")), client);
            await socket.SendToAsync(StunResponses.Success(id, Reported), client);
        });
        using var socket = BoundUdp();

        var result = await new StunClient(Options(SlowRto, fake.Server)).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(Reported, result.MappedEndPoint);
    }

    [Fact]
    public async Task QueryUdpAsync_FirstRequestsLost_RetransmitsSameTransaction()
    {
        await using var fake = LoopbackStunServer.Udp(async (index, request, client, socket) =>
        {
            if (index == 2)
            {
                await socket.SendToAsync(StunResponses.Success(StunResponses.RequestId(request), Reported), client);
            }
        });
        using var socket = BoundUdp();
        var options = Options(fake.Server);
        options.MaxRequests = 5;

        var result = await new StunClient(options).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(Reported, result.MappedEndPoint);

        // Three requests at least (the fake answers only the third); a fourth is possible if the
        // machine is slow enough for the client's wait to end before the answer is read.
        var requests = await DrainAsync(fake);
        Assert.InRange(requests.Count, 3, 5);
        Assert.All(requests, r => Assert.Equal(requests[0], r));
    }

    [Fact]
    public async Task QueryUdpAsync_NeverAnswered_SendsMaxRequestsThenFails()
    {
        await using var fake = LoopbackStunServer.Udp((_, _, _, _) => Task.CompletedTask);
        using var socket = BoundUdp();
        var options = Options(fake.Server);
        options.MaxRequests = 4;
        options.LastWaitMultiplier = 3;

        var ex = await Assert.ThrowsAsync<NatMapException>(() => new StunClient(options).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct));

        Assert.Equal(NatMapErrorKind.AllServersFailed, ex.Kind);
        var requests = await DrainAsync(fake);
        Assert.Equal(4, requests.Count);
        Assert.All(requests, r => Assert.Equal(requests[0], r));

        // Waits 20 + 40 + 80 ms, then 3 x 20 ms: RFC 8489's schedule with these settings.
        Assert.Contains(fake.Server + ": no answer to 4 request(s) in 0.2 s", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(StunResponses.ForgeableReasons), MemberType = typeof(StunResponses))]
    public async Task QueryUdpAsync_ForgedAnswerFirst_DiscardsItAndReportsTheTrueAnswer(string reasonName)
    {
        var reason = StunResponses.Reason(reasonName);
        // RFC 8489 section 6.3: the forged datagram is discarded silently and the transaction goes
        // on waiting, so one injected datagram cannot cost the server its turn.
        await using var fake = LoopbackStunServer.Udp(async (index, request, client, socket) =>
        {
            var id = StunResponses.RequestId(request);
            await socket.SendToAsync(StunResponses.Forged(reason, id), client);
            await socket.SendToAsync(StunResponses.Success(id, Reported), client);
        });
        await using var unused = LoopbackStunServer.Udp((_, _, _, _) => Task.CompletedTask);
        using var socket = BoundUdp();

        var result = await new StunClient(Options(SlowRto, fake.Server, unused.Server)).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(Reported, result.MappedEndPoint);
        Assert.Equal(fake.EndPoint, result.ServerEndPoint);
        Assert.Equal(1, fake.DatagramCount);
        Assert.Equal(0, unused.DatagramCount);
    }

    [Fact]
    public async Task QueryUdpAsync_OnlyForgedAnswers_TimesOutNamingWhatWasDiscarded()
    {
        await using var broken = LoopbackStunServer.Udp(async (index, request, client, socket) =>
        {
            var id = StunResponses.RequestId(request);
            await socket.SendToAsync(StunResponses.Forged(StunDiscardReason.Truncated, id), client);
            if (index == 0)
            {
                await socket.SendToAsync(StunResponses.Forged(StunDiscardReason.BadFingerprint, id), client);
            }
        });
        await using var good = LoopbackStunServer.Udp(async (index, request, client, socket) =>
            await socket.SendToAsync(StunResponses.Success(StunResponses.RequestId(request), Reported), client));
        using var socket = BoundUdp();
        // Waits of 200, 400 and 400 ms: long enough for each forged answer to arrive inside its wait.
        var options = Options(TimeSpan.FromMilliseconds(200), broken.Server, good.Server);
        var logs = new RecordingLoggerFactory();

        var result = await new StunClient(options, logs).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct);

        // A server counts as failed only when its transaction times out; the reason then says
        // what was thrown away (each request drew one truncated copy, the first also a bad CRC).
        Assert.Equal(good.EndPoint, result.ServerEndPoint);
        Assert.Equal(3, broken.DatagramCount);
        var failure = Assert.Single(logs.Entries, e => e.Id.Id == 1004);
        Assert.Contains("no answer to 3 request(s) in 1 s", failure.Message, StringComparison.Ordinal);
        Assert.Contains("; 4 datagrams discarded (3 truncated, 1 with a bad FINGERPRINT)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryUdpAsync_AllFail_MessageNamesEachServerAndReason()
    {
        await using var broken = LoopbackStunServer.Udp(async (index, request, client, socket) =>
        {
            var response = StunResponses.Success(StunResponses.RequestId(request), Reported);
            response[^1] ^= 0xFF;
            await socket.SendToAsync(response, client);
        });
        await using var refusing = LoopbackStunServer.Udp(async (index, request, client, socket) =>
            await socket.SendToAsync(StunResponses.Error(StunResponses.RequestId(request), 500, "Server Error"), client));
        await using var silent = LoopbackStunServer.Udp((_, _, _, _) => Task.CompletedTask);
        var ipv6 = new StunServerEndPoint("::1", 3478);
        using var socket = BoundUdp();

        var ex = await Assert.ThrowsAsync<NatMapException>(() =>
            new StunClient(Options(broken.Server, refusing.Server, silent.Server, ipv6)).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct));

        Assert.Equal(NatMapErrorKind.AllServersFailed, ex.Kind);
        // Each request draws a broken answer; one that comes after its 20 ms wait is not counted.
        Assert.Matches(@"127\.0\.0\.1:\d+: no answer to 3 request\(s\) in 0\.1 s; (\d) datagrams? discarded \(\1 with a bad FINGERPRINT\)", ex.Message);
        Assert.Contains(refusing.Server + ": error response 500 Server Error", ex.Message, StringComparison.Ordinal);
        Assert.Contains(silent.Server + ": no answer to 3 request(s)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[::1]:3478: is an IPv6 address but the query is IPv4", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryUdpAsync_CallerCancels_OperationCanceledWithCallerToken()
    {
        await using var silent = LoopbackStunServer.Udp((_, _, _, _) => Task.CompletedTask);
        using var socket = BoundUdp();
        var options = Options(silent.Server);
        options.InitialRto = TimeSpan.FromSeconds(30);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var query = new StunClient(options).QueryUdpAsync(socket, cts.Token);

        // Cancel once the request has reached the server, so the client is inside its wait.
        await silent.Datagrams.ReadAsync(Ct).AsTask().WaitAsync(Timeout, Ct);
        cts.Cancel();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => query.WaitAsync(Timeout, Ct));
        Assert.Equal(cts.Token, ex.CancellationToken);
    }

    [Fact]
    public async Task QueryTcpAsync_ResponseSplitByteByByte_Assembled()
    {
        await using var fake = LoopbackStunServer.Tcp(async (index, connection, ct) =>
        {
            connection.NoDelay = true;
            var request = await LoopbackStunServer.ReadRequestAsync(connection, ct);
            foreach (byte b in StunResponses.Success(StunResponses.RequestId(request), Reported))
            {
                await connection.SendAsync(new[] { b }, SocketFlags.None, ct);

                // Yield between bytes so they leave as separate segments rather than one write.
                await Task.Delay(1, ct);
            }
        });

        var result = await new StunClient(Options(fake.Server)).QueryTcpAsync(AddressFamily.InterNetwork, BoundTcp, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(Reported, result.MappedEndPoint);
        Assert.Equal(MappingProtocol.Tcp, result.Protocol);
    }

    [Fact]
    public async Task QueryTcpAsync_ResponseCoalescedWithMore_ReadsOneMessage()
    {
        await using var fake = LoopbackStunServer.Tcp(async (index, connection, ct) =>
        {
            var request = await LoopbackStunServer.ReadRequestAsync(connection, ct);
            var id = StunResponses.RequestId(request);

            // Header, body and the start of a further message in a single write.
            var bytes = StunResponses.Success(id, Reported).Concat(StunResponses.Success(id, IPEndPoint.Parse("198.51.100.66:1"))).ToArray();
            await connection.SendAsync(bytes, SocketFlags.None, ct);
            await connection.ReceiveAsync(new byte[1], SocketFlags.None, ct);
        });

        var result = await new StunClient(Options(fake.Server)).QueryTcpAsync(AddressFamily.InterNetwork, BoundTcp, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(Reported, result.MappedEndPoint);
    }

    [Fact]
    public async Task QueryTcpAsync_RefusedThenClosedEarlyThenGood_FailsOverWithReasons()
    {
        int closedPort;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closedPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        await using var truncating = LoopbackStunServer.Tcp(async (index, connection, ct) =>
        {
            var request = await LoopbackStunServer.ReadRequestAsync(connection, ct);
            var response = StunResponses.Success(StunResponses.RequestId(request), Reported);
            await connection.SendAsync(response.AsMemory(0, 30), SocketFlags.None, ct);
            connection.Shutdown(SocketShutdown.Send);
        });
        await using var good = LoopbackStunServer.Tcp(async (index, connection, ct) =>
        {
            var request = await LoopbackStunServer.ReadRequestAsync(connection, ct);
            await connection.SendAsync(StunResponses.Success(StunResponses.RequestId(request), Reported), SocketFlags.None, ct);
        });
        var refused = new StunServerEndPoint("127.0.0.1", closedPort);
        var sockets = 0;

        var result = await new StunClient(Options(refused, truncating.Server, good.Server)).QueryTcpAsync(AddressFamily.InterNetwork, family =>
        {
            sockets++;
            return BoundTcp(family);
        }, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(Reported, result.MappedEndPoint);
        Assert.Equal(good.EndPoint, result.ServerEndPoint);
        Assert.Equal(3, sockets);

        var ex = await Assert.ThrowsAsync<NatMapException>(() =>
            new StunClient(Options(refused, truncating.Server)).QueryTcpAsync(AddressFamily.InterNetwork, BoundTcp, Ct).WaitAsync(Timeout, Ct));
        Assert.Contains(refused + ": connection refused", ex.Message, StringComparison.Ordinal);
        Assert.Contains(truncating.Server + ": connection closed after 30 of ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryTcpAsync_NoAnswer_TimesOutAndFails()
    {
        await using var silent = LoopbackStunServer.Tcp(async (index, connection, ct) =>
        {
            await LoopbackStunServer.ReadRequestAsync(connection, ct);

            // Hold the connection open, answering nothing, until the client gives up and closes.
            while (await connection.ReceiveAsync(new byte[1024], SocketFlags.None, ct) > 0)
            {
            }
        });
        var options = Options(silent.Server);
        options.TcpTimeout = TimeSpan.FromMilliseconds(300);

        var ex = await Assert.ThrowsAsync<NatMapException>(() =>
            new StunClient(options).QueryTcpAsync(AddressFamily.InterNetwork, BoundTcp, Ct).WaitAsync(Timeout, Ct));

        Assert.Contains(silent.Server + ": no answer within 0.3 s", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(StunResponses.WellFramedReasons), MemberType = typeof(StunResponses))]
    public async Task QueryTcpAsync_WellFramedForgeryFirst_DiscardsItAndReadsTheTrueAnswer(string reasonName)
    {
        var reason = StunResponses.Reason(reasonName);
        await using var fake = LoopbackStunServer.Tcp(async (index, connection, ct) =>
        {
            var request = await LoopbackStunServer.ReadRequestAsync(connection, ct);
            var id = StunResponses.RequestId(request);
            await connection.SendAsync(StunResponses.Forged(reason, id), SocketFlags.None, ct);
            await connection.SendAsync(StunResponses.Success(id, Reported), SocketFlags.None, ct);
        });

        var result = await new StunClient(Options(fake.Server)).QueryTcpAsync(AddressFamily.InterNetwork, BoundTcp, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(Reported, result.MappedEndPoint);
        Assert.Equal(1, fake.ConnectionCount);
    }

    [Fact]
    public async Task QueryTcpAsync_FramingErrorOrErrorClassOrOnlyDiscards_FailsEachServer()
    {
        await using var other = LoopbackStunServer.Tcp(async (index, connection, ct) =>
        {
            var request = await LoopbackStunServer.ReadRequestAsync(connection, ct);
            await connection.SendAsync(StunResponses.Success(StunResponses.Other(StunResponses.RequestId(request)), Reported), SocketFlags.None, ct);
        });
        await using var error = LoopbackStunServer.Tcp(async (index, connection, ct) =>
        {
            var request = await LoopbackStunServer.ReadRequestAsync(connection, ct);
            await connection.SendAsync(StunResponses.Error(StunResponses.RequestId(request), 400, "Bad Request"), SocketFlags.None, ct);
        });
        await using var echo = LoopbackStunServer.Tcp(async (index, connection, ct) =>
        {
            var request = await LoopbackStunServer.ReadRequestAsync(connection, ct);
            await connection.SendAsync(request, SocketFlags.None, ct);
        });
        await using var framing = LoopbackStunServer.Tcp(async (index, connection, ct) =>
        {
            // A length that is not a multiple of 4: the byte stream cannot be resynchronised.
            var request = await LoopbackStunServer.ReadRequestAsync(connection, ct);
            var response = StunResponses.Success(StunResponses.RequestId(request), Reported);
            response[3] |= 1;
            await connection.SendAsync(response, SocketFlags.None, ct);
        });

        var ex = await Assert.ThrowsAsync<NatMapException>(() =>
            new StunClient(Options(other.Server, error.Server, echo.Server, framing.Server)).QueryTcpAsync(AddressFamily.InterNetwork, BoundTcp, Ct).WaitAsync(Timeout, Ct));

        Assert.Contains(other.Server + ": connection closed after 0 byte(s) of the response; 1 message discarded (1 for another transaction)", ex.Message, StringComparison.Ordinal);
        Assert.Contains(error.Server + ": error response 400 Bad Request", ex.Message, StringComparison.Ordinal);
        Assert.Contains(echo.Server + ": connection closed after 0 byte(s) of the response; 1 message discarded (1 not a response)", ex.Message, StringComparison.Ordinal);
        Assert.Contains(framing.Server + ": malformed response header (BadLength)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryTcpAsync_CallerCancels_OperationCanceledWithCallerToken()
    {
        var requestSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var silent = LoopbackStunServer.Tcp(async (index, connection, ct) =>
        {
            await LoopbackStunServer.ReadRequestAsync(connection, ct);
            requestSeen.TrySetResult();
            while (await connection.ReceiveAsync(new byte[1024], SocketFlags.None, ct) > 0)
            {
            }
        });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var query = new StunClient(Options(silent.Server)).QueryTcpAsync(AddressFamily.InterNetwork, BoundTcp, cts.Token);

        await requestSeen.Task.WaitAsync(Timeout, Ct);
        cts.Cancel();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => query.WaitAsync(Timeout, Ct));
        Assert.Equal(cts.Token, ex.CancellationToken);
    }

    [Fact]
    public async Task QueryAsync_UnsupportedProtocolOrFamily_ArgumentOutOfRange()
    {
        var client = new StunClient(Options(new StunServerEndPoint("127.0.0.1")));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.QueryAsync((MappingProtocol)7, AddressFamily.InterNetwork, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.QueryAsync(MappingProtocol.Udp, AddressFamily.Unix, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.QueryTcpAsync(AddressFamily.Unix, BoundTcp, Ct));
    }

    [Fact]
    public async Task QueryUdpAsync_FailoverThenSuccess_LogsContractEvents()
    {
        await using var silent = LoopbackStunServer.Udp((_, _, _, _) => Task.CompletedTask);
        await using var good = LoopbackStunServer.Udp(async (index, request, client, socket) =>
            await socket.SendToAsync(StunResponses.Success(StunResponses.RequestId(request), Reported), client));
        var logs = new RecordingLoggerFactory();
        using var socket = BoundUdp();

        await new StunClient(Options(silent.Server, good.Server), logs).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct);

        var events = logs.Entries.ToArray();
        Assert.Contains(events, e => e.Id.Id == 1000 && e.Id.Name == "QueryStarting");
        Assert.Equal(3, events.Count(e => e.Id.Id == 1002 && e.Level == Microsoft.Extensions.Logging.LogLevel.Trace && e.Message.Contains(silent.EndPoint.ToString(), StringComparison.Ordinal)));
        Assert.Contains(events, e => e.Id.Id == 1004 && e.Level == Microsoft.Extensions.Logging.LogLevel.Debug && e.Message.Contains("no answer to 3 request(s)", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Id.Id == 1005 && e.Level == Microsoft.Extensions.Logging.LogLevel.Debug && e.Message.Contains(Reported.ToString(), StringComparison.Ordinal));
        var failover = Assert.Single(events, e => e.Id.Id == 1008);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, failover.Level);
        Assert.Contains(silent.Server + " failed over UDP (no answer to 3 request(s)", failover.Message, StringComparison.Ordinal);
        Assert.Contains(good.Server + " answered instead", failover.Message, StringComparison.Ordinal);
        Assert.All(events, e => Assert.InRange(e.Id.Id, 1000, 1999));
    }

    [Fact]
    public async Task QueryUdpAsync_FailoverEveryQuery_WarnsOnceUntilTheServerAnswersAgain()
    {
        await using var flaky = LoopbackStunServer.Udp(async (index, request, client, socket) =>
        {
            // Silent for the first two queries (three requests each), answering from the seventh request on.
            if (index >= 6)
            {
                await socket.SendToAsync(StunResponses.Success(StunResponses.RequestId(request), Reported), client);
            }
        });
        await using var good = LoopbackStunServer.Udp(async (index, request, client, socket) =>
            await socket.SendToAsync(StunResponses.Success(StunResponses.RequestId(request), Reported), client));
        var logs = new RecordingLoggerFactory();
        using var socket = BoundUdp();
        var client = new StunClient(Options(flaky.Server, good.Server), logs);

        var first = await client.QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct);
        var second = await client.QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct);
        int warningsWhileDown = logs.Entries.Count(e => e.Id.Id == 1008);
        var third = await client.QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(good.EndPoint, first.ServerEndPoint);
        Assert.Equal(good.EndPoint, second.ServerEndPoint);
        Assert.Equal(flaky.EndPoint, third.ServerEndPoint);
        Assert.Equal(1, warningsWhileDown);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Fact]
    public async Task QueryUdpAsync_NameDoesNotResolve_SkippedWithAReasonAndNoPlaceholder()
    {
        var unresolvable = new StunServerEndPoint("stun.invalid", 3478);
        await using var good = LoopbackStunServer.Udp(async (index, request, client, socket) =>
            await socket.SendToAsync(StunResponses.Success(StunResponses.RequestId(request), Reported), client));
        var logs = new RecordingLoggerFactory();
        using var socket = BoundUdp();

        await new StunClient(Options(unresolvable, good.Server), logs).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct);

        var skipped = Assert.Single(logs.Entries, e => e.Id.Id == 1009);
        Assert.StartsWith("STUN server stun.invalid:3478 skipped over UDP: cannot resolve (", skipped.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("(-)", StringComparison.Ordinal) || e.Message.Contains("SocketError", StringComparison.Ordinal));
        Assert.Single(logs.Entries, e => e.Id.Id == 1008);
    }

    [Fact]
    public void Constructor_NoServers_InvalidOptions()
    {
        var ex = Assert.Throws<ArgumentException>(() => new StunClient(new StunClientOptions()));
        Assert.Equal(nameof(StunClientOptions.StunServers), ex.ParamName);
    }

    [Theory]
    [InlineData(0, 7, 16, 1000)]
    [InlineData(500, 0, 16, 1000)]
    [InlineData(500, 7, 0, 1000)]
    [InlineData(500, 7, 16, 0)]
    public void Constructor_BadTiming_InvalidOptions(int rtoMs, int maxRequests, int lastWait, int tcpMs)
    {
        var options = Options(new StunServerEndPoint("127.0.0.1"));
        options.InitialRto = TimeSpan.FromMilliseconds(rtoMs);
        options.MaxRequests = maxRequests;
        options.LastWaitMultiplier = lastWait;
        options.TcpTimeout = TimeSpan.FromMilliseconds(tcpMs);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new StunClient(options));
        Assert.NotNull(ex.ParamName);
    }

    [Fact]
    public void Options_Defaults_FollowRfc8489()
    {
        var options = new StunClientOptions();
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.InitialRto);
        Assert.Equal(7, options.MaxRequests);
        Assert.Equal(16, options.LastWaitMultiplier);
        Assert.Equal(TimeSpan.FromSeconds(39.5), options.TcpTimeout);
        Assert.Empty(options.StunServers);
        Assert.Null(options.Software);
    }

    [Fact]
    public async Task QueryUdpAsync_TcpSocket_ArgumentException()
    {
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<ArgumentException>(() => new StunClient(Options(new StunServerEndPoint("127.0.0.1"))).QueryUdpAsync(tcp, Ct));
    }

    [Fact]
    public async Task QueryUdpAsync_SoftwareOption_SentInRequest()
    {
        await using var fake = LoopbackStunServer.Udp(async (index, request, client, socket) =>
            await socket.SendToAsync(StunResponses.Success(StunResponses.RequestId(request), Reported), client));
        var options = Options(fake.Server);
        options.Software = "natmap/ünïcode";
        using var socket = BoundUdp();

        await new StunClient(options).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct);

        Assert.True(fake.Datagrams.TryRead(out var request));
        Assert.Equal(StunParseError.None, StunMessage.TryParse(request.Data, out var message));
        Assert.True(SoftwareAttribute.TryRead(message, out var software));
        Assert.Equal("natmap/ünïcode", System.Text.Encoding.UTF8.GetString(software));
        Assert.True(message.FingerprintOffset > 0);
    }

    /// <summary>
    /// The requests a fake received, up to a sentinel datagram sent now: loopback delivers in send
    /// order, so every request the client sent before returning is in the list.
    /// </summary>
    private static async Task<List<byte[]>> DrainAsync(LoopbackStunServer fake)
    {
        var sentinel = "sentinel"u8.ToArray();
        using (var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            await sender.SendToAsync(sentinel, fake.EndPoint, Ct);
        }

        var requests = new List<byte[]>();
        while (true)
        {
            var datagram = (await fake.Datagrams.ReadAsync(Ct).AsTask().WaitAsync(Timeout, Ct)).Data;
            if (datagram.AsSpan().SequenceEqual(sentinel))
            {
                return requests;
            }

            requests.Add(datagram);
        }
    }

    private static StunClientOptions Options(params StunServerEndPoint[] servers) => Options(TimeSpan.FromMilliseconds(20), servers);

    /// <summary>
    /// Options with a given RTO: 20 ms where a test wants retransmissions or timeouts to pass
    /// quickly, seconds where an answer comes at once and a retransmission would only be noise.
    /// </summary>
    private static StunClientOptions Options(TimeSpan initialRto, params StunServerEndPoint[] servers)
    {
        var options = new StunClientOptions
        {
            InitialRto = initialRto,
            MaxRequests = 3,
            LastWaitMultiplier = 2,
            TcpTimeout = TimeSpan.FromSeconds(5),
        };
        foreach (var server in servers)
        {
            options.StunServers.Add(server);
        }

        return options;
    }

    private static Socket BoundUdp()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static Socket BoundTcp(AddressFamily family)
    {
        var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }
}
