/* bench/bench_vnic.c - guest to guest through the whole stack in one process: qdrv output
 * queue, SIGA-w, vnic scan, port p2p, vnic input put, PCI, qdrv input; vs memcpy and qdio,
 * and one SIGA for 16 SBALs vs a SIGA per SBAL (port batches and PCIs per MB). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/common.h"
#include "driver/guest.h"

#define BATCH 256
#define PER_SBAL 16		/* frames qdrv packs into one output SBAL */

struct pair {
	struct nicbk nic[2];
	struct port_p2p j;
	struct guest g[2];
	struct guest_if *i[2];
	uint8_t *frame;
	uint32_t len;
	uint64_t rx, rx_bytes;
};

/* The receiving guest's driver hands frames here instead of to its stack: the
 * benchmark measures the transport, and a frame the stack has no use for would
 * only add noise. */
static void count_rx(void *ctx, const uint8_t *qh, const uint8_t *data, uint32_t len)
{
	struct pair *p = ctx;

	(void)qh;
	BENCH_USE(data);
	p->rx++;
	p->rx_bytes += len;
}

static int pair_up(struct pair *p, uint32_t len)
{
	int rc;

	for (int k = 0; k < 2; k++) {
		struct nic_cfg c;

		memset(&c, 0, sizeof(c));
		c.base_devno = 0x0A00;
		c.ndev = 3;
		c.base_schno = 0x10;
		c.chpid = 0x0A;
		c.type = NIC_QDIO;
		c.mac[0] = 0x02;
		c.mac[5] = (uint8_t)(0x10 + k);
		c.vm_nic = true;
		rc = nic_create(&p->nic[k], &c);
		if (rc == 0)
			rc = guest_create(&p->g[k], 0);
		if (rc == 0)
			rc = guest_attach_nic(&p->g[k], &p->nic[k], 0x0A00, 2, &p->i[k]);
		if (rc < 0)
			return rc;
	}
	port_p2p_join(&p->j, &p->nic[0].port, &p->nic[1].port);
	for (int k = 0; k < 2; k++) {
		rc = guest_if_online(p->i[k]);
		if (rc < 0) {
			fprintf(stderr, "bench_vnic: guest %d online: %d %s\n", k, rc,
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
	/* Unicast to guest B, an experimental EtherType, a recognisable payload. */
	memset(p->frame, 0x3C, len);
	memcpy(p->frame, p->nic[1].cfg.mac, 6);
	memcpy(p->frame + 6, p->nic[0].cfg.mac, 6);
	p->frame[12] = 0x88;
	p->frame[13] = 0xB5;
	return 0;
}

static void pair_down(struct pair *p)
{
	port_p2p_split(&p->j);
	for (int k = 0; k < 2; k++) {
		guest_destroy(&p->g[k]);
		nic_destroy(&p->nic[k]);
	}
	free(p->frame);
}

static uint64_t pair_run(void *ctx)
{
	struct pair *p = ctx;
	struct qdrv *a = &p->i[0]->drv;
	uint64_t rx0 = p->rx;

	for (unsigned n = 0; n < BATCH; n++)
		if (qdrv_send_l2(a, p->frame, p->len) < 0)
			return 0;
	/* SIGA-w: the NIC scans the output queue synchronously and forwards. */
	if (qdrv_flush(a) < 0)
		return 0;
	guest_poll(&p->g[1]);
	guest_poll(&p->g[0]);
	if (p->rx - rx0 != BATCH)
		return 0;
	return BATCH;
}

/* The same frames with a flush (SIGA-w) after every SBAL: the vnic then forwards one
 * SBAL per port_tx and the receiver gets a PCI per SBAL, which is what every SIGA cost
 * before the vnic gathered a SIGA's SBALs into one batch. */
static uint64_t pair_run_sbal(void *ctx)
{
	struct pair *p = ctx;
	struct qdrv *a = &p->i[0]->drv;
	uint64_t rx0 = p->rx;

	for (unsigned n = 0; n < BATCH; n++) {
		if (qdrv_send_l2(a, p->frame, p->len) < 0)
			return 0;
		if ((n + 1) % PER_SBAL == 0 && qdrv_flush(a) < 0)
			return 0;
	}
	guest_poll(&p->g[1]);
	guest_poll(&p->g[0]);
	if (p->rx - rx0 != BATCH)
		return 0;
	return BATCH;
}

/* One run of `run`: SIGA-ws, port batches, receiver PCIs per MB and allocations. */
static void per_mb(struct pair *p, uint64_t (*run)(void *), const char *what)
{
	uint64_t s0 = p->nic[0].st.sigas_w, b0 = p->nic[0].st.tx_batches;
	uint64_t i0 = p->nic[1].st.pcis, a0 = bench_allocs();
	double mb;

	if (!run(p))
		return;
	mb = (double)BATCH * p->len / 1e6;
	printf("  %-14s per MB: %.0f SIGA-w, %.0f port batches, %.0f receiver PCIs; "
	       "%llu allocations for %u frames\n", what,
	       (double)(p->nic[0].st.sigas_w - s0) / mb,
	       (double)(p->nic[0].st.tx_batches - b0) / mb,
	       (double)(p->nic[1].st.pcis - i0) / mb,
	       (unsigned long long)(bench_allocs() - a0), BATCH);
}

static int one(uint32_t len, double secs)
{
	struct pair *p = calloc(1, sizeof(*p));
	struct qloop l;
	struct memcpy_base m;
	struct bench_run r[4];
	char name[32], note[128];
	int rc;

	if (!p)
		return 1;
	rc = pair_up(p, len);
	if (rc == 0)
		rc = qloop_init(&l, len, BATCH);
	if (rc < 0) {
		fprintf(stderr, "bench_vnic: setup: %d\n", rc);
		pair_down(p);
		free(p);
		return 1;
	}
	rc = memcpy_base_init(&m, len, BATCH, 3);
	if (rc < 0)
		goto out;
	r[0] = (struct bench_run){ .name = "vnic", .run = pair_run, .ctx = p };
	r[1] = (struct bench_run){ .name = "memcpy x3", .run = memcpy_base_run, .ctx = &m };
	r[2] = (struct bench_run){ .name = "qdio-only", .run = qloop_run, .ctx = &l };
	r[3] = (struct bench_run){ .name = "siga-per-sbal", .run = pair_run_sbal, .ctx = p };
	rc = bench_measure(r, 4, secs);
	if (rc == 0) {
		snprintf(name, sizeof(name), "vnic_%u", len);
		snprintf(note, sizeof(note), "(%.0f MB/s; memcpy x3 %.2f Mpps)",
			 r[0].rate * len / 1e6, r[1].rate / 1e6);
		bench_report(name, &r[0], &r[1], note);
		snprintf(name, sizeof(name), "vnic_%u", len);
		snprintf(note, sizeof(note), "(qdio-only %.2f Mpps)", r[2].rate / 1e6);
		bench_report(name, &r[0], &r[2], note);
		snprintf(name, sizeof(name), "vnic_batch_%u", len);
		snprintf(note, sizeof(note), "(%u SBALs per SIGA; SIGA per SBAL %.2f Mpps)",
			 BATCH / PER_SBAL, r[3].rate / 1e6);
		bench_report(name, &r[0], &r[3], note);
		per_mb(p, pair_run, "batched");
		per_mb(p, pair_run_sbal, "siga-per-sbal");
	} else {
		fprintf(stderr, "bench_vnic: %u-byte run failed: sent %llu received %llu, "
			"B drops nobuf %llu down %llu toobig %llu; %s\n", len,
			(unsigned long long)p->i[0]->drv.st.tx_pkts, (unsigned long long)p->rx,
			(unsigned long long)p->nic[1].port.st.drop[PD_NOBUF],
			(unsigned long long)p->nic[1].port.st.drop[PD_DOWN],
			(unsigned long long)p->nic[1].port.st.drop[PD_TOOBIG],
			p->i[0]->drv.last_error);
	}
	memcpy_base_free(&m);
out:
	qloop_free(&l);
	pair_down(p);
	free(p);
	return rc ? 1 : 0;
}

int main(void)
{
	double secs = bench_secs(1.5);

	return one(64, secs) | one(1500, secs);
}
