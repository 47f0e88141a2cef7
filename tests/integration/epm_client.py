#!/usr/bin/env python3
"""A raw client of epm's take.sock for integration.epm: sends one request and prints the answer
as JSON (plus what the test asked to check on a received memfd).

  epm_client.py SOCKET take BUILD_ID ARGS        a well-formed take; prints {"reply":..,"fd":..}
  epm_client.py SOCKET raw TEXT                  sends TEXT as is
  epm_client.py SOCKET big N                     sends N bytes of JSON-ish padding
  --check-sealed   on a hit: write() and a shared writable mmap must fail with EPERM
  --as-user UID    drop to UID first (the test chmods the socket 0666)
"""
import argparse
import array
import errno
import json
import mmap
import os
import socket
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check-sealed", action="store_true")
    ap.add_argument("--as-user", type=int)
    ap.add_argument("path")
    ap.add_argument("mode", choices=["take", "raw", "big"])
    ap.add_argument("rest", nargs="*")
    o = ap.parse_args()
    if o.as_user is not None:
        os.setgid(o.as_user)
        os.setuid(o.as_user)
    path, mode, args = o.path, o.mode, [None, None] + o.rest
    opts = {"sealed": o.check_sealed}
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    if mode == "take":
        msg = json.dumps({"v": 1, "op": "take", "key": {"build_id": args[2], "args": args[3]},
                          "container": "epm_client"}).encode()
    elif mode == "raw":
        msg = args[2].encode()
    elif mode == "big":
        msg = b"{" + b" " * (int(args[2]) - 2) + b"}"
    else:
        sys.exit("unknown mode " + mode)
    s.send(msg)
    fds = array.array("i")
    data, anc, flags, _ = s.recvmsg(65536, socket.CMSG_LEN(16 * fds.itemsize))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    out = {"reply": json.loads(data.decode()) if data else None, "fds": len(fds)}
    if fds:
        fd = fds[0]
        st = os.fstat(fd)
        out["inode"] = st.st_ino
        out["size"] = st.st_size
        out["link"] = os.readlink("/proc/self/fd/%d" % fd)
        if opts.get("sealed"):
            try:
                os.write(fd, b"x")
                out["write"] = "ok"
            except OSError as e:
                out["write"] = errno.errorcode[e.errno]
            try:
                m = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
                m.close()
                out["mmap_shared_write"] = "ok"
            except OSError as e:
                out["mmap_shared_write"] = errno.errorcode[e.errno]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
