/* tests/unit/test_server_ring.c - cpnetd's event loop with VMs whose frames come through
 * rings: one VM writes garbage into its ring, is dropped and counted; the others go on. */
#include <errno.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds/cmds.h"
#include "cp/config.h"
#include "cp/server.h"
#include "cp/uplink.h"
#include "driver/stack.h"
#include "osa/osa.h"
#include "vnic/vmlink.h"
#include "tests/tcheck.h"
#include "tests/unit/tvm.h"

static const char sdir[] =
	"USER OPERATOR OPERATOR ABCDEFG\n"
	"USER GOOD1 PW G\n  NICDEF 0600 TYPE QDIO LAN SYSTEM RLAN\n"
	"USER GOOD2 PW G\n  NICDEF 0600 TYPE QDIO LAN SYSTEM RLAN\n"
	"USER BAD PW G\n  NICDEF 0600 TYPE QDIO LAN SYSTEM RLAN\n";
static const char scfg[] = "DEFINE LAN RLAN OWNERID SYSTEM TYPE QDIO ETHERNET\n";

static void *run(void *arg)
{
	server_run(arg);
	return NULL;
}

TEST(server_ring_garbage_drops_that_vm_only_and_counts_it)
{
	static struct tvm vms[3];
	static const char *const users[3] = { "GOOD1", "GOOD2", "BAD" };
	uint8_t payload[60] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 0, 1 };
	struct qdio_span sp = { payload, sizeof(payload) };
	struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH, .cast = PF_BROADCAST,
			    .len = sizeof(payload) }, fs[3];
	struct cp *cp = calloc(1, sizeof(*cp));
	struct server *s = NULL;
	char path[64];
	struct out o;
	pthread_t th;
	sigset_t mask;
	uint8_t *slot;
	int r = 0;

	REQUIRE(cp);
	memset(vms, 0, sizeof(vms));
	cp_init(cp, 3);
	out_init(&o);
	REQUIRE(dir_parse(&cp->dir, "dir", sdir, strlen(sdir), &o) == 0);
	REQUIRE(config_parse(cp, "cfg", scfg, strlen(scfg), &o) == 0);
	out_free(&o);
	tc_path(t, path, sizeof(path), "cpnetd.sock");
	sigprocmask(SIG_BLOCK, NULL, &mask);	/* server_create blocks INT, TERM and HUP */
	REQUIRE(server_create(&s, cp, path, NULL) == 0);
	REQUIRE(pthread_create(&th, NULL, run, s) == 0);
	for (int k = 0; k < 3; k++)
		CHECK_EQ(tvm_up(&vms[k], server_vm_path(s), users[k]), 0);
	memcpy(payload + 6, vms[0].def.mac, 6);

	/* Frames flow: GOOD1's broadcast reaches GOOD2 and BAD through their rings. */
	port_tx(&vms[0].port, &f, 1);
	for (int n = 0; n < 100 && (vms[1].frames < 1 || vms[2].frames < 1); n++)
		for (int k = 1; k < 3; k++)
			vml_poll(&vms[k].l, 10);
	CHECK_EQ(vms[1].frames, 1);
	CHECK_EQ(vms[2].frames, 1);

	/* BAD puts a message longer than any frame's in its ring and rings cpnetd. */
	slot = shr_tx_slot(&vms[2].l.ring);
	REQUIRE(slot != NULL);
	shr_tx_put(&vms[2].l.ring, VML_MAX_MSG + 64);
	shr_tx_publish(&vms[2].l.ring);
	/* cpnetd logs BAD off: its link ends. */
	for (int n = 0; n < 100 && r != -EPIPE; n++)
		r = vml_poll(&vms[2].l, 20);
	CHECK_EQ(r, -EPIPE);
	CHECK_EQ(vms[2].l.peer_logoff, VML_LOGOFF_ENDED);

	/* The others go on. */
	memcpy(payload + 6, vms[1].def.mac, 6);
	for (int k = 0; k < 3; k++)
		fs[k] = f;
	port_tx(&vms[1].port, fs, 3);
	for (int n = 0; n < 100 && vms[0].frames < 3; n++)
		vml_poll(&vms[0].l, 10);
	CHECK_EQ(vms[0].frames, 3);
	CHECK_EQ(vms[2].frames, 1);

	server_stop(s);
	pthread_join(th, NULL);
	CHECK_EQ(server_ring_drops(s, SHR_BAD_LEN), 1);
	CHECK_EQ(server_ring_drops(s, SHR_BAD_PROD), 0);
	for (int k = 0; k < 3; k++)
		tvm_down(&vms[k]);
	server_destroy(s);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	cp_free(cp);
	free(cp);
}

/* ---- how cpnetd's loop reads the rings (cpnetd --poll-mode, lib/adapt.h) ---------- */

/* cpnetd with policy p: GOOD1 sends bursts to GOOD2, then nothing; cpnetd stops.
 * *a: how cpnetd read GOOD1's ring; q: GOOD1's QUERY VIRTUAL NIC DETAILS.  The
 * thresholds to enter polling are the test's: any look that finds work (the burst
 * makes at least one) starts a poll phase, whatever the machine's speed; the way out
 * is the default one (an idle reader always gets there). */
static void burst_then_idle(struct tctx *t, enum adapt_policy p, struct adapt *a, struct out *q,
			    uint64_t *epolls, uint64_t *ms)
{
	static const struct adapt_cfg on_work = {
		.enter_looks = 1,
		.enter_gap_ns = 1000000000ull,
		.exit_empty = ADAPT_EXIT_EMPTY,
		.exit_idle_ns = ADAPT_EXIT_IDLE_NS,
	};
	static struct tvm vms[2];
	static const char *const users[2] = { "GOOD1", "GOOD2" };
	uint8_t payload[60] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 0, 1 };
	struct qdio_span sp = { payload, sizeof(payload) };
	struct pframe fs[8];
	struct cp *cp = calloc(1, sizeof(*cp));
	struct server *s = NULL;
	struct vm *vm;
	char path[64];
	struct out o;
	pthread_t th;
	sigset_t mask;
	uint64_t t0;

	memset(a, 0, sizeof(*a));
	REQUIRE(cp);
	memset(vms, 0, sizeof(vms));
	cp_init(cp, 3);
	cp->poll_policy = p;
	cp->poll_cfg = &on_work;
	out_init(&o);
	REQUIRE(dir_parse(&cp->dir, "dir", sdir, strlen(sdir), &o) == 0);
	REQUIRE(config_parse(cp, "cfg", scfg, strlen(scfg), &o) == 0);
	out_free(&o);
	tc_path(t, path, sizeof(path), "cpnetd.sock");
	sigprocmask(SIG_BLOCK, NULL, &mask);
	REQUIRE(server_create(&s, cp, path, NULL) == 0);
	t0 = adapt_now_ns();
	REQUIRE(pthread_create(&th, NULL, run, s) == 0);
	for (int k = 0; k < 2; k++)
		CHECK_EQ(tvm_up(&vms[k], server_vm_path(s), users[k]), 0);
	memcpy(payload + 6, vms[0].def.mac, 6);
	for (int k = 0; k < 8; k++)
		fs[k] = (struct pframe){ .spans = &sp, .nspans = 1, .kind = PF_ETH,
					 .cast = PF_BROADCAST, .len = sizeof(payload) };
	for (int n = 0; n < 2000; n++) {
		port_tx(&vms[0].port, fs, 8);
		while (vml_poll(&vms[1].l, 0) > 0)
			;
	}
	/* Everything arrives (bounded wait), then the link is idle. */
	for (int n = 0; n < 500 && vms[1].frames < 16000; n++)
		vml_poll(&vms[1].l, 10);
	CHECK_EQ(vms[1].frames, 16000);
	/* Idle: cpnetd's reader of GOOD1's ring ends its poll phase and sleeps, which it
	 * says in the ring itself (queue 1's `sleeps` line is 1; a nap while polling sets
	 * it to a fill threshold, doc/rings.md).  Waited for,
	 * bounded, not assumed after a fixed time: a loaded machine may not run cpnetd's
	 * thread for a while, and stopping a loop that polls would end it mid-phase. */
	if (p == ADAPT_ADAPTIVE) {
		const uint32_t *sleeps = (const uint32_t *)(vms[0].l.ring.map + 512 + 128);

		for (int n = 0; n < 10000 && __atomic_load_n(sleeps, __ATOMIC_ACQUIRE) != 1; n++)
			usleep(1000);
		CHECK_EQ(__atomic_load_n(sleeps, __ATOMIC_ACQUIRE), 1);
	}
	server_stop(s);
	pthread_join(th, NULL);
	*ms = (adapt_now_ns() - t0) / 1000000u;
	*epolls = server_epolls(s);
	vm = cp_find_vm(cp, "GOOD1");
	REQUIRE(vm && vm->link);
	*a = vm->link->rxa;
	server_line(cp, &vm, "QUERY VIRTUAL NIC DETAILS", 25, q);
	for (int k = 0; k < 2; k++)
		tvm_down(&vms[k]);
	server_destroy(s);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	cp_free(cp);
	free(cp);
}

TEST(server_ring_idle_cpnetd_goes_back_to_interrupt_mode)
{
	uint64_t epolls, ms;
	struct adapt a;
	struct out q;
	char want[160];

	out_init(&q);
	burst_then_idle(t, ADAPT_ADAPTIVE, &a, &q, &epolls, &ms);
	CHECK(a.mode == ADAPT_M_INTERRUPT);
	/* It did poll under the burst, and every poll phase it entered ended. */
	CHECK(a.switches >= 2);
	CHECK(a.polls > 0);
	CHECK_EQ(a.switches % 2, 0);
	CHECK(a.interrupts > 0);
	/* Naps are counted when taken, at most one per empty poll (cpnetd's loop asked for
	 * one on every turn, and counted it, whatever it then did). */
	CHECK(a.naps <= a.empty_polls);
	/* The operator sees the same counters. */
	snprintf(want, sizeof(want), "Ring Reader: ADAPTIVE  Mode: INTERRUPT Switches: %llu  "
		 "Interrupts: %llu  Polls: %llu  Empty: %llu", (unsigned long long)a.switches,
		 (unsigned long long)a.interrupts, (unsigned long long)a.polls,
		 (unsigned long long)a.empty_polls);
	CHECK(q.len && strstr(q.buf, want));
	if (!q.len || !strstr(q.buf, want))
		fprintf(stderr, "want: %s\ngot:\n%.*s", want, (int)q.len, q.buf);
	out_free(&q);
}

TEST(server_ring_poll_mode_knob_changes_how_cpnetd_waits)
{
	uint64_t epolls, ms;
	struct adapt a;
	struct out q;

	out_init(&q);
	burst_then_idle(t, ADAPT_INTERRUPT, &a, &q, &epolls, &ms);
	CHECK(a.mode == ADAPT_M_INTERRUPT);
	CHECK_EQ(a.switches, 0);
	CHECK_EQ(a.polls, 0);
	CHECK(a.interrupts > 0);
	CHECK(q.len && strstr(q.buf, "Ring Reader: INTERRUPT Mode: INTERRUPT Switches: 0  "));
	out_reset(&q);
	/* Poll-only: cpnetd never sleeps on the ring, idle or not. */
	burst_then_idle(t, ADAPT_POLL, &a, &q, &epolls, &ms);
	CHECK(a.mode == ADAPT_M_POLL);
	CHECK_EQ(a.switches, 0);
	CHECK_EQ(a.interrupts, 0);
	CHECK(a.polls > a.empty_polls);
	/* A loop that looks at its rings on every turn asks epoll at most once a
	 * millisecond (BUSY_EPOLL_NS), not once a turn (a syscall per look): the
	 * sockets' and the timer's events (a few dozen here) come on top. */
	CHECK(epolls <= ms + 200);
	CHECK(a.polls > epolls);
	if (epolls > ms + 200)
		fprintf(stderr, "%llu epolls in %llu ms, %llu polls\n", (unsigned long long)epolls,
			(unsigned long long)ms, (unsigned long long)a.polls);
	CHECK(q.len && strstr(q.buf, "Ring Reader: POLL      Mode: POLL      Switches: 0  Interrupts: 0"));
	out_free(&q);
}

/* ---- the OSA's wire reader and its place in the epoll set -------------------------- */

/* epoll_ctl for the wires that refuses the first `wire_add_fails` ADDs (ENOMEM). */
static int wire_add_fails;
static int wire_adds;

static int failing_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	if (op == EPOLL_CTL_ADD) {
		__atomic_add_fetch(&wire_adds, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&wire_add_fails, __ATOMIC_SEQ_CST) > 0) {
			__atomic_sub_fetch(&wire_add_fails, 1, __ATOMIC_SEQ_CST);
			errno = ENOMEM;
			return -1;
		}
	}
	return epoll_ctl(epfd, op, fd, ev);
}

/* Adding the wire's descriptor to the epoll set fails three times: cpnetd keeps
 * looking at the wire and tries again until it is in, counted; then a readable wire
 * wakes the reader (an interrupt), which a wire left out of the set never would.  The
 * memory wire stands in for a TAP with an eventfd as its descriptor. */
TEST(server_wire_reader_retries_a_failed_epoll_add)
{
	static const char wcfg[] = "RDEVICE 0C00 TYPE OSA BACKEND MEM srvw\n";
	struct cp *cp = calloc(1, sizeof(*cp));
	struct server *s = NULL;
	struct up_osa *d;
	uint64_t one = 1, ints = 0;
	char path[64];
	struct out o;
	pthread_t th;
	sigset_t mask;
	int efd;

	REQUIRE(cp);
	cp_init(cp, 3);
	out_init(&o);
	REQUIRE(dir_parse(&cp->dir, "dir", sdir, strlen(sdir), &o) == 0);
	REQUIRE(config_parse(cp, "cfg", wcfg, strlen(wcfg), &o) == 0);
	out_free(&o);
	REQUIRE(cp->up && cp->up->nosas == 1 && cp->up->osas[0].osa);
	d = &cp->up->osas[0];
	snprintf(path, sizeof(path), "/tmp/cpnet-srvwire.%d", (int)getpid());
	sigprocmask(SIG_BLOCK, NULL, &mask);
	REQUIRE(server_create(&s, cp, path, NULL) == 0);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	REQUIRE(efd >= 0);
	wire_add_fails = 3;
	wire_adds = 0;
	server_set_wire_epoll_ctl(s, failing_ctl);
	d->osa->wire.fd = efd;		/* the loop's next tick takes it up */
	REQUIRE(pthread_create(&th, NULL, run, s) == 0);
	/* Bounded waits: for the fourth ADD, then for a wake-up from the wire. */
	for (int n = 0; n < 5000 && __atomic_load_n(&wire_adds, __ATOMIC_SEQ_CST) < 4; n++)
		usleep(1000);
	CHECK(__atomic_load_n(&wire_adds, __ATOMIC_SEQ_CST) >= 4);
	CHECK(write(efd, &one, sizeof(one)) == sizeof(one));
	for (int n = 0; n < 5000 && !ints; n++) {
		usleep(1000);
		ints = __atomic_load_n(&d->rxa.interrupts, __ATOMIC_RELAXED);
	}
	CHECK(ints > 0);
	server_stop(s);
	pthread_join(th, NULL);
	CHECK_EQ(d->rearm_fails, 3);
	CHECK_EQ(wire_adds, 4);			/* in the set at the fourth: no more tries */
	d->osa->wire.fd = -1;
	close(efd);
	server_destroy(s);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	cp_free(cp);
	free(cp);
}

/* ---- a command that waits (PING) while cpnetd's loop does not turn ------------------ */

static const char pdir[] =
	"USER OPERATOR OPERATOR ABCDEFG\n"
	"USER PINGER NOLOG G\n  NICDEF 0600 TYPE QDIO LAN SYSTEM RLAN\n"
	"  IPADDR 0600 10.9.0.1/24\n"
	"USER ECHO PW G\n  NICDEF 0600 TYPE QDIO LAN SYSTEM RLAN\n";

/* A VM in its own thread (as in another process) whose host stack answers ARP and
 * echo requests for 10.9.0.2; what its link delivers is queued by the port's rx and
 * handed to the stack between two looks (the stack's answers go out through the link). */
struct echo_vm {
	struct tvm v;			/* first: the port's owner */
	struct stack stk;
	uint8_t q[16][STK_FRAME_MAX];
	uint32_t qlen[16];
	unsigned nq;
	bool stop;
	pthread_t th;
};

static unsigned echo_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct echo_vm *e = owner;

	(void)p;
	for (unsigned k = 0; k < n && e->nq < 16; k++, e->nq++)
		e->qlen[e->nq] = (uint32_t)qdio_spans_copy(f[k].spans, f[k].nspans, 0,
							   e->q[e->nq], STK_FRAME_MAX);
	return n;
}

static int echo_tx(void *ctx, enum stk_tx_kind kind, const uint8_t *buf, uint32_t len,
		   const uint8_t nh4[4], uint8_t cast)
{
	struct echo_vm *e = ctx;
	struct qdio_span sp = { buf, len };
	struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH, .len = len,
			    .cast = buf[0] & 1 ? PF_BROADCAST : PF_UNICAST };

	(void)kind;
	(void)nh4;
	(void)cast;
	port_tx(&e->v.port, &f, 1);
	return 0;
}

static void *echo_run(void *arg)
{
	struct echo_vm *e = arg;

	while (!__atomic_load_n(&e->stop, __ATOMIC_ACQUIRE)) {
		if (vml_poll(&e->v.l, 5) < 0)
			break;
		for (unsigned k = 0; k < e->nq; k++)
			stack_rx_eth(&e->stk, e->q[k], e->qlen[k]);
		e->nq = 0;
	}
	return NULL;
}

/* PINGER (a synthetic guest inside cpnetd) pings ECHO (frames over `how`) after
 * cpnetd's loop has stopped: only the command's own pump (cp->pump_links) can move
 * ECHO's answers into the LAN.  Then an address nobody has, 100 times: the pump's
 * waiting is bounded by the command's budget (CP_PING_WAIT_NS), not 100 x 16 looks
 * of a whole slice. */
static void ping_while_loop_stopped(struct tctx *t, enum vml_transport how)
{
	static const uint8_t echo_ip[4] = { 10, 9, 0, 2 };
	struct echo_vm *e = calloc(1, sizeof(*e));
	struct cp *cp = calloc(1, sizeof(*cp));
	struct server *s = NULL;
	struct vm *op = NULL;
	unsigned got = 0, sent = 0;
	uint64_t t0, ms;
	const char *l;
	char path[64];
	struct out o;
	pthread_t th;
	sigset_t mask;

	REQUIRE(e && cp);
	cp_init(cp, 3);
	out_init(&o);
	REQUIRE(dir_parse(&cp->dir, "dir", pdir, strlen(pdir), &o) == 0);
	REQUIRE(config_parse(cp, "cfg", scfg, strlen(scfg), &o) == 0);
	REQUIRE(cp_logon(cp, "OPERATOR", "OPERATOR", &o, &op) == 0);
	REQUIRE(cmd_execute(cp, op, "AUTOLOG PINGER", 14, &o) == 0);
	tc_path(t, path, sizeof(path), "cpnetd.sock");
	sigprocmask(SIG_BLOCK, NULL, &mask);
	REQUIRE(server_create(&s, cp, path, NULL) == 0);
	REQUIRE(pthread_create(&th, NULL, run, s) == 0);
	CHECK_EQ(tvm_up_on(&e->v, server_vm_path(s), "ECHO", how), 0);
	CHECK_EQ(e->v.l.ring_on, how == VML_TRANSPORT_RING);
	e->v.port.rx = echo_rx;
	stack_init(&e->stk, 2, e->v.def.mac, echo_tx, e);
	stack_set_ip4(&e->stk, echo_ip, 24);
	REQUIRE(pthread_create(&e->th, NULL, echo_run, e) == 0);
	server_stop(s);
	pthread_join(th, NULL);

	out_reset(&o);
	CHECK_EQ(cmd_execute(cp, op, "PING PINGER 10.9.0.2 3", 22, &o), 0);
	l = o.len ? strstr(o.buf, "PING 10.9.0.2 from PINGER NIC 0600: ") : NULL;
	CHECK(l && sscanf(l, "PING 10.9.0.2 from PINGER NIC 0600: %u sent, %u received",
			  &sent, &got) == 2);
	CHECK_EQ(sent, 3);
	/* Answers, not necessarily all: ECHO's thread may not run in time on a loaded
	 * machine.  Without the pump: none, ever (the loop does not turn). */
	CHECK(got >= 1);
	if (got < 1)
		fprintf(stderr, "%.*s", (int)o.len, o.buf);

	out_reset(&o);
	t0 = adapt_now_ns();
	CHECK_EQ(cmd_execute(cp, op, "PING PINGER 10.9.0.99 100", 25, &o), 0);
	ms = (adapt_now_ns() - t0) / 1000000u;
	CHECK(o.len && strstr(o.buf, "PING 10.9.0.99 from PINGER NIC 0600: 100 sent, 0 received"));
	/* The budget (2 s) and then quick looks; unbounded, 1600 looks of a 5 ms slice
	 * would take 8 s. */
	CHECK(ms < CP_PING_WAIT_NS / 1000000u + 4000u);
	if (ms >= CP_PING_WAIT_NS / 1000000u + 4000u)
		fprintf(stderr, "PING of nobody held the loop %llu ms\n", (unsigned long long)ms);

	__atomic_store_n(&e->stop, true, __ATOMIC_RELEASE);
	pthread_join(e->th, NULL);
	/* ECHO's stack (read now that its thread is done) saw the ARP and the echoes. */
	CHECK(e->stk.st.arp_req_rx >= 1);
	CHECK(e->stk.st.echo_req_rx >= got);
	tvm_down(&e->v);
	out_free(&o);
	server_destroy(s);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	cp_free(cp);
	free(cp);
	free(e);
}

TEST(server_ping_waits_pump_a_ring_vm)
{
	ping_while_loop_stopped(t, VML_TRANSPORT_RING);
}

TEST(server_ping_waits_pump_a_socket_vm)
{
	ping_while_loop_stopped(t, VML_TRANSPORT_SOCKET);
}
