#!/usr/bin/env python3
"""A loopback STUN Binding responder for the release and size checks (never for the tests, which
run coturn): every Binding request gets a success response (RFC 8489) whose XOR-MAPPED-ADDRESS is
203.0.113.1:45555, so natmap reports a mapping and then checks once per keep-alive interval.

    stun-fake.py PORT_FILE [SECONDS]

binds UDP 127.0.0.1 on a free port, writes the port number to PORT_FILE, and answers until SECONDS
(default 120) pass without a request.
"""
import socket
import struct
import sys

MAGIC_COOKIE = 0x2112A442
PUBLIC_IP = bytes([203, 0, 113, 1])
PUBLIC_PORT = 45555


def main():
    port_file = sys.argv[1]
    idle = float(sys.argv[2]) if len(sys.argv) > 2 else 120
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    with open(port_file, "w") as f:
        f.write(str(s.getsockname()[1]))
    s.settimeout(idle)
    cookie = struct.pack("!I", MAGIC_COOKIE)
    try:
        while True:
            data, peer = s.recvfrom(1500)
            # A Binding request: type 0x0001, the magic cookie, a 96-bit transaction id.
            if len(data) < 20 or data[0:2] != b"\x00\x01" or data[4:8] != cookie:
                continue
            xport = PUBLIC_PORT ^ (MAGIC_COOKIE >> 16)
            xaddr = bytes(a ^ c for a, c in zip(PUBLIC_IP, cookie))
            attr = struct.pack("!HHBBH", 0x0020, 8, 0, 1, xport) + xaddr
            s.sendto(struct.pack("!HH", 0x0101, len(attr)) + data[4:20] + attr, peer)
    except socket.timeout:
        pass


if __name__ == "__main__":
    main()
