#!/usr/bin/env python3
"""The client and upstream of bench/eaa.sh (inclavared's relay against socat's).

  upstream                 serve on 127.0.0.1: a sink (reads to EOF, answers the byte count as
                           8 bytes big-endian, closes) and an echo; both greet each connection
                           with one byte first. Prints "ready SINK_PORT ECHO_PORT".
  freeport N               N free TCP ports on 127.0.0.1 (for socat's listeners)
  bulk PORT MIB [NAME]     MIB MiB to the sink through PORT, then a half-close; prints MB/s from
                           the greeting to the count coming back (the count is checked)
  rtt PORT N SIZE RAW [NAME]
                           N round trips of SIZE bytes through the echo, after 200 untimed
                           ones; prints "median_us p90_us", appends each round trip (ns) to RAW
With NAME the client first sends inclavared's preamble {"connect":"NAME"} and reads its answer;
the clock starts only after that and after the upstream's greeting byte, so a relay's
connection set-up (inclavared's preamble, socat's fork and connect) is outside the time.
"""
import os
import socket
import struct
import sys
import threading
import time

GREETING = b"g"
CHUNK = 1 << 20


def recv_exact(s, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = s.recv_into(view[got:])
        if k == 0:
            raise SystemExit(f"eaa_client: connection closed after {got} of {n} bytes")
        got += k
    return bytes(buf)


def open_stream(port, name):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if name:
        s.sendall(b'{"connect":"%s"}\n' % name.encode())
        line = b""
        while not line.endswith(b"\n"):
            c = s.recv(1)  # byte by byte: nothing after the line is the preamble's
            if not c:
                break
            line += c
        if line.strip() != b'{"ok":true}':
            raise SystemExit(f"eaa_client: preamble answered {line!r}")
    if recv_exact(s, 1) != GREETING:
        raise SystemExit("eaa_client: no greeting from the upstream")
    return s


def serve_sink(c):
    buf = bytearray(CHUNK)
    total = 0
    while True:
        k = c.recv_into(buf)
        if k == 0:
            break
        total += k
    c.sendall(struct.pack(">Q", total))


def serve_echo(c):
    buf = bytearray(64 << 10)
    view = memoryview(buf)
    while True:
        k = c.recv_into(buf)
        if k == 0:
            break
        c.sendall(view[:k])


def serve(listener, handler):
    while True:
        c, _ = listener.accept()

        def one(c=c):
            try:
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                c.sendall(GREETING)
                handler(c)
            except OSError:
                pass
            finally:
                c.close()

        threading.Thread(target=one, daemon=True).start()


def upstream():
    ls = []
    for _ in range(2):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        ls.append(s)
    threading.Thread(target=serve, args=(ls[0], serve_sink), daemon=True).start()
    threading.Thread(target=serve, args=(ls[1], serve_echo), daemon=True).start()
    print("ready", ls[0].getsockname()[1], ls[1].getsockname()[1], flush=True)
    threading.Event().wait()


def freeport(n):
    held = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        held.append(s)
    print(" ".join(str(s.getsockname()[1]) for s in held))


def bulk(port, mib, name):
    data = memoryview(bytes(CHUNK))
    s = open_stream(port, name)
    total = mib * CHUNK
    t0 = time.perf_counter_ns()
    for _ in range(mib):
        s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    (count,) = struct.unpack(">Q", recv_exact(s, 8))
    t1 = time.perf_counter_ns()
    s.close()
    if count != total:
        raise SystemExit(f"eaa_client: the sink counted {count} bytes, not {total}")
    print("%.1f" % (total / ((t1 - t0) / 1e9) / 1e6))


def rtt(port, n, size, raw, name):
    msg = os.urandom(size)
    s = open_stream(port, name)
    buf = bytearray(size)
    view = memoryview(buf)
    clock = time.perf_counter_ns

    def once():
        s.sendall(msg)
        got = 0
        while got < size:
            k = s.recv_into(view[got:])
            if k == 0:
                raise SystemExit("eaa_client: the echo closed")
            got += k

    for _ in range(200):
        once()
    if bytes(buf) != msg:
        raise SystemExit("eaa_client: the echo changed the bytes")
    samples = [0] * n
    for i in range(n):
        t0 = clock()
        once()
        samples[i] = clock() - t0
    if bytes(buf) != msg:
        raise SystemExit("eaa_client: the echo changed the bytes")
    s.close()
    with open(raw, "a") as f:
        f.write("\n".join(map(str, samples)) + "\n")
    samples.sort()
    med = (samples[(n - 1) // 2] + samples[n // 2]) / 2
    p90 = samples[min(n - 1, max(0, -(-n * 9 // 10) - 1))]
    print("%.2f %.2f" % (med / 1e3, p90 / 1e3))


def main(argv):
    if not argv:
        raise SystemExit(__doc__)
    cmd, a = argv[0], argv[1:]
    if cmd == "upstream":
        upstream()
    elif cmd == "freeport":
        freeport(int(a[0]))
    elif cmd == "bulk":
        bulk(int(a[0]), int(a[1]), a[2] if len(a) > 2 else "")
    elif cmd == "rtt":
        rtt(int(a[0]), int(a[1]), int(a[2]), a[3], a[4] if len(a) > 4 else "")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
