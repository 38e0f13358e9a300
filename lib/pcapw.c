/* lib/pcapw.c - the capture writer (pcap / pcapng, optionally gzip through zlib): one
 * writer for cpnet-trace and for the operator's TRACE inside cpnetd. */
#include "lib/pcapw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#if CPNET_HAVE_ZLIB
#include <zlib.h>
#else
typedef void *gzFile;
#endif

#include "lib/be.h"
#include "lib/cpnet.h"

/* pcap: nanosecond-resolution magic, version 2.4. */
#define PCAP_MAGIC_NS 0xA1B23C4Du
#define PCAP_OFF_MAGIC 0
#define PCAP_OFF_VMAJ 4
#define PCAP_OFF_VMIN 6
#define PCAP_OFF_ZONE 8
#define PCAP_OFF_SIGFIGS 12
#define PCAP_OFF_SNAP 16
#define PCAP_OFF_LINK 20
CPNET_LAYOUT(PCAP_FILEHDR, PCAP_OFF_LINK + 4);
#define PCAP_REC_OFF_SEC 0
#define PCAP_REC_OFF_NSEC 4
#define PCAP_REC_OFF_CAPLEN 8
#define PCAP_REC_OFF_LEN 12
CPNET_LAYOUT(PCAP_RECHDR, PCAP_REC_OFF_LEN + 4);

/* pcapng blocks (draft-ietf-opsawg-pcapng): section header, interface description,
 * enhanced packet. */
#define NG_SHB 0x0A0D0D0Au
#define NG_IDB 0x00000001u
#define NG_EPB 0x00000006u
#define NG_BOM 0x1A2B3C4Du
#define NG_OPT_END 0
#define NG_OPT_SHB_USERAPPL 4
#define NG_OPT_IF_NAME 2
#define NG_OPT_IF_TSRESOL 9
#define NG_SHB_FIXED 28		/* type, len, BOM, major, minor, section length, len */
#define NG_IDB_FIXED 20		/* type, len, link, reserved, snaplen, len */
#define NG_EPB_OFF_TYPE 0
#define NG_EPB_OFF_LEN 4
#define NG_EPB_OFF_IF 8
#define NG_EPB_OFF_TSHI 12
#define NG_EPB_OFF_TSLO 16
#define NG_EPB_OFF_CAPLEN 20
#define NG_EPB_OFF_ORIGLEN 24
_Static_assert(NG_EPB_OFF_ORIGLEN + 4 == PCAPNG_EPB_FIXED, "EPB layout");

#define APPL_NAME "cpnet"
#define BUF_SIZE 65536u

struct pcapw {
	struct pcapw_opts o;
	char *path;		/* our copy of o.path */
	char cur[PCAPW_NAME_MAX];
	unsigned seq;		/* rotation file number, 0 = no rotation */
	int fd;			/* plain file */
	gzFile gz;		/* gzip file */
	uint8_t *buf;		/* plain file: write buffer */
	size_t nbuf;
	uint64_t file_bytes;	/* uncompressed bytes in the current file */
	uint64_t file_packets;
	int err;		/* first write error, sticky */
	bool full;		/* a limit was reached */
	struct pcapw_stats st;
};

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && !strcasecmp(s + n - m, suf);
}

static const struct {
	const char *ext;
	uint8_t fmt;
	bool gzip;
} endings[] = {
	/* Longest first: ".pcapng.gz" before ".pcap.gz" and ".pcapng" before ".pcap"
	 * are no suffixes of each other, but keep the order obvious anyway. */
	{ ".pcapng.gz", PCAPW_PCAPNG, true },
	{ ".pcap.gz", PCAPW_PCAP, true },
	{ ".pcapng", PCAPW_PCAPNG, false },
	{ ".pcap", PCAPW_PCAP, false },
};

static int ending_of(const char *path)
{
	for (unsigned i = 0; i < CPNET_ARRAY_SIZE(endings); i++)
		if (ends_with(path, endings[i].ext))
			return (int)i;
	return -EINVAL;
}

int pcapw_name_format(const char *path, uint8_t *fmt, bool *gzip)
{
	int e = path ? ending_of(path) : -EINVAL;

	if (e < 0)
		return e;
	*fmt = endings[e].fmt;
	*gzip = endings[e].gzip;
	return 0;
}

int pcapw_rotation_name(const char *path, unsigned seq, char *out, size_t cap)
{
	int e = ending_of(path);
	size_t stem;
	int n;

	if (e < 0)
		return e;
	stem = strlen(path) - strlen(endings[e].ext);
	n = snprintf(out, cap, "%.*s_%05u%s", (int)stem, path, seq, path + stem);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- output: a buffered fd or a gzip stream ------------------------------------------ */

static int flush_plain(struct pcapw *w)
{
	size_t off = 0;

	while (off < w->nbuf) {
		ssize_t r = write(w->fd, w->buf + off, w->nbuf - off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)r;
	}
	w->nbuf = 0;
	return 0;
}

static int out(struct pcapw *w, const void *p, size_t n)
{
	if (w->err)
		return w->err;
	w->file_bytes += n;
#if CPNET_HAVE_ZLIB
	if (w->gz) {
		/* gzwrite takes an unsigned length; frames are far below that. */
		if (n && gzwrite(w->gz, p, (unsigned)n) != (int)n) {
			int ze;

			(void)gzerror(w->gz, &ze);
			w->err = ze == Z_ERRNO && errno ? -errno : -EIO;
		}
		return w->err;
	}
#endif
	if (w->nbuf + n > BUF_SIZE) {
		w->err = flush_plain(w);
		if (w->err)
			return w->err;
	}
	if (n > BUF_SIZE) {
		/* Larger than the buffer (only a huge snap length): write through. */
		for (size_t off = 0; off < n;) {
			size_t k = n - off < BUF_SIZE ? n - off : BUF_SIZE;

			memcpy(w->buf, (const uint8_t *)p + off, k);
			w->nbuf = k;
			w->err = flush_plain(w);
			if (w->err)
				return w->err;
			off += k;
		}
		return 0;
	}
	memcpy(w->buf + w->nbuf, p, n);
	w->nbuf += n;
	return 0;
}

static int file_close(struct pcapw *w)
{
	int rc = 0;

#if CPNET_HAVE_ZLIB
	if (w->gz) {
		int zr = gzclose(w->gz);

		w->gz = NULL;
		if (zr != Z_OK && !w->err)
			w->err = zr == Z_ERRNO && errno ? -errno : -EIO;
		return w->err;
	}
#endif
	if (w->fd >= 0) {
		if (!w->err)
			w->err = flush_plain(w);
		if (close(w->fd) < 0 && !w->err)
			w->err = -errno;
		w->fd = -1;
	}
	rc = w->err;
	return rc;
}

/* ---- headers --------------------------------------------------------------------------- */

static uint32_t snaplen(const struct pcapw *w)
{
	return w->o.snaplen ? w->o.snaplen : PCAPW_SNAP_DEFAULT;
}

static int put_pcap_header(struct pcapw *w)
{
	uint8_t h[PCAP_FILEHDR_SIZE];

	be_put32(h + PCAP_OFF_MAGIC, PCAP_MAGIC_NS);
	be_put16(h + PCAP_OFF_VMAJ, 2);
	be_put16(h + PCAP_OFF_VMIN, 4);
	be_put32(h + PCAP_OFF_ZONE, 0);
	be_put32(h + PCAP_OFF_SIGFIGS, 0);
	be_put32(h + PCAP_OFF_SNAP, snaplen(w));
	be_put32(h + PCAP_OFF_LINK, w->o.linktype);
	return out(w, h, sizeof(h));
}

/* One pcapng option (code, length, value padded to 4) into p; returns its size. */
static size_t ng_opt(uint8_t *p, uint16_t code, const void *v, uint16_t len)
{
	size_t pad = (4 - len % 4) % 4;

	be_put16(p, code);
	be_put16(p + 2, len);
	memcpy(p + 4, v, len);
	memset(p + 4 + len, 0, pad);
	return 4 + len + pad;
}

static int put_pcapng_header(struct pcapw *w)
{
	uint8_t b[NG_SHB_FIXED + 64 + NG_IDB_FIXED + 16 + 4 + 260];
	size_t n = 0, start, len;
	uint8_t res = 9;	/* if_tsresol: 10^-9 s */
	size_t ifl = w->o.ifname ? strnlen(w->o.ifname, 255) : 0;

	/* Section header block. */
	start = n;
	be_put32(b + n, NG_SHB);
	be_put32(b + n + 8, NG_BOM);
	be_put16(b + n + 12, 1);
	be_put16(b + n + 14, 0);
	be_put64(b + n + 16, UINT64_MAX);	/* section length unknown */
	n += 24;
	n += ng_opt(b + n, NG_OPT_SHB_USERAPPL, APPL_NAME, (uint16_t)strlen(APPL_NAME));
	n += ng_opt(b + n, NG_OPT_END, "", 0);
	len = n - start + 4;
	be_put32(b + start + 4, (uint32_t)len);
	be_put32(b + n, (uint32_t)len);
	n += 4;
	/* Interface description block: the LAN, nanosecond stamps. */
	start = n;
	be_put32(b + n, NG_IDB);
	be_put16(b + n + 8, (uint16_t)w->o.linktype);
	be_put16(b + n + 10, 0);
	be_put32(b + n + 12, snaplen(w));
	n += 16;
	if (ifl)
		n += ng_opt(b + n, NG_OPT_IF_NAME, w->o.ifname, (uint16_t)ifl);
	n += ng_opt(b + n, NG_OPT_IF_TSRESOL, &res, 1);
	n += ng_opt(b + n, NG_OPT_END, "", 0);
	len = n - start + 4;
	be_put32(b + start + 4, (uint32_t)len);
	be_put32(b + n, (uint32_t)len);
	n += 4;
	return out(w, b, n);
}

static int file_open(struct pcapw *w)
{
	const char *name = w->path;
	int rc;

	if (w->seq) {
		rc = pcapw_rotation_name(w->path, w->seq, w->cur, sizeof(w->cur));
		if (rc < 0)
			return rc;
		name = w->cur;
	} else if (strlen(w->path) >= sizeof(w->cur)) {
		return -ENAMETOOLONG;
	} else {
		strcpy(w->cur, w->path);
	}
	w->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0)
		return -errno;
#if CPNET_HAVE_ZLIB
	if (w->o.gzip) {
		/* gzdopen owns the fd from here (gzclose closes it). */
		w->gz = gzdopen(w->fd, "wb1");
		if (!w->gz) {
			close(w->fd);
			w->fd = -1;
			return -ENOMEM;
		}
		w->fd = -1;
		if (gzbuffer(w->gz, BUF_SIZE) != 0) {
			gzclose(w->gz);
			w->gz = NULL;
			return -ENOMEM;
		}
	}
#endif
	w->file_bytes = 0;
	w->file_packets = 0;
	w->st.files++;
	/* A ring of rotate_files: the file that falls out of it goes. */
	if (w->seq && w->o.rotate_files && w->seq > w->o.rotate_files) {
		char old[PCAPW_NAME_MAX];

		if (pcapw_rotation_name(w->path, w->seq - w->o.rotate_files, old, sizeof(old)) == 0)
			(void)unlink(old);
	}
	rc = w->o.fmt == PCAPW_PCAP ? put_pcap_header(w) : put_pcapng_header(w);
	return rc;
}

int pcapw_open(struct pcapw **outp, const struct pcapw_opts *o)
{
	struct pcapw *w;
	int rc;

	*outp = NULL;
	if (!o->path || !*o->path || (o->fmt != PCAPW_PCAP && o->fmt != PCAPW_PCAPNG))
		return -EINVAL;
	if (o->linktype != PCAPW_LINK_ETHERNET && o->linktype != PCAPW_LINK_RAW)
		return -EINVAL;
	if (o->rotate_files && !o->rotate_bytes)
		return -EINVAL;
	if (o->rotate_bytes && ending_of(o->path) < 0)
		return -EINVAL;
	if (o->gzip && !CPNET_HAVE_ZLIB)
		return -EOPNOTSUPP;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->o = *o;
	w->o.ifname = NULL;
	w->fd = -1;
	w->path = strdup(o->path);
	w->buf = o->gzip ? NULL : malloc(BUF_SIZE);
	if (!w->path || (!o->gzip && !w->buf)) {
		rc = -ENOMEM;
		goto fail;
	}
	if (o->ifname) {
		w->o.ifname = strdup(o->ifname);
		if (!w->o.ifname) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	w->seq = o->rotate_bytes ? 1 : 0;
	rc = file_open(w);
	if (rc < 0 || (rc = w->err) < 0) {
		file_close(w);
		goto fail;
	}
	*outp = w;
	return 0;

fail:
	free((char *)w->o.ifname);
	free(w->path);
	free(w->buf);
	free(w);
	return rc;
}

static int put_record(struct pcapw *w, uint64_t ts_ns, const struct qdio_span *sp,
		      unsigned nsp, uint32_t cap, uint32_t len)
{
	static const uint8_t zero[4];
	uint8_t h[PCAPNG_EPB_FIXED];
	uint32_t left = cap;
	size_t pad = 0;
	int rc;

	if (w->o.fmt == PCAPW_PCAP) {
		be_put32(h + PCAP_REC_OFF_SEC, (uint32_t)(ts_ns / 1000000000u));
		be_put32(h + PCAP_REC_OFF_NSEC, (uint32_t)(ts_ns % 1000000000u));
		be_put32(h + PCAP_REC_OFF_CAPLEN, cap);
		be_put32(h + PCAP_REC_OFF_LEN, len);
		rc = out(w, h, PCAP_RECHDR_SIZE);
	} else {
		pad = (4 - cap % 4) % 4;
		be_put32(h + NG_EPB_OFF_TYPE, NG_EPB);
		be_put32(h + NG_EPB_OFF_LEN, (uint32_t)(PCAPNG_EPB_FIXED + cap + pad + 4));
		be_put32(h + NG_EPB_OFF_IF, 0);
		be_put32(h + NG_EPB_OFF_TSHI, (uint32_t)(ts_ns >> 32));
		be_put32(h + NG_EPB_OFF_TSLO, (uint32_t)ts_ns);
		be_put32(h + NG_EPB_OFF_CAPLEN, cap);
		be_put32(h + NG_EPB_OFF_ORIGLEN, len);
		rc = out(w, h, PCAPNG_EPB_FIXED);
	}
	for (unsigned s = 0; s < nsp && left && rc == 0; s++) {
		uint32_t k = sp[s].len < left ? sp[s].len : left;

		rc = out(w, sp[s].ptr, k);
		left -= k;
	}
	if (rc == 0 && w->o.fmt == PCAPW_PCAPNG) {
		uint8_t tl[4];

		be_put32(tl, (uint32_t)(PCAPNG_EPB_FIXED + cap + pad + 4));
		rc = out(w, zero, pad);
		if (rc == 0)
			rc = out(w, tl, 4);
	}
	return rc;
}

int pcapw_write(struct pcapw *w, uint64_t ts_ns, const struct qdio_span *sp, unsigned nsp,
		uint32_t len)
{
	uint64_t have = 0;
	uint32_t cap;
	int rc;

	if (w->err)
		return w->err;
	if (w->full)
		return 1;
	for (unsigned s = 0; s < nsp; s++)
		have += sp[s].len;
	if (have < len)
		return -EINVAL;
	cap = len < snaplen(w) ? len : snaplen(w);
	if ((w->o.max_packets && w->st.packets >= w->o.max_packets) ||
	    (w->o.max_bytes && w->st.bytes + cap > w->o.max_bytes)) {
		w->full = true;
		return 1;
	}
	if (w->seq && w->file_packets && w->file_bytes >= w->o.rotate_bytes) {
		rc = file_close(w);
		if (rc < 0)
			return rc;
		w->seq++;
		rc = file_open(w);
		if (rc < 0) {
			w->err = rc;
			return rc;
		}
	}
	rc = put_record(w, ts_ns, sp, nsp, cap, len);
	if (rc < 0)
		return rc;
	w->file_packets++;
	w->st.packets++;
	w->st.bytes += cap;
	w->st.wire_bytes += len;
	if (cap < len)
		w->st.truncated++;
	return 0;
}

int pcapw_flush(struct pcapw *w)
{
	if (w->err)
		return w->err;
#if CPNET_HAVE_ZLIB
	if (w->gz) {
		if (gzflush(w->gz, Z_SYNC_FLUSH) != Z_OK)
			w->err = -EIO;
		return w->err;
	}
#endif
	if (w->fd >= 0) {
		w->err = flush_plain(w);
	}
	return w->err;
}

const struct pcapw_stats *pcapw_stats(const struct pcapw *w)
{
	return &w->st;
}

const char *pcapw_current(const struct pcapw *w)
{
	return w->cur;
}

int pcapw_close(struct pcapw *w)
{
	int rc;

	if (!w)
		return 0;
	rc = file_close(w);
	free((char *)w->o.ifname);
	free(w->path);
	free(w->buf);
	free(w);
	return rc;
}
