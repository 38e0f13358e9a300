#!/usr/bin/env python3
# bench/guest_bench.py - the measuring side of `make bench-guests`: run by bench/guest_stream.sh in the
# host's network namespace, it drives the guests' agents (tests/guests/bench-agent.sh) and prints the table.
#
# Every number is taken on the host except the guest's own counters (CPU jiffies,
# interrupts, packets) and, between two guests, the receiving guest's byte count and
# time. Rounds are interleaved: round r runs every MTU and every path (the path order
# rotated by r) before round r+1 starts, so machine load hits all paths alike.
import argparse, fcntl, json, os, select, socket, statistics, struct, subprocess, sys, termios, time

AGENT = 7000
TICK = os.sysconf("SC_CLK_TCK")
PINGS = 20  # echoes per RTT, 0.2 s apart
# guest <-> guest paths and the guests' NIC (bench-agent's path name) each runs on
G2G_NIC = {"g2g": "vsweth", "g2gw": "vswethw"}


def log(*a):
    print("guest_bench:", *a, file=sys.stderr, flush=True)


def agent(addr, line, timeout=30.0):
    """One request to the agent at addr; its answer (text), or raise OSError."""
    s = socket.create_connection((addr, AGENT), timeout=min(timeout, 10))
    try:
        s.settimeout(timeout)
        s.sendall(line.encode() + b"\n")
        out, end = b"", time.monotonic() + timeout
        while time.monotonic() < end:
            b = s.recv(4096)
            if not b:
                return out.decode(errors="replace")
            out += b
        raise OSError("agent %s: no end of answer to %r in %.0f s" % (addr, line, timeout))
    finally:
        s.close()


def fields(text):
    """'k1 v1 k2 v2 ...' -> dict of ints/floats."""
    w = text.split()
    d = {}
    for k, v in zip(w[0::2], w[1::2]):
        try:
            d[k] = float(v)
        except ValueError:
            pass
    return d


def cpu_s(pid):
    """utime + stime of a process (all its threads), seconds."""
    with open("/proc/%d/stat" % pid) as f:
        st = f.read()
    w = st[st.rindex(")") + 2:].split()
    return (int(w[11]) + int(w[12])) / TICK


def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xFFFF)
    return ~(t + (t >> 16)) & 0xFFFF


def icmp_rtt(dst, count=PINGS, gap=0.2):
    """Mean echo RTT in ms from the host's raw socket (no ping binary needed), or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident, rtts = os.getpid() & 0xFFFF, []
    for seq in range(count):
        body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"cpnet-bench!" * 4
        body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
        t0 = time.monotonic()
        s.sendto(body, (dst, 0))
        while True:
            left = t0 + 2 - time.monotonic()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                break
            pkt, src = s.recvfrom(2048)
            h = (pkt[0] & 15) * 4
            if src[0] == dst and pkt[h] == 0 and struct.unpack("!HH", pkt[h + 4:h + 8]) == (ident, seq):
                rtts.append((time.monotonic() - t0) * 1000)
                break
        time.sleep(max(0, t0 + gap - time.monotonic()))
    s.close()
    return sum(rtts) / len(rtts) if rtts else None


def outq(c):
    return struct.unpack("i", fcntl.ioctl(c, termios.TIOCOUTQ, b"\0\0\0\0"))[0]


def from_guest(addr, secs):
    """Guest -> host: bytes the host receives in secs from the first byte; (bytes, seconds)."""
    c = socket.create_connection((addr, AGENT), timeout=10)
    c.sendall(b"source\n")
    got, t0, t1 = 0, None, None
    end = time.monotonic() + secs + 10
    c.settimeout(1.0)
    try:
        while time.monotonic() < end:
            try:
                b = c.recv(1 << 20)
            except socket.timeout:
                continue
            if not b:
                break
            now = time.monotonic()
            if t0 is None:
                t0, end = now, now + secs
            got, t1 = got + len(b), now
    finally:
        c.close()
    return (got, t1 - t0) if t0 is not None and t1 > t0 else (0, 0.0)


def to_guest(addr, secs):
    """Host -> guest: bytes the guest acknowledged, sent for secs then drained; (bytes, seconds)."""
    c = socket.create_connection((addr, AGENT), timeout=10)
    try:
        c.sendall(b"sink 0\n")
        buf = b"\0" * (1 << 16)
        c.settimeout(1.0)
        sent, t0 = 0, time.monotonic()
        while time.monotonic() - t0 < secs:
            try:
                sent += c.send(buf)
            except socket.timeout:
                pass
        dl = time.monotonic() + 15
        while outq(c) > 0 and time.monotonic() < dl:
            time.sleep(0.002)
        t1 = time.monotonic()
        n = sent - outq(c)
        c.shutdown(socket.SHUT_WR)
    finally:
        c.close()
    return n, t1 - t0


class Bench:
    def __init__(self, a):
        self.a = a
        self.paths = {}  # name -> list of guest addresses (1 host path, 2 guest<->guest)
        for p in a.path:
            name, addrs = p.split("=")
            self.paths[name] = addrs.split(",")
        self.procs = {}  # label -> pid
        for p in a.proc:
            label, pid = p.split("=")
            self.procs[label] = int(pid)
        self.rec = open(a.out, "a")
        self.seq = 0

    def uses(self, path):
        """Host processes whose CPU a path's frames cost."""
        want = {"lcs": ["herc1"], "tap": ["herc1"], "vswip": ["herc1", "cpnetd"], "vswipa": ["herc1", "cpnetd"],
                "vsweth": ["herc1", "cpnetd"], "g2g": ["herc1", "herc2", "cpnetd"],
                "g2gw": ["herc1", "herc2", "cpnetd"]}[path]
        return [w for w in want if w in self.procs]

    def snap(self, path):
        t = {k: cpu_s(v) for k, v in self.procs.items()}
        g = [fields(agent(ad, "stat " + G2G_NIC.get(path, path))) for ad in self.paths[path]]
        return t, g

    def write(self, r):
        self.rec.write(json.dumps(r) + "\n")
        self.rec.flush()

    def step(self, rnd, mtu, path, kind, mtus):
        """One measurement; returns its record (value None when nothing came through)."""
        ad = self.paths[path]
        r = {"round": rnd, "mtu": mtu, "path": path, "kind": kind, "pmtu": mtus.get(path, 0)}
        try:
            s0 = self.snap(path)
            if kind == "rtt":
                r["value"] = (float(fields(agent(ad[0], "ping %s %d" % (ad[1], PINGS), 60)).get("avg", 0)) or None) \
                    if path in G2G_NIC else icmp_rtt(ad[0])
            elif path in G2G_NIC:
                src, dst = (ad[0], ad[1]) if kind == "tx" else (ad[1], ad[0])
                self.seq += 1
                agent(src, "send %s %d %d" % (dst, self.a.secs, self.seq), self.a.secs + 40)
                ans = agent(dst, "result %d" % self.seq, 90)
                f = fields(ans)
                r["bytes"], r["secs"] = f.get("bytes", 0), f.get("secs", 0)
                if not r["bytes"]:
                    r["error"] = "receiving guest %s: %r" % (dst, ans.strip()[:200])
            elif kind == "tx":
                r["bytes"], r["secs"] = from_guest(ad[0], self.a.secs)
            else:
                r["bytes"], r["secs"] = to_guest(ad[0], self.a.secs)
            s1 = self.snap(path)
        except OSError as e:
            r["error"] = str(e)
            r["value"] = None
            return r
        if kind != "rtt":
            r["value"] = r["bytes"] / r["secs"] / 1e6 if r["secs"] > 0 and r["bytes"] > 0 else None
            mb = r["bytes"] / 1e6
            r["cpu"] = {k: s1[0][k] - s0[0][k] for k in self.uses(path)}
            r["ms_per_mb"] = {k: 1000 * v / mb for k, v in r["cpu"].items()} if mb > 0 else {}
        busy, gi = [], []
        for g0, g1 in zip(s0[1], s1[1]):
            dt = g1.get("total", 0) - g0.get("total", 0)
            busy.append(round(100 * (1 - (g1.get("idle", 0) - g0.get("idle", 0)) / dt)) if dt > 0 else None)
            gi.append({k: g1[k] - g0.get(k, 0) for k in g1 if k not in ("idle", "total")})
        r["busy"], r["guest"] = busy, gi
        return r

    def set_mtu(self, mtu):
        """MTU on every CPNIC of every guest; the MTU each path really has (the smaller of two guests)."""
        first = next(iter(self.paths.values()))[0]
        peer = [self.paths[p][1] for p in G2G_NIC if p in self.paths]
        guests = [first] + peer[:1]
        got = {}
        for a in guests:
            try:
                out = agent(a, "mtu %d" % mtu)
            except OSError as e:
                log("mtu %d on %s: %s" % (mtu, a, e))
                continue
            for line in out.splitlines():
                w = line.split()
                if len(w) == 2 and w[1].isdigit():
                    got[w[0]] = min(got.get(w[0], 1 << 30), int(w[1]))
        for p, nic in G2G_NIC.items():
            if p in self.paths:
                got[p] = got.get(nic, 0)
        return got

    def wait_ready(self, bound):
        """Every guest address answers its agent (registrations travel through controllers)."""
        end = time.monotonic() + bound
        for path, ad in self.paths.items():
            for a in ad:
                while True:
                    try:
                        agent(a, "stat " + path, 10)
                        break
                    except OSError as e:
                        if time.monotonic() > end:
                            log("%s: agent at %s never answered: %s" % (path, a, e))
                            return False
                        time.sleep(1)
        return True

    def run(self):
        names = list(self.paths)
        out = []
        for rnd in range(1, self.a.rounds + 1):
            for mtu in self.a.mtus:
                mtus = self.set_mtu(mtu)
                k = (rnd - 1) % len(names)
                order = names[k:] + names[:k]
                for kind in ("rtt", "tx", "rx"):
                    for path in order:
                        r = self.step(rnd, mtu, path, kind, mtus)
                        self.write(r)
                        out.append(r)
                        v = r.get("value")
                        log("round %d mtu %d %-6s %-3s %s%s" % (rnd, mtu, path, kind,
                            "-" if v is None else ("%.3f ms" % v if kind == "rtt" else "%.2f MB/s" % v),
                            " busy %s" % r.get("busy") if kind != "rtt" else ""))
                        if "error" in r:
                            log("  error: " + r["error"])
        return out

    def probes(self, so, on):
        """uprobes on the CPNIC module: SIGA instructions (write, read), the worker's
        queue scans, PCIs raised to the guest. Names of this run's own group; [] if
        the kernel or perf cannot."""
        grp = "cpbench%d" % os.getpid()
        if not on:
            subprocess.run(["perf", "probe", "-q", "-d", grp + ":*"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
            return []
        ev = []
        for name, fn in (("siga_w", "cp_siga_w"), ("siga_r", "cp_siga_r"), ("scan", "nic_siga"),
                         ("pci", "cp_chan_pci")):
            p = subprocess.run(["perf", "probe", "-q", "-x", so, "-a", "%s:%s=%s" % (grp, name, fn)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
            if p.returncode == 0:
                ev.append("%s:%s" % (grp, name))
            else:
                log("perf probe %s: %s" % (fn, p.stderr.decode(errors="replace").strip()[:200]))
        return ev

    def profile(self, paths, mtu, pdir, so):
        """perf record of Hercules, perf stat (CPU, wake-ups, syscalls, CPNIC uprobes) of
        Hercules and cpnetd, while a stream runs each way on each of paths."""
        res = {}
        mtus = self.set_mtu(mtu)
        herc = self.procs["herc1"]
        ev = self.probes(so, True)
        try:
            for path, kind in ((p, k) for p in paths for k in ("tx", "rx")):
                data = os.path.join(pdir, "perf-%s-%s.data" % (path, kind))
                stats = {}
                rec = subprocess.Popen(["perf", "record", "-q", "-g", "-F", "499", "-p", str(herc), "-o", data,
                                        "--", "sleep", str(self.a.secs)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                pst = {}
                for label in self.uses(path):
                    e = ["task-clock", "context-switches", "raw_syscalls:sys_enter"] + (ev if label.startswith("herc") else [])
                    pst[label] = subprocess.Popen(["perf", "stat", "-x", ",", "-e", ",".join(e),
                                                   "-p", str(self.procs[label]), "--", "sleep", str(self.a.secs)],
                                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                r = self.step(0, mtu, path, kind, mtus)
                rec.wait(self.a.secs + 60)
                for label, p in pst.items():
                    _, err = p.communicate(timeout=60)
                    for line in err.decode(errors="replace").splitlines():
                        w = line.split(",")
                        if len(w) > 3 and w[0].replace(".", "").isdigit():
                            stats.setdefault(label, {})[w[2].split(":")[-1]] = float(w[0])
                rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "-g", "none",
                                      "--sort", "dso,symbol", "--percent-limit", "0.7"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=300)
                top = []
                for line in rep.stdout.decode(errors="replace").splitlines():
                    w = line.split()
                    if len(w) >= 4 and w[0].endswith("%") and w[2] in ("[.]", "[k]"):
                        sym = " ".join(w[3:])
                        top.append((float(w[0][:-1]), w[1], sym[:-4] if sym.endswith(" - -") else sym))
                res[path + " " + kind] = {"step": r, "perf_stat": stats, "top": top[:25]}
        finally:
            self.probes(so, False)
        return res


def profile_report(mtu, res):
    """Lines of the profile: rates, what cpnet causes per MB and per frame, top functions."""
    out = []
    for pk, x in res.items():
        path, kind = pk.split()
        st = x["step"]
        mb = (st.get("bytes") or 0) / 1e6
        g = (st.get("guest") or [{}])[0]
        frames = g.get("rxp", 0) + g.get("txp", 0)
        hs = st.get("cpu", {}).get("herc1", 0)
        out.append("profile %s %s mtu %s: %.2f MB/s, %.1f MB, %d guest frames (%.0f/MB), guest busy %s%%, "
                   "Hercules %.2f CPU s (%.1f ms/MB)" % (
                       path, kind, mtu, st.get("value") or 0, mb, frames, frames / mb if mb else 0,
                       (st.get("busy") or ["-"])[0], hs, 1000 * hs / mb if mb else 0))
        out.append("  guest interrupts: %s (I/O: %.2f per frame)" % (", ".join(
            "%s %d" % (k, v) for k, v in sorted(g.items()) if k not in ("rxp", "txp") and v),
            g.get("io", 0) / frames if frames else 0))
        for label, s in x["perf_stat"].items():
            out.append("  perf stat %s: %s" % (label, ", ".join(
                "%s %.0f (%.1f/MB, %.2f/frame)" % (k, v, v / mb if mb else 0, v / frames if frames else 0)
                for k, v in s.items())))
        for pct, dso, sym in x["top"]:
            out.append("  %6.2f%% %7.2f ms/MB  %-22s %s" % (pct, pct / 100 * 1000 * hs / mb if mb else 0, dso, sym))
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def table(recs, paths, mtus):
    """One line per MTU and path: medians over the rounds, ratios to the LCS of the same run."""
    by = {}
    for r in recs:
        by.setdefault((r["mtu"], r["path"], r["kind"]), []).append(r)
    fails = []
    lines = ["%-5s %-7s %5s %16s %16s %8s %9s %-23s %-23s" % (
        "MTU", "path", "mtu", "tx MB/s (xLCS)", "rx MB/s (xLCS)", "RTT ms", "busy tx/rx",
        "host ms/MB tx herc+cpd", "host ms/MB rx herc+cpd")]
    for mtu in mtus:
        base = {k: med(x["value"] for x in by.get((mtu, "lcs", k), [])) for k in ("tx", "rx")}
        for p in paths:
            rs = {k: by.get((mtu, p, k), []) for k in ("tx", "rx", "rtt")}
            v = {k: med(x["value"] for x in rs[k]) for k in rs}
            for k in ("tx", "rx", "rtt"):
                bad = [x for x in rs[k] if x.get("value") is None]
                if not rs[k] or bad:
                    fails.append("%s mtu %d %s: %d of %d measurements carried nothing%s" % (
                        p, mtu, k, len(bad), len(rs[k]), (" (" + bad[0]["error"] + ")") if bad and "error" in bad[0] else ""))

            def rate(k):
                if v[k] is None:
                    return "-"
                rt = "(%.2fx)" % (v[k] / base[k]) if base[k] and p != "lcs" else ""
                return "%.2f %s" % (v[k], rt)

            def busy(k):
                b = [med(x["busy"][i] for x in rs[k] if len(x.get("busy", [])) > i) for i in range(len(paths[p]))]
                return "/".join("-" if x is None else "%.0f" % x for x in b)

            def cost(k):
                labs = sorted({l for x in rs[k] for l in x.get("ms_per_mb", {})})
                herc = med(sum(c for l, c in x.get("ms_per_mb", {}).items() if l.startswith("herc")) for x in rs[k]
                           if x.get("ms_per_mb"))
                cpd = med(x["ms_per_mb"].get("cpnetd") for x in rs[k] if x.get("ms_per_mb"))
                if herc is None:
                    return "-"
                return "%.1f%s" % (herc, "+%.1f" % cpd if "cpnetd" in labs and cpd is not None else "")

            pm = med(x.get("pmtu") for x in rs["tx"]) or 0
            lines.append("%-5d %-7s %5s %16s %16s %8s %9s %-23s %-23s" % (
                mtu, p, "%d" % pm if pm else "-", rate("tx"), rate("rx"),
                "-" if v["rtt"] is None else "%.3f" % v["rtt"], busy("tx") + "|" + busy("rx"), cost("tx"), cost("rx")))
    return lines, fails


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secs", type=int, required=True)
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--mtus", type=lambda s: [int(x) for x in s.split(",")], required=True)
    ap.add_argument("--path", action="append", default=[], help="NAME=ADDR[,ADDR2]")
    ap.add_argument("--proc", action="append", default=[], help="LABEL=PID (herc1, herc2, cpnetd)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--ready", type=int, default=180)
    ap.add_argument("--profile", default="", help="PATHS:MTU:DIR:MODULE: perf while each of PATHS streams at MTU")
    a = ap.parse_args()
    b = Bench(a)
    if not b.wait_ready(a.ready):
        return 1
    log("all guest addresses answer; %d round(s) of %s at MTU %s, %d s streams" % (
        a.rounds, ",".join(b.paths), ",".join(map(str, a.mtus)), a.secs))
    recs = b.run()
    lines, fails = table(recs, b.paths, a.mtus)
    print("\n".join(lines))
    for f in fails:
        print("FAIL " + f)
    if a.profile:
        paths, mtu, pdir, so = a.profile.split(":", 3)
        res = b.profile(paths.split(","), int(mtu), pdir, so)
        with open(os.path.join(pdir, "profile.json"), "w") as f:
            json.dump(res, f, indent=1)
        print("\n".join(profile_report(mtu, res)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
