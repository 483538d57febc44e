#!/usr/bin/env python3
"""Small network peers for the testbed, to show what the NAT does to a flow.

  testbed-peer.py echo udp|tcp [--reuseport] ADDR PORT
      Binds ADDR:PORT (with --reuseport also SO_REUSEPORT, as a service that shares its port
      with natmap's bind mode), prints `listening ADDR PORT` (flushed) so a caller can wait for
      readiness, then answers every datagram, or every TCP connection before closing it, with
      `PEER-ADDR PEER-PORT` as seen here.
  testbed-peer.py ask udp|tcp [--from PORT] ADDR PORT
      Sends one datagram (or connects) from local port PORT (any when omitted) and prints the
      answer line.
  testbed-peer.py spray udp ADDR PORT COUNT
      Sends one datagram to ADDR:PORT from each of COUNT sockets, so from COUNT source ports,
      and prints a line `LOCAL-PORT FROM-ADDR FROM-PORT ANSWER` for every answer, then
      `sprayed COUNT answered N`. It waits until every socket has an answer, 5 seconds at most,
      and 1 second more once the first has come.
  testbed-peer.py stun udp|tcp [--from PORT] ADDR PORT
      Sends one STUN Binding request (RFC 8489) and prints the XOR-MAPPED-ADDRESS as
      `ADDR PORT`.

  testbed-peer.py forge udp ADDR PORT
      A STUN server, as a hostile network shows it: binds ADDR:PORT, prints `listening ADDR
      PORT`, and answers every Binding request twice, first with a copy of its answer cut to 23
      bytes (what an on-path attacker or a broken middlebox injects), then with the true answer
      (XOR-MAPPED-ADDRESS of the source it sees, FINGERPRINT). A client that follows RFC 8489
      section 6.3 discards the first and takes the second.

  testbed-peer.py hold udp|tcp PORT
      Binds 0.0.0.0:PORT without SO_REUSEADDR or SO_REUSEPORT (a TCP socket is bound but
      neither listening nor connected, so no other socket can share the port and /proc lists
      no owner for it), prints `holding PORT` and waits until killed.

  testbed-peer.py bulk tcp ADDR PORT BYTES CLIENTS
      Opens CLIENTS connections at once to an echo service; each sends BYTES of its own
      pseudo-random data, half-closes, and reads the echo to its end while sending. Prints
      `bulk ok CLIENTS BYTES` when every echo is the data sent, byte for byte, or
      `bulk failed ...` and exits 1.

ask and stun give up after 5 seconds with exit code 2 (bulk: 60 seconds without progress).
"""
import ipaddress
import os
import signal
import socket
import struct
import sys
import threading
import zlib

TIMEOUT = 5.0
MAGIC = 0x2112A442


def make_socket(proto, addr, local_port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(family, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if local_port:
        s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", local_port))
    s.settimeout(TIMEOUT)
    return s


def echo(proto, addr, port, reuseport=False):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    with socket.socket(family, kind) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuseport:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind((addr, port))
        if kind == socket.SOCK_STREAM:
            s.listen(16)
        print(f"listening {addr} {s.getsockname()[1]}", flush=True)
        while True:
            if kind == socket.SOCK_DGRAM:
                _, peer = s.recvfrom(2048)
                s.sendto(f"{peer[0]} {peer[1]}\n".encode(), peer)
            else:
                conn, peer = s.accept()
                with conn:
                    conn.sendall(f"{peer[0]} {peer[1]}\n".encode())
            print(f"answered {peer[0]} {peer[1]}", flush=True)


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed early")
        data += chunk
    return data


def ask(proto, addr, port, local_port):
    with make_socket(proto, addr, local_port) as s:
        if proto == "udp":
            s.sendto(b"?", (addr, port))
            data, _ = s.recvfrom(2048)
        else:
            s.connect((addr, port))
            data = s.makefile("rb").readline()
    print(data.decode().strip(), flush=True)


def stun(proto, addr, port, local_port):
    tid = os.urandom(12)
    request = struct.pack("!HHI", 0x0001, 0, MAGIC) + tid
    with make_socket(proto, addr, local_port) as s:
        if proto == "udp":
            s.sendto(request, (addr, port))
            data, _ = s.recvfrom(2048)
        else:
            s.connect((addr, port))
            s.sendall(request)
            header = recv_exact(s, 20)
            data = header + recv_exact(s, struct.unpack("!H", header[2:4])[0])
    kind, length, magic = struct.unpack("!HHI", data[:8])
    if kind != 0x0101 or magic != MAGIC or data[8:20] != tid:
        sys.exit(f"not a Binding success response for our request (type {kind:#06x})")
    pos = 20
    while pos + 4 <= 20 + length:
        atype, alen = struct.unpack("!HH", data[pos:pos + 4])
        value = data[pos + 4:pos + 4 + alen]
        if atype == 0x0020:  # XOR-MAPPED-ADDRESS, RFC 8489 section 14.2
            family = value[1]
            xport = struct.unpack("!H", value[2:4])[0] ^ (MAGIC >> 16)
            key = struct.pack("!I", MAGIC) + tid
            raw = bytes(b ^ key[i] for i, b in enumerate(value[4:4 + (4 if family == 1 else 16)]))
            print(f"{ipaddress.ip_address(raw)} {xport}", flush=True)
            return
        pos += 4 + ((alen + 3) & ~3)
    sys.exit("no XOR-MAPPED-ADDRESS in the response")


def spray(addr, port, count):
    import select
    import time
    sockets = []
    answered = {}
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("0.0.0.0", 0))
            s.sendto(b"?", (addr, port))
            sockets.append(s)
        deadline = time.monotonic() + TIMEOUT
        while len(answered) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([s for s in sockets if s not in answered], [], [], left)
            for s in ready:
                data, peer = s.recvfrom(2048)
                answered[s] = f"{s.getsockname()[1]} {peer[0]} {peer[1]} {data.decode().strip()}"
                print(answered[s], flush=True)
                deadline = min(deadline, time.monotonic() + 1.0)
    finally:
        for s in sockets:
            s.close()
    print(f"sprayed {count} answered {len(answered)}", flush=True)
    return 0


def binding_success(tid, peer):
    """A Binding success response for `tid` reporting `peer` (RFC 8489 sections 14.2 and 14.7)."""
    address = ipaddress.ip_address(peer[0])
    key = struct.pack("!I", MAGIC) + tid
    raw = address.packed
    xaddr = bytes(b ^ key[i] for i, b in enumerate(raw))
    family = 1 if address.version == 4 else 2
    value = struct.pack("!BBH", 0, family, peer[1] ^ (MAGIC >> 16)) + xaddr
    attrs = struct.pack("!HH", 0x0020, len(value)) + value
    length = len(attrs) + 8
    message = struct.pack("!HHI", 0x0101, length, MAGIC) + tid + attrs
    crc = (zlib.crc32(message) ^ 0x5354554E) & 0xFFFFFFFF
    return message + struct.pack("!HHI", 0x8028, 4, crc)


def forge(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        print(f"listening {addr} {s.getsockname()[1]}", flush=True)
        while True:
            data, peer = s.recvfrom(2048)
            if len(data) < 20 or struct.unpack("!HHI", data[:8])[0::2] != (0x0001, MAGIC):
                continue
            answer = binding_success(data[8:20], peer)
            s.sendto(answer[:23], peer)
            s.sendto(answer, peer)
            print(f"answered {peer[0]} {peer[1]}", flush=True)


def bulk(addr, port, total, clients):
    results = [None] * clients

    def client(index):
        try:
            block = random_block(index)
            with socket.create_connection((addr, port), timeout=60) as s:
                sent_hash, received_hash = hashlib_new(), hashlib_new()
                received = [0]

                def receive():
                    while True:
                        chunk = s.recv(1 << 20)
                        if not chunk:
                            return
                        received_hash.update(chunk)
                        received[0] += len(chunk)

                reader = threading.Thread(target=receive)
                reader.start()
                left = total
                while left > 0:
                    part = block[: min(len(block), left)]
                    s.sendall(part)
                    sent_hash.update(part)
                    left -= len(part)
                s.shutdown(socket.SHUT_WR)
                reader.join(120)
                if reader.is_alive():
                    results[index] = "echo did not end"
                elif received[0] != total or received_hash.digest() != sent_hash.digest():
                    results[index] = f"{received[0]} bytes back, not the {total} sent" if received[0] != total else "echo differs"
                else:
                    results[index] = "ok"
        except OSError as e:
            results[index] = f"{type(e).__name__}: {e}"

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bad = [f"client {i}: {r}" for i, r in enumerate(results) if r != "ok"]
    if bad:
        print("bulk failed " + "; ".join(bad), flush=True)
        return 1
    print(f"bulk ok {clients} {total}", flush=True)
    return 0


def random_block(seed):
    import random
    return random.Random(seed).randbytes(1 << 20)


def hashlib_new():
    import hashlib
    return hashlib.sha256()


def hold(proto, port):
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("0.0.0.0", port))
        print(f"holding {port}", flush=True)
        signal.pause()


def main(argv):
    if len(argv) == 3 and argv[0] == "hold" and argv[1] in ("udp", "tcp"):
        hold(argv[1], int(argv[2]))
        return 0
    if len(argv) == 6 and argv[0] == "bulk" and argv[1] == "tcp":
        return bulk(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    if len(argv) == 5 and argv[0] == "spray" and argv[1] == "udp":
        return spray(argv[2], int(argv[3]), int(argv[4]))
    if len(argv) == 4 and argv[0] == "forge" and argv[1] == "udp":
        forge(argv[2], int(argv[3]))
        return 0
    if len(argv) < 4 or argv[0] not in ("echo", "ask", "stun") or argv[1] not in ("udp", "tcp"):
        sys.exit(__doc__)
    mode, proto, rest = argv[0], argv[1], argv[2:]
    local_port = 0
    reuseport = False
    if rest[0] == "--from":
        local_port, rest = int(rest[1]), rest[2:]
    elif rest[0] == "--reuseport" and mode == "echo":
        reuseport, rest = True, rest[1:]
    addr, port = rest[0], int(rest[1])
    try:
        if mode == "echo":
            echo(proto, addr, port, reuseport)
        elif mode == "ask":
            ask(proto, addr, port, local_port)
        else:
            stun(proto, addr, port, local_port)
    except (socket.timeout, ConnectionError) as e:
        print(f"testbed-peer.py: {mode} {proto} {addr} {port}: {e or 'timed out'}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
