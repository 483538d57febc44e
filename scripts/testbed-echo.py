#!/usr/bin/env python3
"""Answers every UDP datagram or TCP connection with the sender's address as this host sees it.

`testbed-echo.py udp|tcp ADDR PORT` prints `listening ADDR PORT` (flushed) once bound, so a
caller can wait for readiness, then replies `PEER-ADDR PEER-PORT\n` to each datagram, or to
each TCP connection before closing it. Used by the testbed to show what a NAT did to a flow.
"""
import socket
import sys


def main(proto, addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    with socket.socket(family, kind) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, int(port)))
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


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("udp", "tcp"):
        sys.exit("usage: testbed-echo.py udp|tcp ADDR PORT")
    main(*sys.argv[1:])
