#!/usr/bin/env python3
"""Load for scripts/soak.sh: an echo service, and clients that come and go.

  soak-peer.py echo ADDR PORT
      Echoes TCP (every connection, until the client closes) and UDP (every datagram) on
      ADDR:PORT. Prints `listening ADDR PORT` (flushed) once both are bound.
  soak-peer.py churn SECONDS RATE PROTO:ADDR:PORTFILE...
      For SECONDS, opens RATE new flows a second to each target, from a new local port each
      time: a TCP connection that sends 64 bytes, reads them back and closes, or a UDP socket
      that sends three 64-byte datagrams, reads each answer and closes. The target port is read
      from PORTFILE (re-read when it changes), because soak.sh re-maps the public port. Stops by
      itself after SECONDS; prints one line per target and minute: `PROTO PORT ok N failed N`.
"""
import asyncio
import os
import socket
import sys
import time

PAYLOAD = b"x" * 64
FLOW_TIMEOUT = 3.0


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


async def echo_tcp(reader, writer):
    try:
        while True:
            data = await reader.read(4096)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def echo(addr, port):
    loop = asyncio.get_running_loop()
    server = await asyncio.start_server(echo_tcp, addr, port, reuse_address=True, backlog=512)
    await loop.create_datagram_endpoint(Echo, local_addr=(addr, port))
    print(f"listening {addr} {port}", flush=True)
    async with server:
        await server.serve_forever()


class Target:
    def __init__(self, spec):
        self.proto, self.addr, self.port_file = spec.split(":", 2)
        self.port = 0
        self.mtime = None
        self.ok = 0
        self.failed = 0

    def current_port(self):
        try:
            mtime = os.stat(self.port_file).st_mtime_ns
            if mtime != self.mtime:
                with open(self.port_file) as f:
                    self.port = int(f.read().strip() or 0)
                self.mtime = mtime
        except (OSError, ValueError):
            pass
        return self.port


async def tcp_flow(t, port):
    reader, writer = await asyncio.open_connection(t.addr, port)
    try:
        writer.write(PAYLOAD)
        await writer.drain()
        await reader.readexactly(len(PAYLOAD))
    finally:
        writer.close()


class UdpClient(asyncio.DatagramProtocol):
    def __init__(self):
        self.answers = asyncio.Queue()

    def datagram_received(self, data, addr):
        self.answers.put_nowait(data)


async def udp_flow(t, port):
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_datagram_endpoint(UdpClient, remote_addr=(t.addr, port))
    try:
        for _ in range(3):
            transport.sendto(PAYLOAD)
            await client.answers.get()
    finally:
        transport.close()


async def flow(t):
    port = t.current_port()
    if not port:
        t.failed += 1
        return
    try:
        await asyncio.wait_for(tcp_flow(t, port) if t.proto == "tcp" else udp_flow(t, port), FLOW_TIMEOUT)
        t.ok += 1
    except (asyncio.TimeoutError, asyncio.IncompleteReadError, OSError):
        t.failed += 1


async def churn(seconds, rate, specs):
    targets = [Target(s) for s in specs]
    tasks = set()
    start = time.monotonic()
    next_report = start + 60
    n = 0
    while True:
        now = time.monotonic()
        if now - start >= seconds:
            break
        if now >= next_report:
            for t in targets:
                print(f"{t.proto} {t.port} ok {t.ok} failed {t.failed}", flush=True)
            next_report += 60
        for t in targets:
            task = asyncio.ensure_future(flow(t))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        n += 1
        # Paced against the start time, so a slow round does not lower the rate.
        await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
    if tasks:
        await asyncio.wait(tasks, timeout=FLOW_TIMEOUT + 1)
    for t in targets:
        print(f"{t.proto} {t.port} ok {t.ok} failed {t.failed}", flush=True)


def main(argv):
    if len(argv) == 3 and argv[0] == "echo":
        asyncio.run(echo(argv[1], int(argv[2])))
        return 0
    if len(argv) >= 4 and argv[0] == "churn":
        asyncio.run(churn(float(argv[1]), float(argv[2]), argv[3:]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
