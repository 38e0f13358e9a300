/* bench/bench_vswitch.c - guest to guest through a VSWITCH (LANBK, MAC lookup, batch
 * classification) vs the same two guests joined point to point, in one process; and
 * the cost of bandwidth caps that never bind (both ports capped at 400G) vs none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/common.h"
#include "driver/guest.h"
#include "vswitch/lan.h"
#include "vswitch/switch.h"

#define BATCH 256

struct pair {
	struct nicbk nic[2];
	struct port_p2p j;
	struct lan_table tbl;
	struct lanbk *lan;
	struct guest g[2];
	struct guest_if *i[2];
	uint8_t *frame;
	uint32_t len;
	uint64_t rx;
};

static void count_rx(void *ctx, const uint8_t *qh, const uint8_t *data, uint32_t len)
{
	struct pair *p = ctx;

	(void)qh;
	(void)len;
	BENCH_USE(data);
	p->rx++;
}

/* switched: both NICs coupled to one ETHERNET VSWITCH; else joined point to point. */
static int pair_up(struct pair *p, uint32_t len, bool switched)
{
	int rc;

	if (switched) {
		lan_table_init(&p->tbl, 0x5EEDull);
		rc = lan_define(&p->tbl, "SYSTEM", "BENCHSW", LAN_VSWITCH, &p->lan);
		if (rc == 0)
			rc = lan_set_transport(p->lan, LAN_ETHERNET);
		if (rc < 0)
			return rc;
	}
	for (int k = 0; k < 2; k++) {
		struct nic_cfg c;

		memset(&c, 0, sizeof(c));
		c.base_devno = 0x0A00;
		c.ndev = 3;
		c.chpid = 0x0A;
		c.mac[0] = 0x02;
		c.mac[5] = (uint8_t)(0x10 + k);
		c.vm_nic = true;
		rc = nic_create(&p->nic[k], &c);
		if (rc == 0)
			rc = guest_create(&p->g[k], 0);
		if (rc == 0)
			rc = guest_attach_nic(&p->g[k], &p->nic[k], 0x0A00, 2, &p->i[k]);
		if (rc == 0 && switched)
			rc = lan_attach_port(p->lan, &p->nic[k].port, k ? "USERB" : "USERA",
					     0x0A00, LAN_PORTNUM_AUTO, c.mac) > 0 ? 0 : -EIO;
		if (rc < 0)
			return rc;
	}
	if (!switched)
		port_p2p_join(&p->j, &p->nic[0].port, &p->nic[1].port);
	for (int k = 0; k < 2; k++) {
		rc = guest_if_online(p->i[k]);
		if (rc < 0) {
			fprintf(stderr, "bench_vswitch: guest %d online: %d %s\n", k, rc,
				p->i[k]->drv.last_error);
			return rc;
		}
	}
	p->i[1]->drv.cfg.rx = count_rx;
	p->i[1]->drv.cfg.rx_ctx = p;
	p->frame = malloc(len);
	if (!p->frame)
		return -ENOMEM;
	p->len = len;
	memset(p->frame, 0x5A, len);
	memcpy(p->frame, p->nic[1].cfg.mac, 6);
	memcpy(p->frame + 6, p->nic[0].cfg.mac, 6);
	p->frame[12] = 0x88;
	p->frame[13] = 0xB5;
	return 0;
}

static void pair_down(struct pair *p)
{
	if (p->lan) {
		for (int k = 0; k < 2; k++)
			lan_detach_port(p->lan, &p->nic[k].port);
		lan_table_free(&p->tbl);
	} else {
		port_p2p_split(&p->j);
	}
	for (int k = 0; k < 2; k++) {
		guest_destroy(&p->g[k]);
		nic_destroy(&p->nic[k]);
	}
	free(p->frame);
}

static uint64_t pair_run(void *ctx)
{
	struct pair *p = ctx;
	uint64_t rx0 = p->rx;

	for (unsigned n = 0; n < BATCH; n++)
		if (qdrv_send_l2(&p->i[0]->drv, p->frame, p->len) < 0)
			return 0;
	if (qdrv_flush(&p->i[0]->drv) < 0)
		return 0;
	guest_poll(&p->g[1]);
	guest_poll(&p->g[0]);
	return p->rx - rx0 == BATCH ? BATCH : 0;
}

/* Both ports of a switched pair capped at the highest rate: every frame passes both
 * buckets (the sender's and the receiver's) and none is dropped (pair_run checks). */
static int cap_both(struct pair *p)
{
	for (int k = 0; k < 2; k++) {
		const struct lan_conn *c = lan_conn_of(p->lan, &p->nic[k].port);
		int rc = c ? lan_set_portnum_cap(p->lan, c->portnum, SHAPER_RATE_MAX) : -ENOENT;

		if (rc < 0)
			return rc;
	}
	return 0;
}

static int one(uint32_t len, double secs)
{
	struct pair *sw = calloc(1, sizeof(*sw)), *pp = calloc(1, sizeof(*pp));
	struct pair *cap = calloc(1, sizeof(*cap));
	struct bench_run r[3];
	char name[32], note[96];
	int rc = -ENOMEM;

	if (sw && pp && cap)
		rc = pair_up(sw, len, true);
	if (rc == 0)
		rc = pair_up(pp, len, false);
	if (rc == 0)
		rc = pair_up(cap, len, true);
	if (rc == 0)
		rc = cap_both(cap);
	if (rc == 0) {
		r[0] = (struct bench_run){ .name = "vswitch", .run = pair_run, .ctx = sw };
		r[1] = (struct bench_run){ .name = "point-to-point", .run = pair_run, .ctx = pp };
		r[2] = (struct bench_run){ .name = "vswitch capped", .run = pair_run, .ctx = cap };
		rc = bench_measure(r, 3, secs);
	}
	if (rc == 0) {
		snprintf(name, sizeof(name), "vswitch_%u", len);
		snprintf(note, sizeof(note), "(%.0f MB/s; lan forwarded %llu)",
			 r[0].rate * len / 1e6,
			 (unsigned long long)sw->nic[1].port.st.rx_packets);
		bench_report(name, &r[0], &r[1], note);
		snprintf(name, sizeof(name), "vswitch_cap_%u", len);
		snprintf(note, sizeof(note), "(both ports capped at 400G, never binding)");
		bench_report(name, &r[2], &r[0], note);
	} else {
		fprintf(stderr, "bench_vswitch: %u-byte run failed (%d)\n", len, rc);
	}
	if (sw)
		pair_down(sw);
	if (pp)
		pair_down(pp);
	if (cap)
		pair_down(cap);
	free(sw);
	free(pp);
	free(cap);
	return rc ? 1 : 0;
}

int main(void)
{
	double secs = bench_secs(1.5);

	return one(64, secs) | one(1500, secs);
}
