#!/usr/bin/env python3
# tests/guests/qemu-ctl.py - the host's end of a QEMU guest's command agent (tests/guests/init-qemu.sh):
# one shell command line to the virtio-serial port's Unix socket, its output back, its exit status as ours.
#
# Usage: qemu-ctl.py SOCKET SECS COMMAND...
#   SOCKET  the QEMU chardev socket (server=on) of the port "cpnet.ctl"
#   SECS    bound of the whole exchange (connect, run, answer); 124 when it passed
# Prints the command's output (stdout and stderr merged); exits with its status.
import socket
import sys
import time

RC = b"CPNET-RC "


def main():
    if len(sys.argv) < 4:
        sys.stderr.write("usage: qemu-ctl.py SOCKET SECS COMMAND...\n")
        return 64
    path, secs, cmd = sys.argv[1], float(sys.argv[2]), " ".join(sys.argv[3:])
    if "\n" in cmd:
        sys.stderr.write("qemu-ctl: the command must be one line\n")
        return 64
    end = time.monotonic() + secs
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # QEMU accepts one client at a time: a previous helper's connection may still be closing
    while True:
        try:
            s.connect(path)
            break
        except OSError as e:
            if time.monotonic() > end:
                sys.stderr.write("qemu-ctl: cannot connect to %s: %s\n" % (path, e))
                return 124
            time.sleep(0.1)
    s.sendall(cmd.encode() + b"\n")
    buf = b""
    while True:
        left = end - time.monotonic()
        if left <= 0:
            sys.stdout.buffer.write(buf)
            sys.stderr.write("qemu-ctl: no answer to '%s' in %g s\n" % (cmd, secs))
            return 124
        s.settimeout(left)
        try:
            got = s.recv(65536)
        except socket.timeout:
            continue
        if not got:
            sys.stdout.buffer.write(buf)
            sys.stderr.write("qemu-ctl: the guest closed the port during '%s'\n" % cmd)
            return 125
        buf += got
        # the status line ends the answer: the last complete line, beginning with RC
        if buf.endswith(b"\n"):
            i = buf.rfind(b"\n", 0, len(buf) - 1) + 1
            if buf[i:].startswith(RC):
                sys.stdout.buffer.write(buf[:i])
                try:
                    return int(buf[i + len(RC):])
                except ValueError:
                    return 125

if __name__ == "__main__":
    sys.exit(main())
