/* tests/unit/test_pcapw.c - the capture writer (lib/pcapw): pcap and pcapng read back field
 * by field, gzip, snap length, limits, rotation and its names, and bad use. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/be.h"
#include "lib/pcapw.h"
#include "tests/tcheck.h"
#if CPNET_HAVE_ZLIB
#include <zlib.h>
#endif

/* The case's scratch directory (tc_tmpdir: removed with its files when the case
 * ends), "" if it cannot be made. */
static void scratch(struct tctx *t, char *dir, size_t cap)
{
	const char *d = tc_tmpdir(t);

	snprintf(dir, cap, "%s", d ? d : "");
}

static size_t raw_head(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* The whole (decompressed) content of a file: zlib reads plain files unchanged. */
static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
#if CPNET_HAVE_ZLIB
	gzFile g = gzopen(path, "rb");
	int n;

	if (!g)
		return 0;
	n = gzread(g, buf, (unsigned)cap);
	gzclose(g);
	return n > 0 ? (size_t)n : 0;
#else
	return raw_head(path, buf, cap);
#endif
}

static uint8_t frame[1600];

static void mkframe(uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		frame[i] = (uint8_t)(i * 13 + 1);
}

TEST(pcapw_names)
{
	uint8_t fmt;
	bool gz;
	char out[64];

	REQUIRE(pcapw_name_format("x.pcap", &fmt, &gz) == 0);
	CHECK(fmt == PCAPW_PCAP && !gz);
	REQUIRE(pcapw_name_format("dir/T.PCAPNG.GZ", &fmt, &gz) == 0);
	CHECK(fmt == PCAPW_PCAPNG && gz);
	REQUIRE(pcapw_name_format("x.pcap.gz", &fmt, &gz) == 0);
	CHECK(fmt == PCAPW_PCAP && gz);
	REQUIRE(pcapw_name_format("x.pcapng", &fmt, &gz) == 0);
	CHECK(fmt == PCAPW_PCAPNG && !gz);
	CHECK_EQ(pcapw_name_format("x.cap", &fmt, &gz), -EINVAL);
	CHECK_EQ(pcapw_name_format(".pcap", &fmt, &gz), -EINVAL);
	CHECK_EQ(pcapw_name_format("x.gz", &fmt, &gz), -EINVAL);

	REQUIRE(pcapw_rotation_name("d/lan.pcapng.gz", 3, out, sizeof(out)) == 0);
	CHECK_STR(out, "d/lan_00003.pcapng.gz");
	REQUIRE(pcapw_rotation_name("lan.pcap", 12345, out, sizeof(out)) == 0);
	CHECK_STR(out, "lan_12345.pcap");
	CHECK_EQ(pcapw_rotation_name("lan.txt", 1, out, sizeof(out)), -EINVAL);
	CHECK_EQ(pcapw_rotation_name("lan.pcap", 1, out, 8), -ENAMETOOLONG);
}

TEST(pcapw_pcap_records)
{
	struct pcapw_opts o = { 0 };
	struct pcapw *w;
	char dir[64], path[128];
	static uint8_t b[8192];
	struct qdio_span sp[2];
	size_t n, off;

	scratch(t, dir, sizeof(dir));
	REQUIRE(dir[0]);
	snprintf(path, sizeof(path), "%s/a.pcap", dir);
	mkframe(200);
	o.path = path;
	o.fmt = PCAPW_PCAP;
	o.linktype = PCAPW_LINK_ETHERNET;
	o.snaplen = 100;
	REQUIRE(pcapw_open(&w, &o) == 0);
	/* A 60-byte frame in two spans, then a 200-byte one cut to 100. */
	sp[0] = (struct qdio_span){ frame, 20 };
	sp[1] = (struct qdio_span){ frame + 20, 40 };
	CHECK_EQ(pcapw_write(w, 1700000000123456789ull, sp, 2, 60), 0);
	sp[0] = (struct qdio_span){ frame, 200 };
	CHECK_EQ(pcapw_write(w, 1700000001000000005ull, sp, 1, 200), 0);
	/* Spans shorter than the length: refused, nothing written. */
	CHECK_EQ(pcapw_write(w, 1, sp, 1, 201), -EINVAL);
	CHECK_EQ(pcapw_stats(w)->packets, 2);
	CHECK_EQ(pcapw_stats(w)->bytes, 160);
	CHECK_EQ(pcapw_stats(w)->wire_bytes, 260);
	CHECK_EQ(pcapw_stats(w)->truncated, 1);
	CHECK_STR(pcapw_current(w), path);
	CHECK_EQ(pcapw_close(w), 0);

	n = slurp(path, b, sizeof(b));
	REQUIRE(n == PCAP_FILEHDR_SIZE + 2 * PCAP_RECHDR_SIZE + 160);
	CHECK_EQ(be_get32(b), 0xA1B23C4D);	/* nanosecond pcap */
	CHECK_EQ(be_get16(b + 4), 2);
	CHECK_EQ(be_get16(b + 6), 4);
	CHECK_EQ(be_get32(b + 16), 100);	/* snap length */
	CHECK_EQ(be_get32(b + 20), 1);		/* LINKTYPE_ETHERNET */
	off = PCAP_FILEHDR_SIZE;
	CHECK_EQ(be_get32(b + off), 1700000000);
	CHECK_EQ(be_get32(b + off + 4), 123456789);
	CHECK_EQ(be_get32(b + off + 8), 60);
	CHECK_EQ(be_get32(b + off + 12), 60);
	CHECK_MEM(b + off + 16, frame, 60);
	off += 16 + 60;
	CHECK_EQ(be_get32(b + off), 1700000001);
	CHECK_EQ(be_get32(b + off + 4), 5);
	CHECK_EQ(be_get32(b + off + 8), 100);
	CHECK_EQ(be_get32(b + off + 12), 200);
	CHECK_MEM(b + off + 16, frame, 100);
}

TEST(pcapw_pcapng_blocks)
{
	struct pcapw_opts o = { 0 };
	struct pcapw *w;
	char dir[64], path[128];
	static uint8_t b[8192];
	struct qdio_span sp;
	size_t n, off = 0, len;
	unsigned epb = 0;
	bool tsresol = false, ifname = false;

	scratch(t, dir, sizeof(dir));
	REQUIRE(dir[0]);
	snprintf(path, sizeof(path), "%s/a.pcapng", dir);
	mkframe(61);
	o.path = path;
	o.fmt = PCAPW_PCAPNG;
	o.linktype = PCAPW_LINK_RAW;
	o.ifname = "SYSTEM LAN1";
	REQUIRE(pcapw_open(&w, &o) == 0);
	sp = (struct qdio_span){ frame, 61 };
	CHECK_EQ(pcapw_write(w, 0x0000000100000002ull, &sp, 1, 61), 0);
	CHECK_EQ(pcapw_write(w, 7, &sp, 1, 61), 0);
	CHECK_EQ(pcapw_close(w), 0);

	n = slurp(path, b, sizeof(b));
	REQUIRE(n > 28);
	/* Walk the blocks: each one's leading and trailing lengths agree and are
	 * multiples of 4; SHB, IDB, then two EPBs. */
	while (off + 12 <= n) {
		uint32_t type = be_get32(b + off);

		len = be_get32(b + off + 4);
		REQUIRE(len % 4 == 0 && len >= 12 && off + len <= n);
		CHECK_EQ(be_get32(b + off + len - 4), len);
		if (off == 0) {
			CHECK_EQ(type, 0x0A0D0D0A);
			CHECK_EQ(be_get32(b + 8), 0x1A2B3C4D);
			CHECK_EQ(be_get16(b + 12), 1);
		} else if (type == 1) {
			CHECK_EQ(be_get16(b + off + 8), 101);	/* LINKTYPE_RAW */
			CHECK_EQ(be_get32(b + off + 12), PCAPW_SNAP_DEFAULT);
			for (size_t p = off + 16; p + 4 <= off + len - 4;) {
				uint16_t code = be_get16(b + p), ol = be_get16(b + p + 2);

				if (code == 0)
					break;
				if (code == 9 && ol == 1 && b[p + 4] == 9)
					tsresol = true;
				if (code == 2 && ol == 11 && !memcmp(b + p + 4, "SYSTEM LAN1", 11))
					ifname = true;
				p += 4 + (ol + 3u) / 4 * 4;
			}
		} else if (type == 6) {
			CHECK_EQ(len, 28 + 64 + 4);	/* 61 bytes padded to 64 */
			CHECK_EQ(be_get32(b + off + 20), 61);
			CHECK_EQ(be_get32(b + off + 24), 61);
			CHECK_MEM(b + off + 28, frame, 61);
			CHECK_EQ(b[off + 28 + 61] | b[off + 28 + 62] | b[off + 28 + 63], 0);
			if (epb == 0) {
				CHECK_EQ(be_get32(b + off + 12), 1);
				CHECK_EQ(be_get32(b + off + 16), 2);
			}
			epb++;
		} else {
			CHECK(!"unexpected block type");
		}
		off += len;
	}
	CHECK_EQ(off, n);
	CHECK_EQ(epb, 2);
	CHECK(tsresol);
	CHECK(ifname);
}

#if CPNET_HAVE_ZLIB
TEST(pcapw_gzip_same_content)
{
	struct pcapw_opts o = { 0 };
	struct pcapw *w;
	char dir[64], p1[128], p2[128];
	static uint8_t a[1 << 16], b[1 << 16];
	struct qdio_span sp;
	uint8_t head[2];
	size_t na, nb;
	struct stat st1, st2;

	scratch(t, dir, sizeof(dir));
	REQUIRE(dir[0]);
	snprintf(p1, sizeof(p1), "%s/a.pcapng", dir);
	snprintf(p2, sizeof(p2), "%s/a.pcapng.gz", dir);
	mkframe(1500);
	for (int k = 0; k < 2; k++) {
		o.path = k ? p2 : p1;
		REQUIRE(pcapw_name_format(o.path, &o.fmt, &o.gzip) == 0);
		o.linktype = PCAPW_LINK_ETHERNET;
		REQUIRE(pcapw_open(&w, &o) == 0);
		sp = (struct qdio_span){ frame, 1500 };
		for (unsigned i = 0; i < 30; i++)
			CHECK_EQ(pcapw_write(w, 1000u * i, &sp, 1, 1500), 0);
		CHECK_EQ(pcapw_close(w), 0);
	}
	/* The .gz file is a gzip stream (magic 1f 8b), smaller, and holds the same bytes. */
	REQUIRE(raw_head(p2, head, 2) == 2);
	CHECK(head[0] == 0x1F && head[1] == 0x8B);
	REQUIRE(stat(p1, &st1) == 0 && stat(p2, &st2) == 0);
	CHECK(st2.st_size < st1.st_size / 4);
	na = slurp(p1, a, sizeof(a));
	nb = slurp(p2, b, sizeof(b));
	REQUIRE(na > 30 * 1500);
	CHECK_EQ(na, nb);
	CHECK_MEM(a, b, na);
}
#else
/* A build without zlib refuses gzip instead of writing something else. */
TEST(pcapw_gzip_refused_without_zlib)
{
	struct pcapw_opts o = { 0 };
	struct pcapw *w;
	char path[80];

	o.path = tc_path(t, path, sizeof(path), "nozlib.pcap.gz");
	REQUIRE(pcapw_name_format(o.path, &o.fmt, &o.gzip) == 0);
	o.linktype = PCAPW_LINK_ETHERNET;
	CHECK_EQ(pcapw_open(&w, &o), -EOPNOTSUPP);
	CHECK(access(o.path, F_OK) != 0);
}
#endif

TEST(pcapw_limits)
{
	struct pcapw_opts o = { 0 };
	struct pcapw *w;
	char dir[64], path[128];
	struct qdio_span sp = { frame, 100 };

	scratch(t, dir, sizeof(dir));
	REQUIRE(dir[0]);
	snprintf(path, sizeof(path), "%s/l.pcap", dir);
	mkframe(100);
	o.path = path;
	o.fmt = PCAPW_PCAP;
	o.linktype = PCAPW_LINK_ETHERNET;
	o.max_packets = 2;
	REQUIRE(pcapw_open(&w, &o) == 0);
	CHECK_EQ(pcapw_write(w, 1, &sp, 1, 100), 0);
	CHECK_EQ(pcapw_write(w, 2, &sp, 1, 100), 0);
	CHECK_EQ(pcapw_write(w, 3, &sp, 1, 100), 1);
	CHECK_EQ(pcapw_write(w, 4, &sp, 1, 10), 1);
	CHECK_EQ(pcapw_stats(w)->packets, 2);
	CHECK_EQ(pcapw_close(w), 0);

	/* A byte limit: the frame that would pass it is not written (snap length counts). */
	o.max_packets = 0;
	o.max_bytes = 200;
	o.snaplen = 80;
	REQUIRE(pcapw_open(&w, &o) == 0);
	CHECK_EQ(pcapw_write(w, 1, &sp, 1, 100), 0);
	CHECK_EQ(pcapw_write(w, 2, &sp, 1, 100), 0);
	CHECK_EQ(pcapw_write(w, 3, &sp, 1, 100), 1);
	CHECK_EQ(pcapw_stats(w)->bytes, 160);
	CHECK_EQ(pcapw_close(w), 0);
}

TEST(pcapw_rotation_ring)
{
	struct pcapw_opts o = { 0 };
	struct pcapw *w;
	char dir[64], path[128], name[160];
	static uint8_t b[4096];
	struct qdio_span sp = { frame, 100 };
	struct stat st;

	scratch(t, dir, sizeof(dir));
	REQUIRE(dir[0]);
	snprintf(path, sizeof(path), "%s/r.pcap", dir);
	mkframe(100);
	o.path = path;
	o.fmt = PCAPW_PCAP;
	o.linktype = PCAPW_LINK_ETHERNET;
	/* 24 + 2 * 116 = 256 bytes: two frames per file, then the next file. */
	o.rotate_bytes = 250;
	o.rotate_files = 2;
	REQUIRE(pcapw_open(&w, &o) == 0);
	for (unsigned i = 0; i < 9; i++)
		CHECK_EQ(pcapw_write(w, i, &sp, 1, 100), 0);
	CHECK_EQ(pcapw_stats(w)->files, 5);
	snprintf(name, sizeof(name), "%s/r_00005.pcap", dir);
	CHECK_STR(pcapw_current(w), name);
	CHECK_EQ(pcapw_close(w), 0);
	/* Files 1..3 fell out of the ring of 2; 4 holds frames 6, 7; 5 holds frame 8. */
	for (unsigned s = 1; s <= 5; s++) {
		snprintf(name, sizeof(name), "%s/r_%05u.pcap", dir, s);
		CHECK_EQ(stat(name, &st) == 0, s >= 4);
	}
	CHECK(stat(path, &st) != 0);
	snprintf(name, sizeof(name), "%s/r_00004.pcap", dir);
	CHECK_EQ(slurp(name, b, sizeof(b)), 24 + 2 * 116);
	CHECK_EQ(be_get32(b), 0xA1B23C4D);
	CHECK_EQ(be_get32(b + 24 + 4), 6);	/* the first record's ns: frame 6 */
	snprintf(name, sizeof(name), "%s/r_00005.pcap", dir);
	CHECK_EQ(slurp(name, b, sizeof(b)), 24 + 116);
	CHECK_EQ(be_get32(b + 24 + 4), 8);
}

TEST(pcapw_bad_use)
{
	struct pcapw_opts o = { 0 };
	struct pcapw *w = (struct pcapw *)1;
	char path[80];

	o.path = "/nonexistent-cpnet-dir/x.pcap";
	o.fmt = PCAPW_PCAP;
	o.linktype = PCAPW_LINK_ETHERNET;
	CHECK_EQ(pcapw_open(&w, &o), -ENOENT);
	CHECK(w == NULL);
	o.path = tc_path(t, path, sizeof(path), "x.pcap");
	o.linktype = 105;
	CHECK_EQ(pcapw_open(&w, &o), -EINVAL);
	o.linktype = PCAPW_LINK_RAW;
	o.fmt = 3;
	CHECK_EQ(pcapw_open(&w, &o), -EINVAL);
	o.fmt = PCAPW_PCAP;
	o.rotate_files = 3;	/* a ring needs a size */
	CHECK_EQ(pcapw_open(&w, &o), -EINVAL);
	/* Rotation needs a known ending for its names. */
	o.path = tc_path(t, path, sizeof(path), "x.cap");
	o.rotate_bytes = 1000;
	CHECK_EQ(pcapw_open(&w, &o), -EINVAL);
	CHECK_EQ(pcapw_close(NULL), 0);
}

/* ---- samples for tshark (tests/scenarios/pcapw_tshark.sh) ------------------------------
 * An ARP request and an ICMP echo request in Ethernet; a bare IPv4 UDP packet and a bare
 * IPv6 ICMPv6 echo for the IP link type.  Written in all four formats, in
 * $CPNET_PCAPW_SAMPLES (kept for tshark) or a scratch directory (checked, removed). */

static const char arp_hex[] =
	"ffffffffffff 020000000001 0806 0001 0800 06 04 0001 020000000001 0a010001"
	"000000000000 0a010002";
static const char icmp_hex[] =
	"020000000002 020000000001 0800"
	"4500 001c 0001 0000 4001 0000 0a010001 0a010002"	/* checksum left 0 */
	"0800 f7fe 0001 0000";
static const char udp4_hex[] =
	"4500 0020 0002 0000 4011 0000 0a020001 0a020002"
	"3039 0035 000c 0000 61626364";
static const char icmp6_hex[] =
	"6000 0000 0008 3a40 fd000000000000000000000000000001"
	"fd000000000000000000000000000002 8000 0000 0007 0001";

static int sample_set(const char *dir, const char *ext, uint32_t link)
{
	static const char *const eth[] = { arp_hex, icmp_hex };
	static const char *const raw[] = { udp4_hex, icmp6_hex };
	struct pcapw_opts o = { 0 };
	struct pcapw *w;
	char path[256];
	uint8_t f[128];
	int rc;

	snprintf(path, sizeof(path), "%s/%s%s", dir, link == PCAPW_LINK_RAW ? "ip" : "eth", ext);
	o.path = path;
	o.linktype = link;
	o.ifname = "SYSTEM SAMPLE";
	if ((rc = pcapw_name_format(path, &o.fmt, &o.gzip)) < 0 || (rc = pcapw_open(&w, &o)) < 0)
		return rc;
	for (unsigned i = 0; i < 2; i++) {
		int n = tc_hex(link == PCAPW_LINK_RAW ? raw[i] : eth[i], f, sizeof(f));
		struct qdio_span sp = { f, (uint32_t)n };

		if (n < 0 || pcapw_write(w, 1700000000000000000ull + i * 1000000ull, &sp, 1,
					 (uint32_t)n) != 0) {
			pcapw_close(w);
			return -EIO;
		}
	}
	return pcapw_close(w);
}

TEST(pcapw_tshark_samples)
{
	static const char *const exts[] = { ".pcap", ".pcapng", ".pcap.gz", ".pcapng.gz" };
	const unsigned nexts = CPNET_HAVE_ZLIB ? 4 : 2;
	const char *keep = getenv("CPNET_PCAPW_SAMPLES");
	char dir[256], path[300];
	static uint8_t b[4096];

	if (keep && *keep)
		snprintf(dir, sizeof(dir), "%s", keep);
	else
		scratch(t, dir, sizeof(dir));
	REQUIRE(dir[0]);
	for (unsigned e = 0; e < nexts; e++) {
		CHECK_EQ(sample_set(dir, exts[e], PCAPW_LINK_ETHERNET), 0);
		CHECK_EQ(sample_set(dir, exts[e], PCAPW_LINK_RAW), 0);
	}
	/* The four Ethernet files hold the same frames: pcap and pcap.gz the same bytes. */
	snprintf(path, sizeof(path), "%s/eth.pcap", dir);
	CHECK_EQ(slurp(path, b, sizeof(b)), 24 + 16 + 42 + 16 + 42);
	CHECK_EQ(be_get16(b + 24 + 16 + 12), 0x0806);	/* ARP */
#if CPNET_HAVE_ZLIB
	snprintf(path, sizeof(path), "%s/eth.pcap.gz", dir);
	CHECK_EQ(slurp(path, b, sizeof(b)), 24 + 16 + 42 + 16 + 42);
#endif
}
