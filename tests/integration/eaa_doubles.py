#!/usr/bin/env python3
"""Test doubles for tests/integration/eaa.sh (each prints `ready PORT` once listening):

  flip PORT UPSTREAM_PORT handshake|appdata
      A TCP proxy to 127.0.0.1:UPSTREAM_PORT that passes each direction's first line (the EAA
      preamble and inclavared's answer) through, then flips one byte of the TLS stream: in
      `handshake` the 20th byte of the server's first record (its ServerHello's random), in
      `appdata` a byte in the body of the client's second application-data record (the first is
      its encrypted Finished; the second carries the EAA hello).
  replay PORT EVIDENCE_JSON CERT KEY
      A broker double: answers any preamble {"ok":true}, then TLS with CERT/KEY (the tenant's
      broker session trusts no certificate), hello, and every get_evidence with the evidence and
      TARGETINFO of an earlier `rune attest` (EVIDENCE_JSON): a replay.
  plain PORT
      Not TLS: answers whatever it is sent with a line of text.
  badframe PORT oversized|notjson
      A client of inclavared's broker (no `ready`): the preamble, TLS without verification, hello,
      then a frame whose header says 4 GiB, or one that is not a JSON object; prints the `code` of
      the error frame inclavared answers and whether it then closed (`closed`).
"""
import json
import socket
import ssl
import struct
import sys
import threading


def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(port)))
    s.listen(16)
    print("ready", s.getsockname()[1], flush=True)
    return s


def read_line(conn):
    line = b""
    while not line.endswith(b"\n"):
        c = conn.recv(1)
        if not c:
            break
        line += c
    return line


class Flipper:
    """Copies one direction, flipping one byte of the TLS records after the first line."""

    def __init__(self, mode, direction):
        self.mode, self.direction = mode, direction
        self.in_line, self.buf, self.done, self.appdata = True, b"", False, 0

    def feed(self, data):
        out = b""
        if self.in_line:
            nl = data.find(b"\n")
            if nl < 0:
                return data
            out, data, self.in_line = data[: nl + 1], data[nl + 1 :], False
        if self.done:
            return out + data
        self.buf += data
        res = b""
        # Whole records only, until the byte is flipped.
        while len(self.buf) >= 5 and not self.done:
            typ, length = self.buf[0], struct.unpack(">H", self.buf[3:5])[0]
            if len(self.buf) < 5 + length:
                break
            rec = bytearray(self.buf[: 5 + length])
            self.buf = self.buf[5 + length :]
            if self.mode == "handshake" and self.direction == "down" and typ == 22:
                rec[5 + 20] ^= 0x01
                self.done = True
            if self.mode == "appdata" and self.direction == "up" and typ == 23:
                self.appdata += 1
                if self.appdata == 2:
                    rec[5 + length // 2] ^= 0x01
                    self.done = True
            res += bytes(rec)
        if self.done:
            res, self.buf = res + self.buf, b""
        return out + res


def pump(src, dst, f):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(f.feed(data))
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def flip(port, upstream, mode):
    s = listen(port)
    while True:
        c, _ = s.accept()
        u = socket.create_connection(("127.0.0.1", int(upstream)))
        threading.Thread(target=pump, args=(c, u, Flipper(mode, "up")), daemon=True).start()
        threading.Thread(target=pump, args=(u, c, Flipper(mode, "down")), daemon=True).start()


def frame(obj):
    b = json.dumps(obj).encode()
    return struct.pack(">I", len(b)) + b


def read_frame(t):
    hdr = b""
    while len(hdr) < 4:
        d = t.recv(4 - len(hdr))
        if not d:
            return None
        hdr += d
    n, body = struct.unpack(">I", hdr)[0], b""
    while len(body) < n:
        d = t.recv(n - len(body))
        if not d:
            return None
        body += d
    return json.loads(body)


def replay(port, evidence_json, cert, key):
    ev = json.load(open(evidence_json))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cert, key)
    s = listen(port)
    while True:
        c, _ = s.accept()
        try:
            read_line(c)
            c.sendall(b'{"ok":true}\n')
            t = ctx.wrap_socket(c, server_side=True)
            while True:
                m = read_frame(t)
                if m is None:
                    break
                if m.get("type") == "hello":
                    t.sendall(frame({"type": "hello", "version": 1}))
                else:
                    t.sendall(frame({"type": "evidence", "tee": ev["tee"],
                                     "evidence": ev["evidence"], "target_info": ev["target_info"]}))
            t.close()
        except (OSError, ssl.SSLError):
            c.close()


def badframe(port, kind):
    c = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    c.sendall(b'{"broker":true}\n')
    if read_line(c) != b'{"ok":true}\n':
        print("no ok")
        return
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    t = ctx.wrap_socket(c)
    t.sendall(frame({"type": "hello", "version": 1}))
    read_frame(t)
    t.sendall(b"\xff\xff\xff\xff" if kind == "oversized" else struct.pack(">I", 3) + b"[1]")
    m = read_frame(t)
    print(m.get("code") if m else "no reply", end=" ")
    try:
        print("closed" if read_frame(t) is None else "open")
    except (OSError, ssl.SSLError):
        print("closed")


def plain(port):
    s = listen(port)
    while True:
        c, _ = s.accept()
        try:
            c.recv(4096)
            c.sendall(b"HTTP/1.0 400 not TLS here\r\n\r\n")
        except OSError:
            pass
        c.close()


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"flip": flip, "replay": replay, "plain": plain, "badframe": badframe}[cmd](*args)
