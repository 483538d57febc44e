#!/usr/bin/env python3
# Time per transaction of replacing a kernel forwarder's table: libnftables (one nft_run_cmd_from_buffer
# call, as NftablesForwarder does) against running `nft -f FILE`. Run it in a network namespace of
# its own, as root: `ip netns add nb && ip netns exec nb python3 scripts/bench-nft-transaction.py 200; ip netns del nb`.
import ctypes, subprocess, time, sys, os, tempfile
N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
lib = ctypes.CDLL("libnftables.so.1")
lib.nft_ctx_new.restype = ctypes.c_void_p
lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
for f in ("nft_ctx_buffer_output", "nft_ctx_buffer_error"):
    getattr(lib, f).argtypes = [ctypes.c_void_p]
ctx = lib.nft_ctx_new(0)
lib.nft_ctx_buffer_output(ctx); lib.nft_ctx_buffer_error(ctx)
def ruleset(port):
    return f"""table inet natmap_tcp_5555
delete table inet natmap_tcp_5555
table inet natmap_tcp_5555 {{
	set peers {{
		type ipv4_addr . inet_service
		elements = {{ 203.0.113.2 . 3478, 203.0.113.2 . 80 }}
	}}
	chain pre {{
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 192.0.2.2 tcp dport 5555 ip saddr . tcp sport != @peers counter dnat ip to 198.51.100.10:{port} comment "natmap forwarded"
	}}
	chain count_forward {{
		type filter hook forward priority filter; policy accept;
		ct status dnat ct original ip daddr 192.0.2.2 meta l4proto tcp ct original proto-dst 5555 ct direction original counter comment "natmap to_target"
		ct status dnat ct original ip daddr 192.0.2.2 meta l4proto tcp ct original proto-dst 5555 ct direction reply counter comment "natmap from_target"
	}}
}}
"""
def lib_run(i):
    assert lib.nft_run_cmd_from_buffer(ctx, ruleset(8000 + i % 2).encode()) == 0
fd, path = tempfile.mkstemp(suffix=".nft")
os.close(fd)
def bin_run(i):
    with open(path, "w") as f: f.write(ruleset(8000 + i % 2))
    subprocess.run(["nft", "-f", path], check=True)
res = {}
for rnd in range(3):
    for name, fn in (("libnftables", lib_run), ("nft -f", bin_run)):
        t = time.perf_counter()
        for i in range(N): fn(i)
        res.setdefault(name, []).append((time.perf_counter() - t) / N * 1000)
for name, v in res.items():
    v.sort(); print(f"{name}: median {v[1]:.2f} ms per transaction (rounds {', '.join('%.2f' % x for x in v)})")
print("load", open("/proc/loadavg").read().split()[:3])
lib.nft_run_cmd_from_buffer(ctx, b"table inet natmap_tcp_5555\ndelete table inet natmap_tcp_5555\n")
os.unlink(path)
