#!/usr/bin/env python3
# tests/scenarios/vhost_front.py - a vhost-user front end (what QEMU does) for vhost_port.sh:
# it drives cpnet-vhost over its socket with guest memory in a memfd, without a QEMU.
#
# vhost_front.py SOCKET ping MYIP PEERIP   handshake, RX buffers, ARP for PEERIP, one ICMP
#                                          echo; prints "arp reply from MAC", "echo reply"
# vhost_front.py SOCKET overlap            handshake, then a memory table whose regions
#                                          overlap: prints "closed by the backend"
# vhost_front.py SOCKET sink MAC N         as station MAC: a gratuitous ARP, "ready", then
#                                          N TCP segments whose checksums it verifies
# vhost_front.py SOCKET lso MAC DST LEN SEG   as station MAC: one TCP large send of LEN
#                                          payload bytes (segments of SEG) to DST, checksum
#                                          and segmentation left to the switch
# vhost_front.py SOCKET lro MAC            as station MAC with GUEST_CSUM / GUEST_TSO4 / 6 / ECN:
#                                          "ready", then one TCP frame, which may span its
#                                          mergeable buffers; prints its header's fields
#                                          and whether its checksum completes right
import fcntl, mmap, os, socket, struct, sys, time

GET_FEATURES, SET_FEATURES, SET_OWNER, SET_MEM_TABLE = 1, 2, 3, 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE = 8, 9, 10, 11
SET_VRING_KICK, SET_VRING_CALL = 12, 13
GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, SET_VRING_ENABLE = 15, 16, 18
NEED_REPLY = 8
MEM = 1 << 20
UVA = 0x7f0000000000        # "QEMU's" address of guest RAM
QN = 16
RXQ, TXQ = 0, 1
RING = {RXQ: 0x1000, TXQ: 0x4000}  # desc at +0, avail at +0x400, used at +0x800
BUF = 0x10000                      # buffers: 2 KiB each, RX 0..15, TX 16..31
MAC = bytes.fromhex("525400123456")
VNET_CSUM, GSO_TCPV4 = 1, 1
RX_OFL = (1 << 1) | (1 << 7) | (1 << 8) | (1 << 9)   # GUEST_CSUM, GUEST_TSO4, GUEST_TSO6, GUEST_ECN (as Linux)


def die(msg):
    print("vhost_front: " + msg, flush=True)
    sys.exit(1)


class Front:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(100):
            try:
                self.s.connect(path)
                break
            except OSError:
                time.sleep(0.1)
        else:
            die("cannot connect to " + path)
        self.s.settimeout(10)
        # Sealed against resizing as QEMU's memfd backend does (cpnet-vhost requires it).
        self.fd = os.memfd_create("guest", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        os.ftruncate(self.fd, MEM)
        fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)
        self.ram = mmap.mmap(self.fd, MEM)
        self.avail = {RXQ: 0, TXQ: 0}
        self.used_seen = {RXQ: 0, TXQ: 0}
        self.kick = {}
        self.call = {}

    def send(self, req, payload=b"", fds=(), flags=0):
        m = struct.pack("=III", req, 1 | flags, len(payload)) + payload
        if fds:
            socket.send_fds(self.s, [m], list(fds))
        else:
            self.s.sendall(m)

    def recv(self):
        h = self.s.recv(12, socket.MSG_WAITALL)
        if len(h) < 12:
            return None
        req, flags, size = struct.unpack("=III", h)
        body = self.s.recv(size, socket.MSG_WAITALL) if size else b""
        return req, flags, body

    def get64(self, req):
        self.send(req)
        r = self.recv()
        if not r or r[0] != req or not r[1] & 4:
            die("no reply to %d: %r" % (req, r))
        return struct.unpack("=Q", r[2])[0]

    def acked(self, req, payload, fds=()):
        self.send(req, payload, fds, NEED_REPLY)
        r = self.recv()
        return r and struct.unpack("=Q", r[2])[0] == 0

    def handshake(self, rx_ofl=False):
        feats = self.get64(GET_FEATURES)
        if not feats & (1 << 32):
            die("VERSION_1 not offered: %x" % feats)
        # RX offloads (GUEST_CSUM, GUEST_TSO4/6), no indirect descriptors
        if feats & (1 << 28) or feats & RX_OFL != RX_OFL:
            die("indirect offered or RX offloads not: %x" % feats)
        pf = self.get64(GET_PROTOCOL_FEATURES)
        self.send(SET_PROTOCOL_FEATURES, struct.pack("=Q", pf & (1 << 3)))
        self.send(SET_OWNER)
        # VERSION_1, PROTOCOL_FEATURES, MRG_RXBUF, CSUM, HOST_TSO4, HOST_TSO6
        want = (1 << 32) | (1 << 30) | (1 << 15) | (1 << 0) | (1 << 11) | (1 << 12)
        if rx_ofl:
            want |= RX_OFL
        if not self.acked(SET_FEATURES, struct.pack("=Q", want)):
            die("SET_FEATURES refused")

    def memtable(self):
        region = struct.pack("=QQQQ", 0, MEM, UVA, 0)
        return self.acked(SET_MEM_TABLE, struct.pack("=II", 1, 0) + region, [self.fd])

    def ring(self, q):
        base = RING[q]
        self.send(SET_VRING_NUM, struct.pack("=II", q, QN))
        self.send(SET_VRING_BASE, struct.pack("=II", q, 0))
        self.send(SET_VRING_ADDR, struct.pack("=IIQQQQ", q, 0, UVA + base, UVA + base + 0x800,
                                              UVA + base + 0x400, 0))
        self.kick[q] = os.eventfd(0)
        self.call[q] = os.eventfd(0, os.EFD_NONBLOCK)
        self.send(SET_VRING_CALL, struct.pack("=Q", q), [self.call[q]])
        self.send(SET_VRING_KICK, struct.pack("=Q", q), [self.kick[q]])
        self.send(SET_VRING_ENABLE, struct.pack("=II", q, 1))

    # the guest's side of the rings (little-endian, virtio 1.0)
    def desc(self, q, i, addr, ln, flags):
        struct.pack_into("<QIHH", self.ram, RING[q] + 16 * i, addr, ln, flags, 0)

    def offer(self, q, head):
        a = RING[q] + 0x400
        struct.pack_into("<H", self.ram, a + 4 + 2 * (self.avail[q] % QN), head)
        self.avail[q] += 1
        struct.pack_into("<H", self.ram, a + 2, self.avail[q] & 0xFFFF)
        os.eventfd_write(self.kick[q], 1)

    def used(self, q):
        u = RING[q] + 0x800
        idx = struct.unpack_from("<H", self.ram, u + 2)[0]
        out = []
        while self.used_seen[q] != idx:
            i, ln = struct.unpack_from("<II", self.ram, u + 4 + 8 * (self.used_seen[q] % QN))
            out.append((i, ln))
            self.used_seen[q] = (self.used_seen[q] + 1) & 0xFFFF
        return out

    def post_rx(self, i):
        self.desc(RXQ, i, BUF + 2048 * i, 2048, 2)
        self.offer(RXQ, i)

    def tx(self, frame, hdr=bytes(12)):
        i = self.avail[TXQ] % QN
        addr = BUF + 2048 * (QN + i)
        self.ram[addr:addr + 12] = hdr
        self.ram[addr + 12:addr + 12 + len(frame)] = frame
        self.desc(TXQ, i, addr, 12 + len(frame), 0)
        self.offer(TXQ, i)

    def tx_large(self, frame, hdr):
        # header in one descriptor, the frame in 2 KiB pieces after it (as Linux's
        # scatter-gather does), in the area after the RX and TX buffers
        base = BUF + 2048 * 2 * QN
        self.ram[base:base + 12] = hdr
        pieces = [frame[k:k + 2048] for k in range(0, len(frame), 2048)]
        n = 1 + len(pieces)
        if n > QN:
            die("frame too large for the ring")
        self.desc(TXQ, 0, base, 12, 1)
        struct.pack_into("<H", self.ram, RING[TXQ] + 14, 1)
        for k, p in enumerate(pieces):
            a = base + 4096 + 2048 * k
            self.ram[a:a + len(p)] = p
            last = k == len(pieces) - 1
            self.desc(TXQ, 1 + k, a, len(p), 0 if last else 1)
            struct.pack_into("<H", self.ram, RING[TXQ] + 16 * (1 + k) + 14, 2 + k)
        self.offer(TXQ, 0)

    def rx_frames(self, secs):
        end = time.time() + secs
        while time.time() < end:
            got = self.used(RXQ)
            for i, ln in got:
                addr = BUF + 2048 * i
                nb = struct.unpack_from("<H", self.ram, addr + 10)[0]
                if nb != 1:
                    die("num_buffers %d" % nb)
                yield bytes(self.ram[addr + 12:addr + ln])
                self.post_rx(i)
            if not got:
                time.sleep(0.01)


def rx_merged(f, secs):
    # (header, frame, num_buffers): a frame spans num_buffers used entries in order
    end = time.time() + secs
    parts, hdr, nb = [], None, 0
    while time.time() < end:
        got = f.used(RXQ)
        for i, ln in got:
            addr = BUF + 2048 * i
            if hdr is None:
                hdr = bytes(f.ram[addr:addr + 12])
                nb = struct.unpack_from("<H", hdr, 10)[0]
                parts.append(bytes(f.ram[addr + 12:addr + ln]))
            else:
                parts.append(bytes(f.ram[addr:addr + ln]))
            f.post_rx(i)
            if len(parts) == nb:
                yield hdr, b"".join(parts), nb
                parts, hdr, nb = [], None, 0
        if not got:
            time.sleep(0.01)


def lro(f, mac):
    station(f, mac, rx_ofl=True)
    for hdr, fr, nb in rx_merged(f, 30):
        if not is_tcp4(fr):
            continue
        flags, gso, hlen, gsz, cs, co = struct.unpack_from("<BBHHHH", hdr)
        # NEEDS_CSUM: the field holds the pseudo-header sum; complete it from csum_start
        b = bytearray(fr)
        struct.pack_into("!H", b, cs + co, csum(bytes(b[cs:])))
        ok, pl = tcp_csum_ok(bytes(b[14:]))
        print("frame %d bytes, payload %d, num_buffers %d, flags %d, gso_type %d, hdr_len %d, "
              "gso_size %d, csum_start %d, csum_offset %d, checksum %s" %
              (len(fr), pl, nb, flags, gso, hlen, gsz, cs, co, "ok" if ok else "bad"),
              flush=True)
        return
    die("no TCP frame")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def start(f, rx_ofl=False):
    # handshake (with the RX offloads when asked), memory, both rings, every RX buffer posted
    f.handshake(rx_ofl)
    if not f.memtable():
        die("SET_MEM_TABLE refused")
    f.ring(RXQ)
    f.ring(TXQ)
    for i in range(QN):
        f.post_rx(i)


def ping(f, me, peer):
    start(f)
    mi, pi = socket.inet_aton(me), socket.inet_aton(peer)
    arp = b"\xff" * 6 + MAC + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x800, 6, 4, 1) + \
        MAC + mi + bytes(6) + pi
    f.tx(arp + bytes(60 - len(arp)))
    peer_mac = None
    for fr in f.rx_frames(10):
        if fr[12:14] == b"\x08\x06" and fr[20:22] == b"\x00\x02" and fr[28:32] == pi:
            peer_mac = fr[22:28]
            break
    if not peer_mac:
        die("no ARP reply from " + peer)
    print("arp reply from " + peer_mac.hex("-").upper(), flush=True)
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"cpnet-vhost" * 4
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0, mi, pi)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    f.tx(peer_mac + MAC + b"\x08\x00" + ip + icmp)
    for fr in f.rx_frames(10):
        if fr[12:14] == b"\x08\x00" and fr[23] == 1 and fr[26:30] == pi and fr[34] == 0 \
                and fr[38:40] == b"\x12\x34":
            print("echo reply from %s, %d bytes" % (peer, len(fr)), flush=True)
            break
    else:
        die("no echo reply from " + peer)
    # both TX chains came back, with length 0
    time.sleep(0.2)
    f.used(TXQ)
    back = f.used_seen[TXQ]
    if back != 2:
        die("TX chains returned: %d" % back)
    print("tx returned 2", flush=True)
    # GET_VRING_BASE stops the TX ring and says where it stands
    f.send(GET_VRING_BASE, struct.pack("=II", TXQ, 0))
    r = f.recv()
    print("tx base %d" % struct.unpack("=II", r[2])[1], flush=True)


def tcp_csum_ok(ip):
    ihl = (ip[0] & 15) * 4
    tot = struct.unpack("!H", ip[2:4])[0]
    seg = ip[ihl:tot]
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(seg))
    return csum(pseudo + seg) == 0 and csum(ip[:ihl]) == 0, tot - ihl - (seg[12] >> 4) * 4


def set_mac(mac):
    global MAC
    MAC = bytes.fromhex(mac.replace(":", ""))


def station(f, mac, rx_ofl=False):
    # As station MAC (sink, lro): started, then a gratuitous ARP so that the switch learns
    # the MAC, then "ready" for the sender
    set_mac(mac)
    start(f, rx_ofl)
    garp = b"\xff" * 6 + MAC + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x800, 6, 4, 1) + \
        MAC + bytes(4) + bytes(6) + bytes(4)
    f.tx(garp + bytes(60 - len(garp)))
    print("ready", flush=True)


def is_tcp4(fr):
    return fr[12:14] == b"\x08\x00" and fr[23] == 6


def sink(f, mac, n):
    station(f, mac)
    got = payload = 0
    for fr in f.rx_frames(30):
        if not is_tcp4(fr):
            continue
        ok, pl = tcp_csum_ok(fr[14:])
        if not ok:
            die("segment %d: bad checksum" % got)
        if len(fr) > 1514:
            die("segment %d: %d bytes" % (got, len(fr)))
        got += 1
        payload += pl
        if got == n:
            break
    print("segments %d ok, payload %d" % (got, payload), flush=True)
    if got != n:
        sys.exit(1)


def lso(f, mac, dst, total, segsz):
    set_mac(mac)
    start(f)
    d = bytes.fromhex(dst.replace(":", ""))
    data = bytes((k * 7) & 0xFF for k in range(total))
    tcp = struct.pack("!HHIIBBHHH", 40000, 5001, 1000, 0, 0x50, 0x18, 65535, 0, 0) + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 7, 0x4000, 64, 6, 0,
                     socket.inet_aton("10.1.0.9"), socket.inet_aton("10.1.0.10"))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    frame = d + MAC + b"\x08\x00" + ip + tcp
    # NEEDS_CSUM, GSO TCPv4, hdr_len 54, gso_size, csum_start 34, csum_offset 16
    hdr = struct.pack("<BBHHHHH", VNET_CSUM, GSO_TCPV4, 54, segsz, 34, 16, 0)
    f.tx_large(frame, hdr)
    time.sleep(0.5)
    f.used(TXQ)
    print("large send of %d bytes returned %d" % (len(frame), f.used_seen[TXQ]), flush=True)
    time.sleep(1)


def overlap(f):
    f.handshake()
    regions = struct.pack("=QQQQ", 0, MEM, UVA, 0) + struct.pack("=QQQQ", 0x1000, MEM, UVA + MEM, 0)
    f.send(SET_MEM_TABLE, struct.pack("=II", 2, 0) + regions, [f.fd, f.fd], NEED_REPLY)
    try:
        r = f.recv()      # the ack says "failed", then the backend closes
        r = f.recv() if r else r
    except (ConnectionResetError, socket.timeout):
        r = None
    if r is None:
        print("closed by the backend", flush=True)
    else:
        die("still open after overlapping regions: %r" % (r,))


def main():
    f = Front(sys.argv[1])
    if sys.argv[2] == "ping":
        ping(f, sys.argv[3], sys.argv[4])
    elif sys.argv[2] == "overlap":
        overlap(f)
    elif sys.argv[2] == "sink":
        sink(f, sys.argv[3], int(sys.argv[4]))
    elif sys.argv[2] == "lro":
        lro(f, sys.argv[3])
    elif sys.argv[2] == "lso":
        lso(f, sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    else:
        die("unknown mode " + sys.argv[2])


main()
