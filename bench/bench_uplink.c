/* bench/bench_uplink.c - a guest's frames through a VSWITCH, its uplink port, CP's uplink
 * driver and the OSA to an in-memory wire (and back), vs guest to guest on the same switch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "bench/common.h"
#include "controller/controller.h"
#include "cp/config.h"
#include "cp/cp.h"
#include "cp/uplink.h"
#include "osa/wire.h"
#include "vswitch/lan.h"

/*
 * One cpnetd without sockets (the unit tests' fixture): a controller DTCVSW1, an
 * ETHERNET VSWITCH whose RDEV 0C00 is an OSA, two guests on it.  The OSA's wire is a
 * bench wire kept in memory: a send copies the frame once into a scratch (what a TAP
 * write costs the kernel) and counts it; a receive hands out a template frame as
 * long as the benchmark has armed some.  The frames of each run leave in one batch
 * (one SIGA from the guest), as a busy guest would send them.
 */
#define BATCH 64

static const char cfg_text[] =
	"RDEVICE 0C00 TYPE OSA BACKEND MEM upc\n"
	"DEFINE VSWITCH VSWB RDEV 0C00 CONTROLLER * ETHERNET\n"
	"MODIFY VSWITCH VSWB GRANT LINUX01\n"
	"MODIFY VSWITCH VSWB GRANT LINUX02\n"
	"AUTOLOG DTCVSW1 LINUX01 LINUX02\n";

static const char dir_text[] =
	"USER DTCVSW1 NOLOG 64M 64M BG\n"
	"  CONTROLLER\n"
	"USER LINUX01 NOLOG 1G 1G G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWB\n"
	"  IPADDR 0600 10.8.0.1/24\n"
	"USER LINUX02 NOLOG 1G 1G G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWB\n"
	"  IPADDR 0600 10.8.0.2/24\n";

static const uint8_t HOST_MAC[6] = { 0x02, 0xAA, 0, 0, 0, 0x02 };

/* ---- the bench wire -------------------------------------------------------------- */

struct bwire {
	uint8_t scratch[WIRE_FRAME_MAX];
	uint8_t tmpl[WIRE_FRAME_MAX];
	uint32_t tmpl_len;
	uint64_t sent, armed;
};

static struct bwire the_wire;

static int bw_open(struct wire *w, const char *name)
{
	(void)name;
	w->priv = &the_wire;
	w->fd = -1;
	return 0;
}

static void bw_close(struct wire *w)
{
	w->priv = NULL;
}

static int bw_send(struct wire *w, const struct iovec *iov, unsigned niov, uint32_t len)
{
	struct bwire *b = w->priv;
	uint32_t off = 0;

	for (unsigned k = 0; k < niov && off < len; k++) {
		size_t n = iov[k].iov_len;

		if (n > len - off)
			n = len - off;
		memcpy(b->scratch + off, iov[k].iov_base, n);
		off += (uint32_t)n;
	}
	BENCH_USE(b->scratch);
	b->sent++;
	return 0;
}

static int bw_recv(struct wire *w, uint8_t *buf, uint32_t cap)
{
	struct bwire *b = w->priv;

	if (!b->armed)
		return -EAGAIN;
	if (b->tmpl_len > cap)
		return -EMSGSIZE;
	b->armed--;
	memcpy(buf, b->tmpl, b->tmpl_len);
	return (int)b->tmpl_len;
}

static int bw_link(struct wire *w)
{
	(void)w;
	return 1;
}

static int bw_mtu(struct wire *w, uint32_t *mtu)
{
	(void)w;
	*mtu = 1500;
	return 0;
}

static int bw_mac(struct wire *w, uint8_t mac[6])
{
	(void)w;
	memcpy(mac, HOST_MAC, 6);
	return 0;
}

static const struct wire_class bench_wire_class = {
	"BENCH", bw_open, bw_close, bw_send, bw_recv, bw_link, bw_mtu, bw_mac,
};

/* ---- the fixture ------------------------------------------------------------------- */

struct fx {
	struct cp cp;
	uint64_t now;
	struct osa *osa;
	struct up_sw *sw;
	struct qdrv *g1, *g2;		/* the guests' qeth interfaces */
	struct guest *gg1, *gg2;
	uint8_t *to_host, *to_g2, *from_host;
	uint32_t len;
	uint64_t rx1, rx2;
};

static uint64_t fx_clock(void *ctx)
{
	return ((struct fx *)ctx)->now;
}

static void count1(void *ctx, const uint8_t *qh, const uint8_t *data, uint32_t len)
{
	(void)qh;
	(void)len;
	BENCH_USE(data);
	((struct fx *)ctx)->rx1++;
}

static void count2(void *ctx, const uint8_t *qh, const uint8_t *data, uint32_t len)
{
	(void)qh;
	(void)len;
	BENCH_USE(data);
	((struct fx *)ctx)->rx2++;
}

static void ticks(struct fx *f, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		f->now += 50;
		uplink_tick(f->cp.up);
		uplink_poll(f->cp.up);
		cp_poll_guests(&f->cp);
		uplink_poll(f->cp.up);
	}
}

static uint8_t *frame(uint32_t len, const uint8_t dst[6], const uint8_t src[6])
{
	uint8_t *p = malloc(len);

	if (!p)
		return NULL;
	memset(p, 0x5A, len);
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	p[12] = 0x88;
	p[13] = 0xB5;
	return p;
}

static int fx_up(struct fx *f, uint32_t len)
{
	struct vm *v1, *v2;
	struct out o;
	int rc;

	f->now = 1000000;
	f->len = len;
	cp_init(&f->cp, 7);
	f->cp.up->clock_ms = fx_clock;
	f->cp.up->clock_ctx = f;
	out_init(&o);
	rc = config_parse(&f->cp, "sys.cfg", cfg_text, sizeof(cfg_text) - 1, &o);
	if (rc == 0)
		rc = dir_parse(&f->cp.dir, "user.direct", dir_text, sizeof(dir_text) - 1, &o);
	if (rc) {
		fprintf(stderr, "bench_uplink: %.*s", (int)o.len, o.buf);
		out_free(&o);
		return -EINVAL;
	}
	/* The OSA's wire becomes the bench wire before anything uses it. */
	f->osa = uplink_find_osa(f->cp.up, 0x0C00)->osa;
	if (!f->osa) {
		out_free(&o);
		return -ENODEV;
	}
	wire_close(&f->osa->wire);
	rc = wire_open(&f->osa->wire, &bench_wire_class, "bench");
	if (rc < 0) {
		out_free(&o);
		return rc;
	}
	config_autolog(&f->cp, &o);
	out_free(&o);
	ticks(f, 8);
	f->sw = uplink_find_sw(f->cp.up, lan_find(&f->cp.lans, "SYSTEM", "VSWB"));
	v1 = cp_find_vm(&f->cp, "LINUX01");
	v2 = cp_find_vm(&f->cp, "LINUX02");
	if (!f->sw || f->sw->active < 0 || !v1 || !v2 || !v1->nnics || !v2->nnics) {
		fprintf(stderr, "bench_uplink: the uplink did not come up\n");
		return -EIO;
	}
	f->gg1 = v1->guest;
	f->gg2 = v2->guest;
	f->g1 = &v1->nics[0]->gif->drv;
	f->g2 = &v2->nics[0]->gif->drv;
	f->g1->cfg.rx = count1;
	f->g1->cfg.rx_ctx = f;
	f->g2->cfg.rx = count2;
	f->g2->cfg.rx_ctx = f;
	f->to_host = frame(len, HOST_MAC, v1->nics[0]->mac);
	f->to_g2 = frame(len, v2->nics[0]->mac, v1->nics[0]->mac);
	f->from_host = frame(len, v1->nics[0]->mac, HOST_MAC);
	if (!f->to_host || !f->to_g2 || !f->from_host)
		return -ENOMEM;
	memcpy(the_wire.tmpl, f->from_host, len);
	the_wire.tmpl_len = len;
	return 0;
}

static void fx_down(struct fx *f)
{
	cp_free(&f->cp);
	free(f->to_host);
	free(f->to_g2);
	free(f->from_host);
}

/* guest -> LAN -> uplink port -> CP's data device -> OSA -> wire. */
static uint64_t run_out(void *ctx)
{
	struct fx *f = ctx;
	uint64_t s0 = the_wire.sent;

	for (unsigned n = 0; n < BATCH; n++)
		if (qdrv_send_l2(f->g1, f->to_host, f->len) < 0)
			return 0;
	if (qdrv_flush(f->g1) < 0)
		return 0;
	/* CP's data device reaps its completed output on its next poll. */
	uplink_poll(f->cp.up);
	guest_poll(f->gg1);
	return the_wire.sent - s0 == BATCH ? BATCH : 0;
}

/* wire -> OSA -> CP's data device -> uplink port -> LAN -> guest. */
static uint64_t run_in(void *ctx)
{
	struct fx *f = ctx;
	uint64_t r0 = f->rx1;

	the_wire.armed = BATCH;
	uplink_poll(f->cp.up);
	guest_poll(f->gg1);
	return f->rx1 - r0 == BATCH ? BATCH : 0;
}

/* guest -> LAN -> guest on the same switch (the baseline). */
static uint64_t run_g2g(void *ctx)
{
	struct fx *f = ctx;
	uint64_t r0 = f->rx2;

	for (unsigned n = 0; n < BATCH; n++)
		if (qdrv_send_l2(f->g1, f->to_g2, f->len) < 0)
			return 0;
	if (qdrv_flush(f->g1) < 0)
		return 0;
	guest_poll(f->gg2);
	guest_poll(f->gg1);
	return f->rx2 - r0 == BATCH ? BATCH : 0;
}

static int one(uint32_t len, double secs)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct memcpy_base mb;
	struct bench_run r[4];
	char name[32], note[128];
	int rc = -ENOMEM;

	memset(&mb, 0, sizeof(mb));
	if (f)
		rc = fx_up(f, len);
	/* The copies the path must make: guest frame -> guest output pages, -> CP's
	 * output pages (the vswitch's copy), -> the wire. */
	if (rc == 0)
		rc = memcpy_base_init(&mb, len, BATCH, 3);
	if (rc == 0) {
		r[0] = (struct bench_run){ .name = "uplink out", .run = run_out, .ctx = f };
		r[1] = (struct bench_run){ .name = "uplink in", .run = run_in, .ctx = f };
		r[2] = (struct bench_run){ .name = "guest-guest", .run = run_g2g, .ctx = f };
		r[3] = (struct bench_run){ .name = "memcpy x3", .run = memcpy_base_run, .ctx = &mb };
		rc = bench_measure(r, 4, secs);
	}
	if (rc == 0) {
		snprintf(name, sizeof(name), "uplink_out_%u", len);
		snprintf(note, sizeof(note), "(%.0f MB/s; %llu SIGAs for %llu frames)",
			 r[0].rate * len / 1e6,
			 (unsigned long long)f->sw->c[f->sw->active].data->st.tx_sigas,
			 (unsigned long long)f->sw->st.tx_pkts);
		bench_report(name, &r[0], &r[2], note);
		snprintf(name, sizeof(name), "uplink_out_%u", len);
		bench_report(name, &r[0], &r[3], NULL);
		snprintf(name, sizeof(name), "uplink_in_%u", len);
		snprintf(note, sizeof(note), "(%.0f MB/s; %llu port_tx calls for %llu frames)",
			 r[1].rate * len / 1e6,
			 (unsigned long long)f->sw->st.rx_batches,
			 (unsigned long long)f->sw->st.rx_pkts);
		bench_report(name, &r[1], &r[2], note);
		/* The whole path, both ways, must not allocate per frame. */
		{
			uint64_t a0 = bench_allocs();

			if (run_out(f) && run_in(f))
				printf("  uplink_%u allocations: %llu for %u frames out and %u in\n",
				       len, (unsigned long long)(bench_allocs() - a0), BATCH,
				       BATCH);
		}
	} else {
		fprintf(stderr, "bench_uplink: %u-byte run failed (%d)\n", len, rc);
	}
	memcpy_base_free(&mb);
	if (f) {
		fx_down(f);
		free(f);
	}
	return rc ? 1 : 0;
}

int main(void)
{
	double secs = bench_secs(1.5);

	return one(64, secs) | one(1500, secs);
}
