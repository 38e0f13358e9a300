/* bench/bench_adapt.c - idle one-way latency of one frame through a link's ring to a
 * VM process (vml_poll, per consumer mode) against a bare eventfd wake-up, same run. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/common.h"
#include "lib/adapt.h"
#include "vnic/vmlink.h"

/*
 * "Idle": one frame, then IDLE_US of nothing, so that an adaptive consumer is back
 * asleep on its doorbell (its poll phase ends after ADAPT_EXIT_IDLE_NS) when the next
 * comes.  The sender stamps CLOCK_MONOTONIC into shared memory just before it sends,
 * the receiver reads the clock when the frame is in its hands: one-way, both
 * processes on one host.  The baseline is the least a sleeping consumer can cost: a
 * process blocked in poll() on an eventfd that the other writes.  Cases are
 * interleaved (A B C D A B C D ...) so that the load of a shared machine hits all
 * alike; the median of each is reported.  Each ring case starts from a steady state:
 * every slot used once before the measured frames.
 */
#define IDLE_US		2000
#define WARM_BATCH	64
#define ROUNDS		4
#define PER_ROUND	60
#define NSAMPLES	(ROUNDS * PER_ROUND)

enum { C_EVENTFD, C_ADAPTIVE, C_INTERRUPT, C_POLL, C_NR };
static const char *const case_name[C_NR] = { "eventfd", "adaptive", "interrupt", "poll" };

struct shared {
	volatile uint64_t t_send;	/* the sender's stamp */
	volatile uint64_t lat[NSAMPLES];
	volatile unsigned got;		/* samples the receiver took */
	volatile unsigned warm;		/* frames before measuring started */
	volatile unsigned measuring;
	volatile unsigned ready;
};

static uint64_t now_ns(void)
{
	return adapt_now_ns();
}

static void idle(void)
{
	struct timespec ts = { 0, IDLE_US * 1000L };

	nanosleep(&ts, NULL);
}

/* Receiver of the eventfd case: n wake-ups. */
static void efd_child(struct shared *sh, int efd, unsigned n)
{
	uint64_t v;

	sh->ready = 1;
	while (sh->got < n) {
		struct pollfd p = { efd, POLLIN, 0 };

		if (poll(&p, 1, 1000) <= 0)
			break;
		if (read(efd, &v, sizeof(v)) != sizeof(v))
			continue;
		sh->lat[sh->got] = now_ns() - sh->t_send;
		sh->got++;
	}
	_exit(0);
}

struct rxctx {
	struct shared *sh;
};

static unsigned lat_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct shared *sh = ((struct rxctx *)owner)->sh;

	(void)p;
	(void)f;
	for (unsigned i = 0; i < n && sh->got < NSAMPLES; i++)
		if (sh->measuring)
			sh->lat[sh->got++] = now_ns() - sh->t_send;
		else
			sh->warm++;
	return n;
}

/* The VM side: takes the ring CP offers, then waits for frames in vml_poll with the
 * consumer policy p (the code path cpnet-guest and the CPNIC use). */
static void vm_child(struct shared *sh, int fd, enum adapt_policy p, unsigned n)
{
	struct vmlink vm;
	struct port nicport;
	struct rxctx rc = { sh };

	if (vml_init(&vm, fd, false) < 0)
		_exit(1);
	vml_poll_policy(&vm, p, NULL);
	memset(&nicport, 0, sizeof(nicport));
	nicport.rx = lat_rx;
	nicport.owner = &rc;
	if (!vml_add_nic(&vm, 0x0600, &nicport))
		_exit(1);
	for (int k = 0; k < 50 && !vm.ring_tx; k++)
		vml_poll(&vm, 100);
	if (!vm.ring_tx)
		_exit(1);
	sh->ready = 1;
	while (sh->got < n)
		if (vml_poll(&vm, 100) < 0)
			break;
	vml_free(&vm);
	_exit(0);
}

static int wait_ready(struct shared *sh)
{
	for (int k = 0; k < 5000 && !sh->ready; k++)
		usleep(1000);
	return sh->ready ? 0 : -1;
}

/* One round of case c: PER_ROUND samples appended to out[]. */
static int round_one(int c, uint64_t *out, unsigned *nout)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int rc = -1, sv[2] = { -1, -1 }, efd = -1, status;
	struct vmlink cp;
	struct port *proxy = NULL;
	bool cp_up = false;
	pid_t pid;

	if (sh == MAP_FAILED)
		return -1;
	if (c == C_EVENTFD) {
		efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (efd < 0)
			goto out_map;
	} else if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) {
		goto out_map;
	}
	pid = fork();
	if (pid < 0)
		goto out_fds;
	if (pid == 0) {
		if (c == C_EVENTFD)
			efd_child(sh, efd, PER_ROUND);
		close(sv[1]);
		vm_child(sh, sv[0], c == C_ADAPTIVE ? ADAPT_ADAPTIVE :
			 c == C_INTERRUPT ? ADAPT_INTERRUPT : ADAPT_POLL, PER_ROUND);
	}
	if (c != C_EVENTFD) {
		uint8_t payload[64] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2 };
		struct qdio_span sp = { payload, sizeof(payload) };
		struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH,
				    .cast = PF_BROADCAST, .len = sizeof(payload) };

		struct pframe wf[WARM_BATCH];

		for (unsigned i = 0; i < WARM_BATCH; i++)
			wf[i] = f;
		close(sv[0]);
		sv[0] = -1;
		if (vml_init(&cp, sv[1], true) < 0)
			goto out_child;
		cp_up = true;
		proxy = vml_add_nic(&cp, 0x0600, NULL);
		if (!proxy || vml_ring_offer(&cp) < 0)
			goto out_child;
		for (int k = 0; k < 50 && !cp.ring_tx; k++)
			vml_poll(&cp, 100);
		if (!cp.ring_tx || wait_ready(sh) < 0)
			goto out_child;
		/* Steady state, as in a running cpnetd: every slot's pages touched once
		 * (a first touch is a page fault on each side, not the ring's cost) -- in
		 * batches of WARM_BATCH, about 130 deliveries for the 4096 slots of 2 KiB.
		 * Not one frame at a time: 8192 single frames, each waited for, give an
		 * adaptive consumer thousands of poll phases and naps before the first
		 * measured frame, and after such a history its wake-ups measured 12-15 us
		 * where interrupt-only's took 7-9 (the code before the deep rings showed
		 * the same with the same warm-up: doc/performance.md, "Deep rings"). */
		for (unsigned i = 0; i < 2 * VML_RING_SLOTS; i += WARM_BATCH) {
			unsigned before = sh->warm;

			port_deliver(proxy, wf, WARM_BATCH);
			for (int k = 0; k < 1000 && sh->warm < before + WARM_BATCH; k++)
				usleep(10);
		}
		sh->measuring = 1;
		for (unsigned i = 0; i < PER_ROUND; i++) {
			unsigned before = sh->got;

			idle();
			sh->t_send = now_ns();
			port_deliver(proxy, &f, 1);
			for (int k = 0; k < 1000 && sh->got == before; k++)
				usleep(100);
		}
	} else {
		if (wait_ready(sh) < 0)
			goto out_child;
		usleep(10000);	/* the child is in poll() */
		for (unsigned i = 0; i < PER_ROUND; i++) {
			unsigned before = sh->got;
			uint64_t one = 1;

			idle();
			sh->t_send = now_ns();
			if (write(efd, &one, sizeof(one)) != sizeof(one))
				break;
			for (int k = 0; k < 1000 && sh->got == before; k++)
				usleep(100);
		}
	}
	rc = sh->got == PER_ROUND ? 0 : -1;
	for (unsigned i = 0; i < sh->got && *nout < NSAMPLES; i++)
		out[(*nout)++] = sh->lat[i];
out_child:
	if (rc < 0)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (cp_up)
		vml_free(&cp);
out_fds:
	if (efd >= 0)
		close(efd);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);	/* vml_free leaves the descriptor to its owner */
out_map:
	munmap(sh, sizeof(*sh));
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	static uint64_t lat[C_NR][NSAMPLES];
	unsigned n[C_NR] = { 0 };
	double med[C_NR];

	signal(SIGPIPE, SIG_IGN);
	for (unsigned r = 0; r < ROUNDS; r++)
		for (int c = 0; c < C_NR; c++)
			if (round_one(c, lat[c], &n[c]) < 0) {
				fprintf(stderr, "bench_adapt: %s round %u failed\n", case_name[c], r);
				return 1;
			}
	for (int c = 0; c < C_NR; c++) {
		qsort(lat[c], n[c], sizeof(uint64_t), cmp_u64);
		med[c] = (double)lat[c][n[c] / 2] / 1000.0;
	}
	for (int c = C_ADAPTIVE; c < C_NR; c++)
		printf("adapt_idle_latency_%s: %.1f us one-way, ratio %.2f vs eventfd wake-up "
		       "%.1f us (one 64-byte frame through a link's ring into vml_poll after "
		       "%d us idle, median of %u; p90 %.1f us)\n", case_name[c], med[c],
		       med[c] / med[C_EVENTFD], med[C_EVENTFD], IDLE_US, n[c],
		       (double)lat[c][n[c] * 9 / 10] / 1000.0);
	return 0;
}
