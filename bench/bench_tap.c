/* bench/bench_tap.c - the OSA model on a real TAP (in a network namespace of its own):
 * frames/s and system calls per frame, io_uring batches vs one read/writev per frame. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_packet.h>

#include "bench/common.h"
#include "driver/guest.h"
#include "osa/osa.h"

/*
 * Two OSAs, each on its own TAP with a layer-2 synthetic guest behind it: one opened
 * with CPNET_TAP_IO=syscall (the per-frame path), one with the io_uring batches.
 * Out: the guest queues BATCH frames and flushes once (one SIGA-w), the OSA writes
 * them to the TAP; the kernel drops them (not for the host).  In: a packet socket
 * bound to the TAP transmits BATCH frames to the guest's MAC (they come out of the
 * TAP's descriptor), the OSA reads and delivers them.  The packet socket's sendmmsg
 * is the same in both runs.  The process runs in a new network namespace, so the
 * TAPs and whatever reaches them vanish with it.
 */
#define BATCH 64

static const uint8_t FAR_MAC[6] = { 0x02, 0xBB, 0, 0, 0, 0x01 };

struct side {
	const char *name;
	struct osa o;
	struct guest g;
	struct guest_if *i;
	int ps;				/* packet socket on the TAP (the far end) */
	uint8_t *frame;			/* guest -> wire */
	uint8_t *inframe;		/* wire -> guest */
	uint32_t len;
	struct mmsghdr mm[BATCH];
	struct iovec iv[BATCH];
	uint64_t rx;
};

static void count_rx(void *ctx, const uint8_t *qh, const uint8_t *data, uint32_t len)
{
	struct side *s = ctx;

	(void)qh;
	(void)len;
	BENCH_USE(data);
	s->rx++;
}

static int side_up(struct side *s, const char *name, bool syscalls, uint32_t len)
{
	struct sockaddr_ll sll;
	struct osa_cfg c;
	int rc;

	s->name = name;
	s->len = len;
	memset(&c, 0, sizeof(c));
	c.rdev = 0x0A00;
	c.schno = 0x10;
	c.chpid = 0x0A;
	if (syscalls)
		setenv("CPNET_TAP_IO", "syscall", 1);
	rc = osa_create(&s->o, &c, &wire_tap_class, "cpbt%d");
	unsetenv("CPNET_TAP_IO");
	if (rc < 0)
		return rc;
	if ((rc = guest_create(&s->g, 0)) < 0 ||
	    (rc = guest_attach_nic(&s->g, osa_nic(&s->o), 0x0A00, 2, &s->i)) < 0 ||
	    (rc = guest_if_online(s->i)) < 0)
		return rc;
	s->i->drv.cfg.rx = count_rx;
	s->i->drv.cfg.rx_ctx = s;
	s->frame = malloc(len);
	s->inframe = malloc(len);
	if (!s->frame || !s->inframe)
		return -ENOMEM;
	memset(s->frame, 0x3C, len);
	memcpy(s->frame, FAR_MAC, 6);
	memcpy(s->frame + 6, s->o.nic.cur_mac, 6);
	s->frame[12] = 0x88;
	s->frame[13] = 0xB5;
	memset(s->inframe, 0x5A, len);
	memcpy(s->inframe, s->o.nic.cur_mac, 6);
	memcpy(s->inframe + 6, FAR_MAC, 6);
	s->inframe[12] = 0x88;
	s->inframe[13] = 0xB5;
	s->ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s->ps < 0)
		return -errno;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(s->o.wire.name);
	sll.sll_protocol = htons(0x88B5);
	if (bind(s->ps, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	for (unsigned k = 0; k < BATCH; k++) {
		s->iv[k].iov_base = s->inframe;
		s->iv[k].iov_len = len;
		memset(&s->mm[k], 0, sizeof(s->mm[k]));
		s->mm[k].msg_hdr.msg_iov = &s->iv[k];
		s->mm[k].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static void side_down(struct side *s)
{
	if (s->ps > 0)
		close(s->ps);
	guest_destroy(&s->g);
	osa_destroy(&s->o);
	free(s->frame);
	free(s->inframe);
}

/* guest -> OSA -> TAP */
static uint64_t run_out(void *ctx)
{
	struct side *s = ctx;
	uint64_t f0 = s->o.wire.st.tx_frames;

	for (unsigned n = 0; n < BATCH; n++)
		if (qdrv_send_l2(&s->i->drv, s->frame, s->len) < 0)
			return 0;
	if (qdrv_flush(&s->i->drv) < 0)
		return 0;
	guest_poll(&s->g);
	return s->o.wire.st.tx_frames - f0 == BATCH ? BATCH : 0;
}

/* TAP -> OSA -> guest */
static uint64_t run_in(void *ctx)
{
	struct side *s = ctx;
	uint64_t r0 = s->rx;

	if (sendmmsg(s->ps, s->mm, BATCH, 0) != BATCH)
		return 0;
	for (unsigned t = 0; t < 64 && s->rx - r0 < BATCH; t++) {
		if (osa_poll(&s->o, BATCH) < 0)
			return 0;
		guest_poll(&s->g);
	}
	return s->rx - r0 == BATCH ? BATCH : 0;
}

static double per_frame(uint64_t calls, uint64_t frames)
{
	return frames ? (double)calls / (double)frames : 0;
}

static int one(uint32_t len, double secs)
{
	struct side *s = calloc(2, sizeof(*s));
	struct bench_run r[4];
	char name[32], note[160];
	int rc = -ENOMEM;

	if (s) {
		rc = side_up(&s[0], "per-frame syscalls", true, len);
		if (rc == 0)
			rc = side_up(&s[1], "io_uring", false, len);
	}
	if (rc < 0) {
		fprintf(stderr, "bench_tap: setup: %s\n", strerror(-rc));
		goto out;
	}
	r[0] = (struct bench_run){ .name = "tap out, syscall per frame", .run = run_out, .ctx = &s[0] };
	r[1] = (struct bench_run){ .name = "tap out, io_uring", .run = run_out, .ctx = &s[1] };
	r[2] = (struct bench_run){ .name = "tap in, syscall per frame", .run = run_in, .ctx = &s[0] };
	r[3] = (struct bench_run){ .name = "tap in, io_uring", .run = run_in, .ctx = &s[1] };
	rc = bench_measure(r, 4, secs);
	if (rc < 0) {
		fprintf(stderr, "bench_tap: %u-byte run failed (busy %llu/%llu, drops)\n", len,
			(unsigned long long)s[0].o.wire.st.tx_busy,
			(unsigned long long)s[1].o.wire.st.tx_busy);
		goto out;
	}
	snprintf(name, sizeof(name), "tap_out_%u", len);
	snprintf(note, sizeof(note), "(%.0f MB/s; syscalls per frame %.3f vs %.3f)",
		 r[1].rate * len / 1e6,
		 per_frame(s[1].o.wire.st.tx_syscalls, s[1].o.wire.st.tx_frames),
		 per_frame(s[0].o.wire.st.tx_syscalls, s[0].o.wire.st.tx_frames));
	bench_report(name, &r[1], &r[0], note);
	snprintf(name, sizeof(name), "tap_in_%u", len);
	snprintf(note, sizeof(note), "(%.0f MB/s; syscalls per frame %.3f vs %.3f)",
		 r[3].rate * len / 1e6,
		 per_frame(s[1].o.wire.st.rx_syscalls, s[1].o.wire.st.rx_frames),
		 per_frame(s[0].o.wire.st.rx_syscalls, s[0].o.wire.st.rx_frames));
	bench_report(name, &r[3], &r[2], note);
out:
	if (s) {
		side_down(&s[0]);
		side_down(&s[1]);
		free(s);
	}
	return rc ? 1 : 0;
}

int main(void)
{
	double secs = bench_secs(1.5);

	/* Root only (a TAP, a namespace): elsewhere this line says why it is missing. */
	if (unshare(CLONE_NEWNET) < 0) {
		printf("SKIP bench_tap: no network namespace (%s): needs root\n", strerror(errno));
		return 0;
	}
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		printf("SKIP bench_tap: /dev/net/tun: %s\n", strerror(errno));
		return 0;
	}
	return one(64, secs) | one(1500, secs);
}
