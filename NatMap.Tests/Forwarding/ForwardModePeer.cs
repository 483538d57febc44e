using System.Globalization;
using System.Net;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Forwarding;

/// <summary>
/// The target service and the outside clients of the forward-mode testbed tests: one small Python
/// program (run with <c>python3 -c</c>, so the tests need no file beside them) with four modes.
/// <list type="bullet">
/// <item><c>serve tcp|udp ADDR PORT</c>: prints <c>listening ADDR PORT</c> once bound, then echoes.
/// TCP echoes every connection until the client half-closes, half-closes back and prints
/// <c>done PEER-ADDR PEER-PORT BYTES SHA256</c> of what it received; UDP echoes each datagram
/// (up to 65,535 bytes) and prints <c>echoed PEER-ADDR PEER-PORT BYTES</c>.</item>
/// <item><c>tcp ADDR PORT CLIENTS BYTES</c>: that many clients at once, each sending its own
/// pseudo-random bytes while reading the echo, then printing
/// <c>client I sent BYTES SHA256 received BYTES SHA256</c>.</item>
/// <item><c>udp ADDR PORT SOCKETS SIZE...</c>: for each size, every socket (its own source port)
/// sends a pseudo-random datagram, then each waits for its identical echo, sending the same bytes
/// again after 2 s without an answer (UDP may drop); prints <c>ok PORT SIZE</c> per datagram and
/// <c>resent N</c> at the end, exits 1 on a differing echo or four unanswered sends.</item>
/// <item><c>ask ADDR PORT</c>: one connection sending <c>ping\n</c>, expecting it back.</item>
/// </list>
/// </summary>
internal static class ForwardModePeer
{
    public const string Script = """
import hashlib, random, socket, sys, threading


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET

TIMEOUT = 60.0
CHUNK = 65536
PRINT = threading.Lock()


def serve_tcp(addr, port):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    print(f"listening {addr} {s.getsockname()[1]}", flush=True)
    while True:
        conn, peer = s.accept()
        threading.Thread(target=echo_tcp, args=(conn, peer), daemon=True).start()


def echo_tcp(conn, peer):
    # Echoes until the client half-closes, then half-closes back: every byte goes both ways.
    digest, total = hashlib.sha256(), 0
    with conn:
        conn.settimeout(TIMEOUT)
        while True:
            data = conn.recv(CHUNK)
            if not data:
                break
            digest.update(data)
            total += len(data)
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
    with PRINT:
        print(f"done {peer[0]} {peer[1]} {total} {digest.hexdigest()}", flush=True)


def serve_udp(addr, port):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Every forwarder session's large datagrams queue here at once; the default buffer drops them.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((addr, port))
    print(f"listening {addr} {s.getsockname()[1]}", flush=True)
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)
        print(f"echoed {peer[0]} {peer[1]} {len(data)}", flush=True)


def client_tcp(addr, port, clients, size):
    results, errors = [None] * clients, []

    def one(index):
        try:
            payload = random.Random(index).randbytes(size)
            with socket.create_connection((addr, port), timeout=TIMEOUT) as c:
                received, digest = 0, hashlib.sha256()

                def send():
                    try:
                        view = memoryview(payload)
                        for offset in range(0, size, CHUNK):
                            c.sendall(view[offset:offset + CHUNK])
                        c.shutdown(socket.SHUT_WR)
                    except OSError as e:
                        errors.append(f"client {index} failed to send: {e!r}")

                sender = threading.Thread(target=send)
                sender.start()
                while True:
                    data = c.recv(CHUNK)
                    if not data:
                        break
                    digest.update(data)
                    received += len(data)
                sender.join()
            results[index] = f"client {index} sent {size} {hashlib.sha256(payload).hexdigest()} received {received} {digest.hexdigest()}"
        except Exception as e:  # reported, and the exit code says it failed
            errors.append(f"client {index} failed: {e!r}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for line in results:
        if line:
            print(line)
    for line in errors:
        print(line)
    sys.exit(1 if errors else 0)


def client_udp(addr, port, sockets, sizes):
    # Each round sends one datagram from every socket before reading any echo, so the forwarder
    # has several sessions with datagrams in flight at once. A socket without its echo after 2 s
    # sends the same bytes again (UDP may drop); an echo that differs from every datagram that
    # socket sent fails the run.
    rng = random.Random(7)
    socks = [socket.socket(family(addr), socket.SOCK_DGRAM) for _ in range(sockets)]
    sent_before = [set() for _ in socks]
    resent = 0
    for s in socks:
        s.bind(("::" if ":" in addr else "0.0.0.0", 0))
        s.settimeout(2.0)
    for size in sizes:
        payloads = [rng.randbytes(size) for _ in socks]
        for s, payload in zip(socks, payloads):
            s.sendto(payload, (addr, port))
        for i, (s, payload) in enumerate(zip(socks, payloads)):
            for attempt in range(4):
                try:
                    while True:
                        data, _ = s.recvfrom(65535)
                        if data == payload:
                            break
                        if data not in sent_before[i]:
                            print(f"mismatch port {s.getsockname()[1]} size {size}: got {len(data)} bytes")
                            sys.exit(1)
                    break
                except socket.timeout:
                    resent += 1
                    print(f"resend {s.getsockname()[1]} {size}")
                    s.sendto(payload, (addr, port))
            else:
                print(f"no echo port {s.getsockname()[1]} size {size}")
                sys.exit(1)
            sent_before[i].add(payload)
            print(f"ok {s.getsockname()[1]} {size}")
    print(f"resent {resent}")


def ask_tcp(addr, port):
    # One connection with a short exchange: proves the path without bulk traffic.
    with socket.create_connection((addr, port), timeout=5.0) as c:
        c.sendall(b"ping\n")
        c.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := c.recv(CHUNK):
            data += chunk
        print(f"answer {data!r} from {c.getsockname()[1]}")
        sys.exit(0 if data == b"ping\n" else 1)


mode = sys.argv[1]
if mode == "serve":
    (serve_tcp if sys.argv[2] == "tcp" else serve_udp)(sys.argv[3], int(sys.argv[4]))
elif mode == "tcp":
    client_tcp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
elif mode == "udp":
    client_udp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), [int(x) for x in sys.argv[5:]])
elif mode == "ask":
    ask_tcp(sys.argv[2], int(sys.argv[3]))
""";

    /// <summary>Starts the echo service in <paramref name="node"/> and returns once it is bound.</summary>
    public static async Task<CapturedProcess> StartServiceAsync(Infrastructure.Testbed testbed, TestbedNode node, string protocol, IPAddress address, int port)
    {
        var service = testbed.Start(node, "python3", ["-u", "-c", Script, "serve", protocol, address.ToString(), Text(port)]);
        await service.ReadLineAsync(line => line.StartsWith("listening ", StringComparison.Ordinal), Infrastructure.Testbed.CommandTimeout, "'listening'");
        return service;
    }

    /// <summary>Runs a client mode in <paramref name="node"/> to completion.</summary>
    public static Task<CommandResult> RunClientAsync(Infrastructure.Testbed testbed, TestbedNode node, TimeSpan timeout, params string[] arguments) =>
        testbed.ExecAsync(node, ["python3", "-c", Script, .. arguments], timeout: timeout);

    public static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
