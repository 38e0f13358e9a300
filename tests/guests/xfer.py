#!/usr/bin/env python3
# tests/guests/xfer.py - the host's end of a guest TCP transfer (QEMU guest tests and bench): 64 KiB
# socket writes and reads, since busybox nc's small copies would measure nc, not the network.
#
# Usage:
#   xfer.py send ADDR PORT SRC SECS   connect (retried until SECS) and write SRC: a file, or
#                                     zero:N for N seconds of zeros
#   xfer.py recv PORT SECS [count|FILE]  accept one connection on PORT and read it to EOF
#                                     (count: no md5, for the benchmark's streams of zeros;
#                                     FILE: what came is also kept in FILE)
#   xfer.py ask ADDR PORT SECS LINE   one request LINE to a guest's bench agent (bench-agent.sh
#                                     on TCP 7000); prints its answer
# send and recv print "bytes B secs S md5 M" (M of the bytes moved; "-" for zeros) and exit 0, or say
# why on stderr and exit 1 (nothing within SECS, a reset, ...). The time runs from the
# first byte to the last: connection set-up and the peer's start are left out.
import hashlib
import socket
import sys
import time

BLOCK = 65536


def send(addr, port, src, secs):
    end = time.monotonic() + secs
    while True:
        try:
            s = socket.create_connection((addr, port), timeout=2)
            break
        except OSError as e:
            if time.monotonic() > end:
                sys.stderr.write("xfer: no receiver at %s port %d: %s\n" % (addr, port, e))
                return 1
            time.sleep(0.2)
    s.settimeout(max(5.0, end - time.monotonic()))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    h = None
    n = 0
    t0 = time.monotonic()
    if src.startswith("zero:"):
        stop = t0 + float(src[5:])
        blk = bytes(BLOCK)
        while time.monotonic() < stop:
            s.sendall(blk)
            n += BLOCK
    else:
        h = hashlib.md5()
        with open(src, "rb") as f:
            while True:
                b = f.read(BLOCK)
                if not b:
                    break
                s.sendall(b)
                h.update(b)
                n += len(b)
    s.shutdown(socket.SHUT_WR)
    # the peer's EOF: every byte was taken by its application, not only by our kernel
    s.recv(1)
    t1 = time.monotonic()
    s.close()
    print("bytes %d secs %.3f md5 %s" % (n, t1 - t0, h.hexdigest() if h else "-"))
    return 0


def recv(port, secs, md5, keep=None):
    ls = socket.socket(socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    ls.bind(("", port))
    ls.listen(1)
    ls.settimeout(secs)
    try:
        s, _ = ls.accept()
    except socket.timeout:
        sys.stderr.write("xfer: nobody connected to port %d in %g s\n" % (port, secs))
        return 1
    s.settimeout(secs)
    h = hashlib.md5() if md5 else None
    out = open(keep, "wb") if keep else None
    n = 0
    t0 = None
    while True:
        try:
            b = s.recv(BLOCK * 4)
        except OSError as e:
            sys.stderr.write("xfer: receive after %d bytes: %s\n" % (n, e))
            return 1
        if not b:
            break
        if t0 is None:
            t0 = time.monotonic()
        if h:
            h.update(b)
        if out:
            out.write(b)
        n += len(b)
    t1 = time.monotonic()
    s.close()
    if out:
        out.close()
    print("bytes %d secs %.3f md5 %s" % (n, (t1 - t0) if t0 else 0.0, h.hexdigest() if h else "-"))
    return 0


def ask(addr, port, secs, line):
    try:
        s = socket.create_connection((addr, port), timeout=secs)
        s.settimeout(secs)
        s.sendall(line.encode() + b"\n")
        s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError as e:
        sys.stderr.write("xfer: ask %s port %d '%s': %s\n" % (addr, port, line, e))
        return 1
    sys.stdout.write(out.decode(errors="replace"))
    return 0


def main():
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "send":
        return send(a[1], int(a[2]), a[3], float(a[4]))
    if len(a) in (3, 4) and a[0] == "recv" and a[3:] == ["count"]:
        return recv(int(a[1]), float(a[2]), False)
    if len(a) in (3, 4) and a[0] == "recv":
        return recv(int(a[1]), float(a[2]), True, a[3] if len(a) == 4 else None)
    if len(a) == 5 and a[0] == "ask":
        return ask(a[1], int(a[2]), float(a[3]), a[4])
    sys.stderr.write("usage: xfer.py send ADDR PORT SRC SECS | recv PORT SECS [count|FILE] | ask ADDR PORT SECS LINE\n")
    return 64


if __name__ == "__main__":
    sys.exit(main())
