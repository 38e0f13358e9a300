/* tests/unit/test_vmlink.c - the cpnetd <-> VM-process link: message codecs, bad
 * messages, and two synthetic guests whose NICs reach each other only over links. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver/guest.h"
#include "qeth/ipa.h"
#include "vnic/vmlink.h"
#include "vswitch/switch.h"
#include "tests/tcheck.h"

TEST(vmlink_codecs_round_trip)
{
	uint8_t b[VML_HDR_SIZE + VML_FRAME_META + 64];
	struct vml_logon lg = { "linux01", "Secret" }, lg2;
	struct vml_nicdef d = { 0x0600, 3, 0x0A, 0, 2, { 2, 0, 0, 0, 0, 7 }, "VSW1", "SYSTEM" }, d2;
	struct paddr a = { .op = PA_SETIP, .ipv6 = true, .vlan = 12, .value = 3 }, a2;
	struct vml_logon_reply r = { 0, "LOGON OK" }, r2;
	uint8_t payload[20] = "frame-bytes-here";
	struct qdio_span sp = { payload, sizeof(payload) }, sp2;
	struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH, .cast = PF_MULTICAST,
			    .ipv6 = true, .vlan = 100, .len = sizeof(payload) }, f2;
	struct vml_hdr h;
	uint16_t v;
	int n;

	n = vml_logon_encode(&lg, b, sizeof(b));
	REQUIRE(n == VML_HDR_SIZE + VML_LOGON_SIZE);
	CHECK_EQ(vml_logon_decode(b, (size_t)n, &lg2), 0);
	CHECK_STR(lg2.userid, "LINUX01");
	CHECK_STR(lg2.password, "Secret");

	n = vml_nicdef_encode(&d, b, sizeof(b));
	REQUIRE(n > 0);
	CHECK_EQ(vml_hdr_decode(b, (size_t)n, &h), 0);
	CHECK_EQ(h.type, VML_NIC_DEFINE);
	CHECK_EQ(h.vdev, 0x0600);
	CHECK_EQ(vml_nicdef_decode(b, (size_t)n, &d2), 0);
	CHECK_EQ(d2.ndev, 3);
	CHECK_EQ(d2.transport, 2);
	CHECK_MEM(d2.mac, d.mac, 6);
	CHECK_STR(d2.lan, "VSW1");
	CHECK_STR(d2.owner, "SYSTEM");

	a.ip[0] = 0xFD;
	a.mac[5] = 9;
	n = vml_addr_encode(0x0600, 77, &a, b, sizeof(b));
	REQUIRE(n == VML_HDR_SIZE + VML_ADDR_SIZE);
	CHECK_EQ(vml_hdr_decode(b, (size_t)n, &h), 0);
	CHECK_EQ(h.seq, 77);
	CHECK_EQ(vml_addr_decode(b, (size_t)n, &a2), 0);
	CHECK_EQ(a2.op, PA_SETIP);
	CHECK(a2.ipv6);
	CHECK_EQ(a2.vlan, 12);
	CHECK_EQ(a2.value, 3);
	CHECK_EQ(a2.ip[0], 0xFD);
	CHECK_EQ(a2.mac[5], 9);

	n = vml_frame_encode(0x0600, &f, b, sizeof(b));
	REQUIRE(n == VML_HDR_SIZE + VML_FRAME_META + (int)sizeof(payload));
	CHECK_EQ(vml_frame_decode(b, (size_t)n, &f2, &sp2), 0);
	CHECK_EQ(f2.kind, PF_ETH);
	CHECK_EQ(f2.cast, PF_MULTICAST);
	CHECK(f2.ipv6);
	CHECK_EQ(f2.vlan, 100);
	CHECK_EQ(f2.len, sizeof(payload));
	CHECK_MEM(sp2.ptr, payload, sizeof(payload));
	CHECK_EQ(f2.csum, PF_CSUM_NONE);
	CHECK_EQ(f2.gso_size, 0);
	/* The offload state crosses too: a large send whose checksums are left out. */
	f.csum = PF_CSUM_PARTIAL;
	f.csum_ip_hdr = true;
	f.gso_size = 1448;
	n = vml_frame_encode(0x0600, &f, b, sizeof(b));
	REQUIRE(n > 0);
	CHECK_EQ(vml_frame_decode(b, (size_t)n, &f2, &sp2), 0);
	CHECK_EQ(f2.csum, PF_CSUM_PARTIAL);
	CHECK(f2.csum_ip_hdr);
	CHECK_EQ(f2.gso_size, 1448);
	f.csum = PF_CSUM_VERIFIED;
	f.csum_ip_hdr = false;
	f.gso_size = 0;
	n = vml_frame_encode(0x0600, &f, b, sizeof(b));
	REQUIRE(n > 0);
	CHECK_EQ(vml_frame_decode(b, (size_t)n, &f2, &sp2), 0);
	CHECK_EQ(f2.csum, PF_CSUM_VERIFIED);

	n = vml_logon_reply_encode(&r, b, sizeof(b));
	REQUIRE(n > 0);
	CHECK_EQ(vml_logon_reply_decode(b, (size_t)n, &r2), 0);
	CHECK_STR(r2.text, "LOGON OK");

	n = vml_simple_encode(VML_ADDR_RC, 0x600, 5, 0xE005, b, sizeof(b));
	REQUIRE(n > 0);
	CHECK_EQ(vml_simple_decode(b, (size_t)n, &v), 0);
	CHECK_EQ(v, 0xE005);
}

TEST(vmlink_bad_messages_refused)
{
	uint8_t b[VML_HDR_SIZE + VML_FRAME_META + 8] = { 0 };
	struct vml_nicdef d = { 0x0600, 3, 0x0A, 0, 2, { 2 }, "VSW1", "SYSTEM" }, d2;
	struct vml_logon lg = { "LINUX01", "pw" }, lg2;
	struct paddr a;
	struct pframe f;
	struct qdio_span sp;
	struct vml_hdr h;
	int n;

	CHECK_EQ(vml_hdr_decode(b, 7, &h), -EMSGSIZE);
	n = vml_nicdef_encode(&d, b, sizeof(b));
	b[0] = 2;
	CHECK_EQ(vml_hdr_decode(b, (size_t)n, &h), -EPROTO);
	b[0] = VML_VERSION;
	b[1] = VML_TYPE_MAX;
	CHECK_EQ(vml_hdr_decode(b, (size_t)n, &h), -EPROTO);
	b[1] = VML_NIC_DEFINE;
	CHECK_EQ(vml_nicdef_decode(b, (size_t)n - 1, &d2), -EMSGSIZE);
	b[VML_HDR_SIZE + 3] = 2;			/* ndev 2 */
	CHECK_EQ(vml_nicdef_decode(b, (size_t)n, &d2), -EBADMSG);
	b[VML_HDR_SIZE + 3] = 3;
	b[VML_HDR_SIZE + 16] = 0x01;			/* control character in a name */
	CHECK_EQ(vml_nicdef_decode(b, (size_t)n, &d2), -EBADMSG);
	/* A userid longer than 8 characters cannot be encoded. */
	strcpy(lg.userid, "LINUX01");
	n = vml_logon_encode(&lg, b, sizeof(b));
	b[VML_HDR_SIZE] = 0xFF;
	CHECK_EQ(vml_logon_decode(b, (size_t)n, &lg2), -EBADMSG);
	/* Frames: unknown kind, no payload, VLAN out of range. */
	memset(b, 0, sizeof(b));
	b[0] = VML_VERSION;
	b[1] = VML_FRAME;
	b[VML_HDR_SIZE] = 9;
	CHECK_EQ(vml_frame_decode(b, sizeof(b), &f, &sp), -EBADMSG);
	b[VML_HDR_SIZE] = PF_ETH;
	CHECK_EQ(vml_frame_decode(b, VML_HDR_SIZE + VML_FRAME_META, &f, &sp), -EMSGSIZE);
	b[VML_HDR_SIZE + 4] = 0x10;			/* VLAN 4096 */
	CHECK_EQ(vml_frame_decode(b, sizeof(b), &f, &sp), -EBADMSG);
	b[VML_HDR_SIZE + 4] = 0;
	CHECK_EQ(vml_frame_decode(b, sizeof(b), &f, &sp), 0);
	b[VML_HDR_SIZE + 2] = 0x0C;			/* partial and verified at once */
	CHECK_EQ(vml_frame_decode(b, sizeof(b), &f, &sp), -EBADMSG);
	b[VML_HDR_SIZE + 2] = 0x10;			/* IPv4 header left out, L4 not */
	CHECK_EQ(vml_frame_decode(b, sizeof(b), &f, &sp), -EBADMSG);
	b[VML_HDR_SIZE + 2] = 0x20;			/* an unknown flag */
	CHECK_EQ(vml_frame_decode(b, sizeof(b), &f, &sp), -EBADMSG);
	b[VML_HDR_SIZE + 2] = 0x08;			/* a segment size on a verified frame */
	b[VML_HDR_SIZE + 31] = 100;
	CHECK_EQ(vml_frame_decode(b, sizeof(b), &f, &sp), -EBADMSG);
	b[VML_HDR_SIZE + 2] = 0x04;
	CHECK_EQ(vml_frame_decode(b, sizeof(b), &f, &sp), 0);
	CHECK_EQ(f.gso_size, 100);
	b[VML_HDR_SIZE + 2] = 0;
	b[VML_HDR_SIZE + 31] = 0;
	/* Registrations: op 0. */
	memset(b, 0, sizeof(b));
	b[0] = VML_VERSION;
	b[1] = VML_ADDR;
	CHECK_EQ(vml_addr_decode(b, VML_HDR_SIZE + VML_ADDR_SIZE, &a), -EBADMSG);
}

/* The last registration op (a guest's isolation) crosses the link; one past it does not. */
TEST(vmlink_isolation_registration_is_carried)
{
	uint8_t b[VML_HDR_SIZE + VML_ADDR_SIZE];
	struct paddr a;

	memset(&a, 0, sizeof(a));
	a.op = PA_ISOLATION;
	a.value = 2;
	REQUIRE(vml_addr_encode(0x0600, 78, &a, b, sizeof(b)) == (int)sizeof(b));
	CHECK_EQ(vml_addr_decode(b, sizeof(b), &a), 0);
	CHECK_EQ(a.op, PA_ISOLATION);
	CHECK_EQ(a.value, 2);
	/* An application port's own cap (cpnp_set_bandwidth) is the last op there is. */
	a.op = PA_BANDWIDTH;
	a.value = 20000;
	REQUIRE(vml_addr_encode(0x0600, 79, &a, b, sizeof(b)) == (int)sizeof(b));
	CHECK_EQ(vml_addr_decode(b, sizeof(b), &a), 0);
	CHECK_EQ(a.value, 20000);
	a.op = PA_BANDWIDTH + 1;
	REQUIRE(vml_addr_encode(0x0600, 80, &a, b, sizeof(b)) == (int)sizeof(b));
	CHECK_EQ(vml_addr_decode(b, sizeof(b), &a), -EBADMSG);
}

/* Two guests, their NICs on VM-side links; CP side in its own thread joins the two
 * proxy ports point to point. */
struct cpside {
	struct vmlink link[2];
	struct port_p2p j;
	volatile int stop;
	int frames_seen;
};

static void *cp_thread(void *arg)
{
	struct cpside *c = arg;

	while (!c->stop) {
		for (int k = 0; k < 2; k++)
			vml_poll(&c->link[k], 1);
	}
	return NULL;
}

struct vmpair {
	struct nicbk nic[2];
	struct guest g[2];
	struct guest_if *i[2];
	struct vmlink link[2];
};

static void pump(void *ctx)
{
	struct vmpair *p = ctx;

	/* The CP side runs in another thread: give its forwarding a moment. */
	for (int k = 0; k < 2; k++) {
		if (vml_poll(&p->link[k], 2) > 0)
			while (vml_poll(&p->link[k], 0) > 0)
				;
		guest_poll(&p->g[k]);
	}
}

TEST(vmlink_guests_ping_across_links)
{
	static const uint8_t ip[2][4] = { { 10, 2, 0, 1 }, { 10, 2, 0, 2 } };
	struct vmpair *p = calloc(1, sizeof(*p));
	struct cpside *c = calloc(1, sizeof(*c));
	struct port *proxy[2];
	pthread_t th;
	int sv[2][2];
	int n;

	REQUIRE(p && c);
	for (int k = 0; k < 2; k++) {
		struct nic_cfg cfg;

		REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv[k]) == 0);
		REQUIRE(vml_init(&p->link[k], sv[k][0], false) == 0);
		REQUIRE(vml_init(&c->link[k], sv[k][1], true) == 0);
		memset(&cfg, 0, sizeof(cfg));
		cfg.base_devno = 0x0600;
		cfg.ndev = 3;
		cfg.chpid = 0x06;
		cfg.mac[0] = 2;
		cfg.mac[5] = (uint8_t)(0x20 + k);
		cfg.vm_nic = true;
		REQUIRE(nic_create(&p->nic[k], &cfg) == 0);
		REQUIRE(vml_add_nic(&p->link[k], 0x0600, &p->nic[k].port) != NULL);
		proxy[k] = vml_add_nic(&c->link[k], 0x0600, NULL);
		REQUIRE(proxy[k] != NULL);
		REQUIRE(guest_create(&p->g[k], 0) == 0);
		REQUIRE(guest_attach_nic(&p->g[k], &p->nic[k], 0x0600, 2, &p->i[k]) == 0);
	}
	port_p2p_join(&c->j, proxy[0], proxy[1]);
	REQUIRE(pthread_create(&th, NULL, cp_thread, c) == 0);

	for (int k = 0; k < 2; k++) {
		CHECK_EQ(guest_if_online(p->i[k]), 0);
		CHECK_EQ(guest_if_add_ip4(p->i[k], ip[k], 24), 0);
	}
	/* SETVMAC went over the link and CP's answer came back. */
	REQUIRE(qdrv_ipa_find(&p->i[0]->drv, IPA_CMD_SETVMAC) != NULL);
	CHECK_EQ(qdrv_ipa_find(&p->i[0]->drv, IPA_CMD_SETVMAC)->rc, 0);
	n = guest_ping4(p->i[0], ip[1], 5, 56, pump, p);
	CHECK_EQ(n, 5);
	CHECK(p->link[0].sent > 5);
	CHECK(c->link[1].sent > 5);
	CHECK_EQ(p->link[0].errors, 0);

	c->stop = 1;
	pthread_join(th, NULL);
	for (int k = 0; k < 2; k++) {
		guest_destroy(&p->g[k]);
		vml_free(&p->link[k]);
		nic_destroy(&p->nic[k]);
		vml_free(&c->link[k]);
		close(sv[k][0]);
		close(sv[k][1]);
	}
	free(p);
	free(c);
}

TEST(vmlink_registration_times_out_when_cp_is_silent)
{
	struct vmlink l;
	struct port nicport;
	struct paddr a = { .op = PA_SETVMAC };
	int sv[2];

	memset(&nicport, 0, sizeof(nicport));
	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	REQUIRE(vml_init(&l, sv[0], false) == 0);
	l.rc_timeout_ms = 50;
	REQUIRE(vml_add_nic(&l, 0x0600, &nicport) != NULL);
	CHECK_EQ(port_addr(&nicport, &a), IPA_RC_LAN_OFFLINE);
	close(sv[1]);
	/* The peer is gone: the next registration fails at once, the link says EPIPE. */
	CHECK_EQ(port_addr(&nicport, &a), IPA_RC_LAN_OFFLINE);
	CHECK_EQ(vml_poll(&l, 0), -EPIPE);
	vml_free(&l);
	close(sv[0]);
}

static void *drain_later(void *arg)
{
	int fd = *(int *)arg;
	uint8_t b[256];

	usleep(300 * 1000);
	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) > 0)
		;
	return NULL;
}

TEST(vmlink_frames_drop_but_control_messages_wait_for_room)
{
	struct vmlink l;
	uint8_t msg[VML_HDR_SIZE + VML_FRAME_META + 64] = { 0 };
	uint8_t ctl[VML_HDR_SIZE + 2];
	pthread_t th;
	int sv[2], n, rc = 0, frames = 0;

	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	REQUIRE(vml_init(&l, sv[0], true) == 0);
	msg[0] = VML_VERSION;
	msg[1] = VML_FRAME;
	/* Fill the socket: frames fail at once when there is no room. */
	while (frames < 100000 && (rc = vml_send(&l, msg, sizeof(msg))) == 0)
		frames++;
	CHECK_EQ(rc, -EAGAIN);
	CHECK(frames > 0);
	/* A control message waits until the peer makes room. */
	n = vml_simple_encode(VML_LINK, 0x600, 0, 1, ctl, sizeof(ctl));
	REQUIRE(n > 0);
	REQUIRE(pthread_create(&th, NULL, drain_later, &sv[1]) == 0);
	CHECK_EQ(vml_send(&l, ctl, (size_t)n), 0);
	pthread_join(th, NULL);
	vml_free(&l);
	close(sv[0]);
	close(sv[1]);
}

struct rx_rec {
	unsigned calls, frames;
};

static unsigned rec_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct rx_rec *r = owner;

	(void)p;
	(void)f;
	r->calls++;
	r->frames += n;
	return n;
}

/* NIC 0600 on both ends of a link pair: the VM's port records what it gets in *rec;
 * returns CP's proxy port for it (NULL: failed). */
static struct port *rec_nics(struct vmlink *vm, struct vmlink *cp, struct port *nicport,
			     struct rx_rec *rec)
{
	memset(nicport, 0, sizeof(*nicport));
	nicport->rx = rec_rx;
	nicport->owner = rec;
	if (!vml_add_nic(vm, 0x0600, nicport))
		return NULL;
	return vml_add_nic(cp, 0x0600, NULL);
}

TEST(vmlink_frames_for_one_nic_arrive_as_one_batch)
{
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct rx_rec rec = { 0, 0 };
	uint8_t payload[60] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	struct qdio_span sp = { payload, sizeof(payload) };
	struct pframe f[5];
	int sv[2];

	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	REQUIRE(vml_init(&vm, sv[0], false) == 0);
	REQUIRE(vml_init(&cp, sv[1], true) == 0);
	proxy = rec_nics(&vm, &cp, &nicport, &rec);
	REQUIRE(proxy != NULL);
	for (int i = 0; i < 5; i++)
		f[i] = (struct pframe){ .spans = &sp, .nspans = 1, .kind = PF_ETH,
					.cast = PF_BROADCAST, .len = sizeof(payload) };
	/* CP delivers five frames to the proxy: five messages on the socket ... */
	CHECK_EQ(port_deliver(proxy, f, 5), 5);
	/* ... and the VM side hands them to the NIC's port in one call. */
	CHECK_EQ(vml_poll(&vm, 100), 1);
	CHECK_EQ(rec.frames, 5);
	CHECK_EQ(rec.calls, 1);
	CHECK_EQ(nicport.st.rx_packets, 5);
	/* A closed peer is seen as EPIPE. */
	vml_free(&cp);
	close(sv[1]);
	CHECK_EQ(vml_poll(&vm, 100), -EPIPE);
	vml_free(&vm);
	close(sv[0]);
}

/* The link tests' frame: 60 bytes of broadcast from 02:00:00:00:00:09. */
static const uint8_t bc_bytes[60] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 0, 9 };
static const struct qdio_span bc_span = { bc_bytes, sizeof(bc_bytes) };

static struct pframe bc_frame(void)
{
	return (struct pframe){ .spans = &bc_span, .nspans = 1, .kind = PF_ETH,
				.cast = PF_BROADCAST, .len = sizeof(bc_bytes) };
}

/* What cpnetd reads off a socket link while a command waits (PING): the frames at the
 * head, forwarded; the first other message stops it and stays for vml_poll, so that a
 * LOGOFF is not handled under the waiting command. */
TEST(vmlink_poll_frames_stops_at_a_control_message)
{
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct rx_rec rec = { 0, 0 };
	struct pframe f = bc_frame();
	uint8_t m[256];
	int sv[2], n;

	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	REQUIRE(vml_init(&vm, sv[0], false) == 0);
	REQUIRE(vml_init(&cp, sv[1], true) == 0);
	proxy = rec_nics(&vm, &cp, &nicport, &rec);
	REQUIRE(proxy != NULL);
	/* The VM sends two frames, a LOGOFF, a third frame. */
	n = vml_frame_encode(0x0600, &f, m, sizeof(m));
	REQUIRE(n > 0);
	CHECK_EQ(send(sv[0], m, (size_t)n, 0), n);
	CHECK_EQ(send(sv[0], m, (size_t)n, 0), n);
	n = vml_simple_encode(VML_LOGOFF, 0, 0, VML_LOGOFF_ENDED, m, sizeof(m));
	REQUIRE(n > 0);
	CHECK_EQ(send(sv[0], m, (size_t)n, 0), n);
	n = vml_frame_encode(0x0600, &f, m, sizeof(m));
	CHECK_EQ(send(sv[0], m, (size_t)n, 0), n);
	/* The two frames reach the proxy port (no LAN here: counted there as such). */
	CHECK_EQ(vml_poll_frames(&cp, 64), 2);
	CHECK_EQ(cp.received, 2);
	CHECK_EQ(proxy->st.drop[PD_NOT_COUPLED], 2);
	/* The LOGOFF stays where it is, however often the pump looks. */
	CHECK_EQ(vml_poll_frames(&cp, 64), 0);
	CHECK_EQ(cp.received, 2);
	CHECK_EQ(cp.peer_logoff, -1);
	/* The loop's vml_poll handles it. */
	CHECK_EQ(vml_poll(&cp, 0), -EPIPE);
	CHECK_EQ(cp.received, 3);
	/* Nothing waiting, and a peer that closed: nothing read, no error. */
	vml_free(&vm);
	close(sv[0]);
	CHECK_EQ(vml_poll_frames(&cp, 64), 0);
	vml_free(&cp);
	close(sv[1]);
}

/* The re-LOGON schedule after cpnetd went away, on a fake clock: 100 ms doubling to
 * 0.5 s, then 0.5 s forever; every attempt logged while the delay grows, then one per
 * 30 s. */
TEST(vmlink_retry_backs_off_and_rate_limits_its_log)
{
	static const uint32_t delays[] = { 200, 400, 500, 500, 500, 500, 500 };
	struct vml_retry r;
	uint64_t now = 50000, logged = 0;

	vml_retry_start(&r, now);
	CHECK_EQ(vml_retry_wait(&r, now), VML_RETRY_MIN_MS);
	CHECK_EQ(vml_retry_wait(&r, now + 99), 1);
	now += VML_RETRY_MIN_MS;
	CHECK_EQ(vml_retry_wait(&r, now), 0);
	for (unsigned i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		bool log = vml_retry_failed(&r, now);

		CHECK_EQ(r.attempts, i + 1);
		CHECK_EQ(r.delay_ms, delays[i]);
		CHECK_EQ(vml_retry_wait(&r, now), delays[i]);
		/* Growing delays (the first three attempts) are all logged; then quiet. */
		CHECK_EQ(log, i < 3);
		logged += log;
		now += delays[i];
	}
	CHECK_EQ(logged, 3);
	/* An hour of failures at 0.5 s: one line per 30 s, never a longer gap. */
	{
		uint64_t last = now, lines = 0, longest = 0;

		for (unsigned i = 0; i < 7200; i++) {
			if (vml_retry_failed(&r, now)) {
				lines++;
				if (now - last > longest)
					longest = now - last;
				last = now;
			}
			CHECK(r.delay_ms == VML_RETRY_MAX_MS);
			now += r.delay_ms;
		}
		CHECK(lines >= 110 && lines <= 125);
		CHECK(longest <= VML_RETRY_LOG_MS + VML_RETRY_MAX_MS);
	}
	/* A new outage starts the schedule over. */
	vml_retry_start(&r, now);
	CHECK_EQ(r.attempts, 0);
	CHECK_EQ(vml_retry_wait(&r, now), VML_RETRY_MIN_MS);
}

/* Why the session ended, as the VM's link sees it: the reason of CP's LOGOFF, or none
 * when the socket just closed (cpnetd killed). */
TEST(vmlink_logoff_reason_tells_final_from_restart)
{
	uint8_t b[VML_HDR_SIZE + VML_LOGOFF_SIZE + 2];
	struct vmlink l;
	uint16_t v = 9;
	int sv[2], n;

	n = vml_simple_encode(VML_LOGOFF, 0, 0, VML_LOGOFF_SHUTDOWN, b, sizeof(b));
	REQUIRE(n == VML_HDR_SIZE + VML_LOGOFF_SIZE);
	CHECK_EQ(vml_simple_decode(b, (size_t)n, &v), 0);
	CHECK_EQ(v, VML_LOGOFF_SHUTDOWN);
	CHECK_EQ(vml_simple_decode(b, VML_HDR_SIZE, &v), 0);	/* no body: ended */
	CHECK_EQ(v, VML_LOGOFF_ENDED);
	CHECK(vml_simple_encode(VML_LOGOFF, 0, 0, VML_LOGOFF_REASON_MAX, b, sizeof(b)) < 0);

	for (unsigned round = 0; round < 4; round++) {
		REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
		REQUIRE(vml_init(&l, sv[0], false) == 0);
		CHECK_EQ(l.peer_logoff, -1);
		if (round == 0) {
			n = vml_simple_encode(VML_LOGOFF, 0, 0, VML_LOGOFF_SHUTDOWN, b, sizeof(b));
		} else if (round == 1) {
			n = vml_simple_encode(VML_LOGOFF, 0, 0, VML_LOGOFF_ENDED, b, sizeof(b));
		} else if (round == 2) {
			/* A reason CP does not define: still the end, and final. */
			n = vml_simple_encode(VML_LOGOFF, 0, 0, VML_LOGOFF_SHUTDOWN, b, sizeof(b));
			b[VML_HDR_SIZE + 1] = 0x77;
		} else {
			n = 0;	/* no LOGOFF: the peer just goes */
		}
		if (n > 0)
			REQUIRE(send(sv[1], b, (size_t)n, 0) == n);
		close(sv[1]);
		CHECK_EQ(vml_poll(&l, 1000), -EPIPE);
		CHECK_EQ(l.peer_logoff, round == 0 ? VML_LOGOFF_SHUTDOWN :
					round == 3 ? -1 : VML_LOGOFF_ENDED);
		vml_free(&l);
		close(sv[0]);
	}
}

struct nicdef_seen {
	unsigned n;
	uint16_t vdev;
};

static void seen_nicdef(void *ctx, const struct vml_nicdef *d)
{
	struct nicdef_seen *s = ctx;

	s->n++;
	s->vdev = d->vdev;
}

/* LOGON again on a fresh socket that is no link's yet: only the reply is read; the
 * NICDEFs behind it wait for the link that takes the socket over. */
TEST(vmlink_logon_on_a_bare_socket_leaves_the_nicdefs)
{
	struct vml_logon_reply r = { 0, "LOGON AS LINUX01" }, got;
	struct vml_nicdef d = { 0x0600, 3, 6, 0, 2, { 2, 0, 0, 0, 0, 1 }, "VSWETH", "SYSTEM" };
	struct nicdef_seen seen = { 0, 0 };
	uint8_t b[VML_MAX_MSG > 512 ? 512 : VML_MAX_MSG];
	struct vml_logon lg;
	struct vmlink l;
	int sv[2], n;
	ssize_t m;

	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	n = vml_logon_reply_encode(&r, b, sizeof(b));
	REQUIRE(n > 0 && send(sv[1], b, (size_t)n, 0) == n);
	n = vml_nicdef_encode(&d, b, sizeof(b));
	REQUIRE(n > 0 && send(sv[1], b, (size_t)n, 0) == n);
	CHECK_EQ(vml_logon_fd(sv[0], "linux01", "pw1", 1000, &got), 0);
	CHECK_STR(got.text, "LOGON AS LINUX01");
	m = recv(sv[1], b, sizeof(b), MSG_DONTWAIT);	/* what the VM sent */
	REQUIRE(m == VML_HDR_SIZE + VML_LOGON_SIZE);
	CHECK_EQ(vml_logon_decode(b, (size_t)m, &lg), 0);
	CHECK_STR(lg.userid, "LINUX01");
	CHECK_STR(lg.password, "pw1");

	REQUIRE(vml_init(&l, sv[0], false) == 0);
	l.ctx = &seen;
	l.on_nicdef = seen_nicdef;
	CHECK_EQ(vml_poll(&l, 1000), 1);
	CHECK_EQ(seen.n, 1);
	CHECK_EQ(seen.vdev, 0x0600);

	/* Refused: CP's rc; silence: a timeout; not a LOGON reply: not CP. */
	r.rc = 54;
	n = vml_logon_reply_encode(&r, b, sizeof(b));
	REQUIRE(n > 0 && send(sv[1], b, (size_t)n, 0) == n);
	CHECK_EQ(vml_logon_fd(sv[0], "linux01", "pw1", 1000, &got), 54);
	CHECK_EQ(vml_logon_fd(sv[0], "linux01", "pw1", 50, &got), -ETIMEDOUT);
	n = vml_nicdef_encode(&d, b, sizeof(b));
	REQUIRE(n > 0 && send(sv[1], b, (size_t)n, 0) == n);
	CHECK_EQ(vml_logon_fd(sv[0], "linux01", "pw1", 1000, &got), -EPROTO);
	CHECK_EQ(vml_logon_fd(sv[0], "toolonguser", "pw1", 1000, &got), -EINVAL);
	/* CP goes away (having read what the VM sent: unread data would be a reset). */
	for (unsigned i = 0; i < 8 && recv(sv[1], b, sizeof(b), MSG_DONTWAIT) > 0; i++)
		;
	close(sv[1]);
	CHECK_EQ(vml_logon_fd(sv[0], "linux01", "pw1", 1000, &got), -EPIPE);
	vml_free(&l);
	close(sv[0]);
}

TEST(vmlink_connect_reports_why)
{
	char path[108], lpath[200];
	struct sockaddr_un sa;
	int lfd, fd;

	REQUIRE(tc_path(t, path, sizeof(path), "vml.sock")[0]);
	CHECK_EQ(vml_connect(path), -ENOENT);
	memset(lpath, 'x', sizeof(lpath) - 1);
	lpath[sizeof(lpath) - 1] = 0;
	CHECK_EQ(vml_connect(lpath), -ENAMETOOLONG);

	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	REQUIRE(lfd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	REQUIRE(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	/* Bound but not listening: what a starting cpnetd looks like. */
	CHECK_EQ(vml_connect(path), -ECONNREFUSED);
	REQUIRE(listen(lfd, 1) == 0);
	fd = vml_connect(path);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	close(lfd);
}

/* ---- QUEUESTORAGE: what waits toward a VM that is not reading ------------------------ */

static uint16_t qs_reg(struct port *p, uint8_t op, uint32_t value)
{
	struct paddr a;

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.value = value;
	return port_addr(p, &a);
}

/* Read every frame waiting on a VM's socket; returns how many, counting those whose
 * sequence number (payload bytes 14..17) does not follow on from *next. */
static unsigned qs_drain(int fd, uint32_t *next, unsigned *out_of_order)
{
	static uint8_t b[VML_MAX_MSG];
	unsigned n = 0;
	ssize_t r;

	while ((r = recv(fd, b, sizeof(b), MSG_DONTWAIT)) > 0) {
		struct pframe f;
		struct qdio_span sp;
		uint32_t seq;

		if (vml_frame_decode(b, (size_t)r, &f, &sp) < 0 || f.len < 18)
			continue;
		seq = (uint32_t)sp.ptr[14] << 24 | (uint32_t)sp.ptr[15] << 16 |
		      (uint32_t)sp.ptr[16] << 8 | sp.ptr[17];
		if (seq != *next)
			(*out_of_order)++;
		*next = seq + 1;
		n++;
	}
	return n;
}

/*
 * Two VMs (CP side of two links) on a VSWITCH with QUEUESTORAGE 1M; a local sender
 * broadcasts 4000 frames of 1000 bytes.  VM A never reads: its socket fills, then up
 * to 1 MB waits in CP, the rest is dropped as "queue storage".  VM B reads as it goes
 * and loses nothing.  When A reads again everything that waited arrives, in order.
 */
TEST(vmlink_queuestorage_bounds_what_waits_for_a_vm)
{
	enum { NF = 4000, FL = 1000 };
	struct lan_table tb;
	struct lanbk *lan = NULL;
	struct vmlink cpa, cpb;
	struct port *pa, *pb, snd;
	struct port *all[3];
	int sa[2], sb[2];
	static uint8_t fr[FL];
	struct qdio_span sp = { fr, FL };
	struct pframe f;
	uint32_t next_a = 0, next_b = 0;
	unsigned got_a = 0, got_b = 0, ooo = 0, socket_a;
	uint64_t dropped, waited;

	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sa) == 0);
	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sb) == 0);
	REQUIRE(vml_init(&cpa, sa[0], true) == 0);
	REQUIRE(vml_init(&cpb, sb[0], true) == 0);
	pa = vml_add_nic(&cpa, 0x600, NULL);
	pb = vml_add_nic(&cpb, 0x600, NULL);
	REQUIRE(pa && pb);
	lan_table_init(&tb, 5);
	REQUIRE(lan_define(&tb, "SYSTEM", "VSWQ", LAN_VSWITCH, &lan) == 0);
	lan_set_restricted(lan, false);
	CHECK_EQ(lan_set_queuestorage(lan, 1), 0);
	memset(&snd, 0, sizeof(snd));
	REQUIRE(lan_attach_port(lan, pa, "VMA", 0x600, LAN_PORTNUM_AUTO, NULL) > 0);
	REQUIRE(lan_attach_port(lan, pb, "VMB", 0x600, LAN_PORTNUM_AUTO, NULL) > 0);
	REQUIRE(lan_attach_port(lan, &snd, "SENDER", 0x600, LAN_PORTNUM_AUTO, NULL) > 0);
	CHECK_EQ(pa->rxq_limit, 1u << 20);
	CHECK_EQ(lan_set_queuestorage(lan, 2), 0);	/* SET VSWITCH reaches coupled ports */
	CHECK_EQ(pa->rxq_limit, 2u << 20);
	CHECK_EQ(lan_set_queuestorage(lan, 1), 0);
	CHECK_EQ(pb->rxq_limit, 1u << 20);
	all[0] = pa;
	all[1] = pb;
	all[2] = &snd;
	for (unsigned k = 0; k < 3; k++) {
		CHECK_EQ(qs_reg(all[k], PA_LAYER, 2), 0);
		CHECK_EQ(qs_reg(all[k], PA_STARTLAN, 0), 0);
	}
	memset(fr, 0xFF, 6);			/* broadcast */
	fr[6] = 0x02;
	fr[11] = 0x09;
	fr[12] = 0x88;
	fr[13] = 0xB5;
	memset(&f, 0, sizeof(f));
	f.spans = &sp;
	f.nspans = 1;
	f.kind = PF_ETH;
	f.cast = PF_BROADCAST;
	f.len = FL;
	for (uint32_t i = 0; i < NF; i++) {
		fr[14] = (uint8_t)(i >> 24);
		fr[15] = (uint8_t)(i >> 16);
		fr[16] = (uint8_t)(i >> 8);
		fr[17] = (uint8_t)i;
		port_tx(&snd, &f, 1);
		got_b += qs_drain(sb[1], &next_b, &ooo);	/* B keeps up */
	}
	/* B: everything, in order, nothing waited or dropped. */
	CHECK_EQ(got_b, (unsigned)NF);
	CHECK_EQ(ooo, 0u);
	CHECK_EQ(pb->st.drop[PD_QSTORAGE], 0u);
	CHECK_EQ(pb->rxq_peak, 0u);
	/* A: its queue storage is full, not more; the excess dropped with its reason. */
	dropped = pa->st.drop[PD_QSTORAGE];
	waited = pa->rxq_used;
	CHECK(dropped > 0);
	CHECK(waited <= 1u << 20);
	CHECK(waited > (1u << 20) - (VML_HDR_SIZE + VML_FRAME_META + FL));
	CHECK_EQ(pa->rxq_peak, (uint32_t)waited);
	CHECK_EQ(pa->st.rx_packets + dropped, (uint64_t)NF);
	CHECK_EQ(pa->st.rx_discards, dropped);
	CHECK_STR(port_drop_name(PD_QSTORAGE), "queue storage");
	/* A reads again: the socket's frames, then (flushed as room appears) what waited. */
	for (unsigned round = 0; round < 1000 && (pa->rxq_used || round == 0); round++) {
		got_a += qs_drain(sa[1], &next_a, &ooo);
		vml_flush(&cpa);
	}
	got_a += qs_drain(sa[1], &next_a, &ooo);
	socket_a = got_a - (unsigned)(waited / (VML_HDR_SIZE + VML_FRAME_META + FL));
	CHECK(socket_a > 0);
	CHECK_EQ(pa->rxq_used, 0u);
	CHECK_EQ(vml_flush(&cpa), 0u);
	CHECK_EQ((uint64_t)got_a, pa->st.rx_packets);
	CHECK_EQ(ooo, 0u);
	CHECK_EQ(next_a, (uint32_t)got_a);	/* a prefix of the stream: drops were at the end */
	lan_table_free(&tb);
	vml_free(&cpa);
	vml_free(&cpb);
	close(sa[0]);
	close(sa[1]);
	close(sb[0]);
	close(sb[1]);
}

/* ---- frames through the shared-memory ring ------------------------------------------ */

/* A link pair over a socketpair; CP offers a ring and the VM answers per its transport. */
static int ring_pair(struct vmlink *vm, struct vmlink *cp, int sv[2], enum vml_transport tr)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0 || vml_init(vm, sv[0], false) != 0 ||
	    vml_init(cp, sv[1], true) != 0)
		return -1;
	vm->transport = tr;
	if (vml_ring_offer(cp) != 0 || vml_poll(vm, 100) != 1 || vml_poll(cp, 100) != 1)
		return -1;
	return 0;
}

static void ring_unpair(struct vmlink *vm, struct vmlink *cp, int sv[2])
{
	vml_free(vm);
	vml_free(cp);
	close(sv[0]);
	close(sv[1]);
}

struct tx_rec {
	unsigned calls, frames;
	uint8_t first[4];
};

static void rec_tx(void *peer, struct port *from, const struct pframe *f, unsigned n)
{
	struct tx_rec *r = peer;

	(void)from;
	r->calls++;
	r->frames += n;
	if (n)
		qdio_spans_copy(f[0].spans, f[0].nspans, 0, r->first, sizeof(r->first));
}

static uint16_t rec_addr(void *peer, struct port *from, const struct paddr *a)
{
	(void)peer;
	(void)from;
	(void)a;
	return 0;
}

static const struct port_ops rec_ops = { rec_tx, rec_addr };

/* NIC 0600 on both sides of a link pair: the VM's on nicport, cpnetd's proxy recording
 * what it is sent into txr.  The proxy, or NULL. */
static struct port *pair_nic(struct vmlink *vm, struct vmlink *cp, struct port *nicport,
			     struct tx_rec *txr)
{
	struct port *proxy;

	memset(nicport, 0, sizeof(*nicport));
	memset(txr, 0, sizeof(*txr));
	if (!vml_add_nic(vm, 0x0600, nicport) || !(proxy = vml_add_nic(cp, 0x0600, NULL)))
		return NULL;
	proxy->ops = &rec_ops;
	proxy->peer = txr;
	return proxy;
}

/* The same on a ring pair. */
static struct port *ring_pair_nic(struct vmlink *vm, struct vmlink *cp, int sv[2],
				  struct port *nicport, struct tx_rec *txr)
{
	if (ring_pair(vm, cp, sv, VML_TRANSPORT_RING) != 0)
		return NULL;
	return pair_nic(vm, cp, nicport, txr);
}

/* Something waits on the socket (MSG_PEEK: left there). */
static bool sock_has_msg(int fd)
{
	uint8_t b[8];

	return recv(fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT) > 0;
}

TEST(vmlink_ring_carries_frames_both_ways_off_the_socket)
{
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct rx_rec rec = { 0, 0 };
	struct tx_rec txr;
	struct pframe f[5];
	int sv[2];

	REQUIRE(ring_pair(&vm, &cp, sv, VML_TRANSPORT_RING) == 0);
	CHECK(vm.ring_tx);
	CHECK(cp.ring_tx);
	CHECK_EQ(cp.ring_ack, VML_RING_TAKEN);
	memset(&nicport, 0, sizeof(nicport));
	memset(&txr, 0, sizeof(txr));
	nicport.rx = rec_rx;
	nicport.owner = &rec;
	REQUIRE(vml_add_nic(&vm, 0x0600, &nicport) != NULL);
	proxy = vml_add_nic(&cp, 0x0600, NULL);
	REQUIRE(proxy != NULL);
	proxy->ops = &rec_ops;
	proxy->peer = &txr;
	for (int i = 0; i < 5; i++)
		f[i] = bc_frame();
	/* VM -> CP: five descriptors, nothing on the socket, one batch at CP. */
	port_tx(&nicport, f, 5);
	CHECK(!sock_has_msg(sv[1]));
	CHECK_EQ(vml_poll_ring(&cp), 5);
	CHECK_EQ(txr.frames, 5);
	CHECK_EQ(txr.calls, 1);
	CHECK_MEM(txr.first, bc_bytes, 4);
	CHECK_EQ(proxy->st.tx_packets, 5);
	/* CP -> VM the same way. */
	CHECK_EQ(port_deliver(proxy, f, 5), 5);
	CHECK(!sock_has_msg(sv[0]));
	CHECK_EQ(vml_poll(&vm, 100), 1);
	CHECK_EQ(rec.frames, 5);
	CHECK_EQ(rec.calls, 1);
	CHECK_EQ(nicport.st.rx_packets, 5);
	CHECK_EQ(cp.errors, 0);
	CHECK_EQ(vm.errors, 0);
	/* A VM that sleeps is rung once for a batch; a busy one not at all. */
	CHECK(!vml_arm(&vm));
	CHECK_EQ(port_deliver(proxy, f, 5), 5);
	CHECK_EQ(cp.ring.bells, 1);
	CHECK_EQ(port_deliver(proxy, f, 5), 5);
	CHECK_EQ(cp.ring.bells, 1);
	CHECK_EQ(vml_poll(&vm, 100), 1);
	CHECK_EQ(rec.frames, 15);
	ring_unpair(&vm, &cp, sv);
}

/* cpnetd's side of a ring pair, drained by a thread of its own until told to stop. */
struct drainer {
	struct vmlink *cp;
	volatile int stop;
};

static void *drain_thread(void *arg)
{
	struct drainer *d = arg;

	while (!d->stop) {
		if (vml_poll_ring(d->cp) <= 0)
			usleep(50);
	}
	return NULL;
}

/* The VM's side waits for room in a full ring by timed sleeps that follow cpnetd's
 * rate: longer (up to VML_TX_SLEEP_MAX_NS) while a sleep frees little -- a cpnetd that
 * frees nothing costs a handful of sleeps up to the stall bound, not one per 100 us --
 * and shorter again once a sleep frees more than half the ring. */
TEST(vmlink_ring_full_ring_waits_follow_the_consumers_rate)
{
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct tx_rec txr;
	struct drainer d;
	pthread_t th;
	uint8_t payload[60] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	struct qdio_span sp = { payload, sizeof(payload) };
	static struct pframe f[VML_RING_SLOTS];
	unsigned sent;
	int sv[2];

	REQUIRE((proxy = ring_pair_nic(&vm, &cp, sv, &nicport, &txr)) != NULL);
	for (unsigned i = 0; i < VML_RING_SLOTS; i++)
		f[i] = (struct pframe){ .spans = &sp, .nspans = 1, .kind = PF_ETH,
					.cast = PF_BROADCAST, .len = sizeof(payload) };
	/* A deep ring: a whole ring of small frames goes without a wait. */
	CHECK_EQ(vml_ring_tx(&vm, 0x0600, f, VML_RING_SLOTS, 0, true), VML_RING_SLOTS);
	CHECK_EQ(vm.tx_sleeps, 0);
	/* Full, and nobody takes anything: each sleep doubles the next, up to the longest.
	 * (A stall bound of 0 is exactly one sleep per call: the count does not depend on
	 * how late a loaded machine wakes the sleeper.) */
	for (int k = 0; k < 10; k++)
		CHECK_EQ(vml_ring_tx(&vm, 0x0600, f, 1, 0, true), 0);
	CHECK_EQ(vm.tx_sleeps, 10);
	CHECK_EQ(vm.tx_sleep_ns, VML_TX_SLEEP_MAX_NS);
	/* cpnetd drains as fast as it can: a sleep that finds more than half the ring
	 * free halves the next; every frame arrives.  (Rings of frames until a call ends on
	 * a shorter sleep, bounded: the drainer may be off the CPU for a sleep or two.) */
	d.cp = &cp;
	d.stop = 0;
	REQUIRE(pthread_create(&th, NULL, drain_thread, &d) == 0);
	sent = 0;
	for (int k = 0; k < 4 || (k < 400 && vm.tx_sleep_ns == VML_TX_SLEEP_MAX_NS); k++)
		sent += vml_ring_tx(&vm, 0x0600, f, VML_RING_SLOTS, 1000, true);
	CHECK(vm.tx_sleep_ns < VML_TX_SLEEP_MAX_NS);
	for (int k = 0; k < 5000 && txr.frames < VML_RING_SLOTS + sent; k++)
		usleep(1000);
	d.stop = 1;
	pthread_join(th, NULL);
	CHECK_EQ(sent % VML_RING_SLOTS, 0);
	CHECK_EQ(txr.frames, VML_RING_SLOTS + sent);
	CHECK_EQ(cp.ring.broken, SHR_OK);
	ring_unpair(&vm, &cp, sv);
}

/* An application's side waits for room on its doorbell: a large frame (many entries, a
 * wrap entry before it) into a ring with a few entries free must sleep there until
 * enough are, not spin on "room" it cannot use. */
TEST(vmlink_ring_large_frame_into_a_nearly_full_ring_sleeps)
{
	struct vmlink vm, cp;
	struct port nicport;
	uint8_t payload[60] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	static uint8_t big[65536];
	struct qdio_span sp = { payload, sizeof(payload) }, bsp = { big, sizeof(big) };
	static struct pframe f[VML_RING_SLOTS];
	struct pframe bf = { .spans = &bsp, .nspans = 1, .kind = PF_ETH, .cast = PF_BROADCAST,
			     .len = sizeof(big) };
	uint64_t sys;
	int sv[2];

	REQUIRE(ring_pair(&vm, &cp, sv, VML_TRANSPORT_RING) == 0);
	vm.tx_bell_wait = true;
	memset(&nicport, 0, sizeof(nicport));
	REQUIRE(vml_add_nic(&vm, 0x0600, &nicport) != NULL);
	REQUIRE(vml_add_nic(&cp, 0x0600, NULL) != NULL);
	memset(big, 0xFF, 6);
	for (unsigned i = 0; i < VML_RING_SLOTS; i++)
		f[i] = (struct pframe){ .spans = &sp, .nspans = 1, .kind = PF_ETH,
					.cast = PF_BROADCAST, .len = sizeof(payload) };
	CHECK_EQ(vml_ring_tx(&vm, 0x0600, f, VML_RING_SLOTS - 20, 0, true), VML_RING_SLOTS - 20);
	REQUIRE(shr_tx_room(&vm.ring) == 20);
	REQUIRE(shr_tx_need(&vm.ring, VML_HDR_SIZE + VML_FRAME_META + sizeof(big)) > 20);
	/* Nobody drains for 20 ms: the frame does not go, and the wait was on the doorbell
	 * (a poll, a syscall) -- a spin would make none. */
	sys = vm.syscalls;
	CHECK_EQ(vml_ring_tx(&vm, 0x0600, &bf, 1, 20, true), 0);
	CHECK(vm.syscalls > sys);
	/* Once cpnetd took the ring, it goes. */
	while (vml_poll_ring(&cp) > 0)
		;
	CHECK_EQ(vml_ring_tx(&vm, 0x0600, &bf, 1, 20, true), 1);
	CHECK_EQ(cp.ring.broken, SHR_OK);
	ring_unpair(&vm, &cp, sv);
}

/* What a large-frame receiver saw: lengths and each frame's check byte pattern. */
struct big_rec {
	unsigned frames, bad;
	uint64_t bytes;
};

static bool big_ok(const struct pframe *f)
{
	uint8_t b[8], e[8];
	uint32_t at[3] = { 0, f->len / 2, f->len - 8 };

	for (int k = 0; k < 3; k++) {
		if (qdio_spans_copy(f->spans, f->nspans, at[k], b, 8) != 8)
			return false;
		for (uint32_t j = 0; j < 8; j++)
			e[j] = (uint8_t)((at[k] + j) * 7 + f->len);
		if (memcmp(b, e, 8))
			return false;
	}
	return true;
}

static void big_tx(void *peer, struct port *from, const struct pframe *f, unsigned n)
{
	struct big_rec *r = peer;

	(void)from;
	for (unsigned i = 0; i < n; i++) {
		r->frames++;
		r->bytes += f[i].len;
		r->bad += !big_ok(&f[i]);
	}
}

static unsigned big_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	(void)p;
	big_tx(owner, NULL, f, n);
	return n;
}

static const struct port_ops big_ops = { big_tx, rec_addr };

/* Frames of 60 bytes to 64 KiB (a large send) through the ring both ways: each takes
 * as many 2 KiB slots as it needs, the ring wraps many times (wrap entries before the
 * ones that would pass its end), every frame arrives whole, nothing on the socket. */
TEST(vmlink_ring_frames_of_many_slots_wrap_and_arrive_whole)
{
	static const uint32_t sizes[] = { 60, 1514, 2048, 2049, 9014, 65536, 100, 40000 };
	static uint8_t payload[65536];
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct big_rec at_cp = { 0 }, at_vm = { 0 };
	uint64_t want = 0;
	unsigned n = 0;
	int sv[2];

	REQUIRE(ring_pair(&vm, &cp, sv, VML_TRANSPORT_RING) == 0);
	memset(&nicport, 0, sizeof(nicport));
	nicport.rx = big_rx;
	nicport.owner = &at_vm;
	REQUIRE(vml_add_nic(&vm, 0x0600, &nicport) != NULL);
	proxy = vml_add_nic(&cp, 0x0600, NULL);
	REQUIRE(proxy != NULL);
	proxy->ops = &big_ops;
	proxy->peer = &at_cp;
	for (int round = 0; round < 300; round++) {
		for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			uint32_t len = sizes[k];
			struct qdio_span sp = { payload, len };
			struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH,
					    .cast = PF_BROADCAST, .len = len };

			for (uint32_t j = 0; j < len; j++)
				payload[j] = (uint8_t)(j * 7 + len);
			port_tx(&nicport, &f, 1);
			CHECK_EQ(port_deliver(proxy, &f, 1), 1);
			want += len;
			n++;
		}
		/* Both sides take what came (a few frames per round, so the ring never
		 * fills: the wraps are what this is about). */
		while (vml_poll_ring(&cp) > 0)
			;
		while (vml_poll_ring(&vm) > 0)
			;
	}
	CHECK(!sock_has_msg(sv[0]) && !sock_has_msg(sv[1]));
	CHECK_EQ(at_cp.frames, n);
	CHECK_EQ(at_vm.frames, n);
	CHECK_EQ(at_cp.bytes, want);
	CHECK_EQ(at_vm.bytes, want);
	CHECK_EQ(at_cp.bad, 0);
	CHECK_EQ(at_vm.bad, 0);
	CHECK(vm.ring.tx_prod > 4 * vm.ring.nslots);	/* wrapped many times */
	CHECK_EQ(cp.ring.broken, SHR_OK);
	CHECK_EQ(vm.ring.broken, SHR_OK);
	ring_unpair(&vm, &cp, sv);
}

TEST(vmlink_ring_declined_or_unanswered_keeps_frames_on_the_socket)
{
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct rx_rec rec = { 0, 0 };
	uint8_t payload[60] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	struct qdio_span sp = { payload, sizeof(payload) };
	struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH, .cast = PF_BROADCAST,
			    .len = sizeof(payload) };
	uint8_t raw[VML_MAX_MSG];
	int sv[2];

	/* --transport socket: the VM declines; CP gives the ring up. */
	REQUIRE(ring_pair(&vm, &cp, sv, VML_TRANSPORT_SOCKET) == 0);
	CHECK_EQ(cp.ring_ack, VML_RING_DECLINED);
	CHECK(!cp.ring_on);
	CHECK(!vm.ring_on);
	CHECK_EQ(vml_bell_fd(&cp), -1);
	proxy = rec_nics(&vm, &cp, &nicport, &rec);
	REQUIRE(proxy != NULL);
	CHECK_EQ(port_deliver(proxy, &f, 1), 1);
	CHECK(sock_has_msg(sv[0]));
	CHECK_EQ(vml_poll(&vm, 100), 1);
	CHECK_EQ(rec.frames, 1);
	ring_unpair(&vm, &cp, sv);

	/* A VM from before rings reads the offer as an unknown message (its descriptors
	 * discarded by the kernel) and never answers: CP keeps to the socket. */
	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	REQUIRE(vml_init(&cp, sv[1], true) == 0);
	REQUIRE(vml_ring_offer(&cp) == 0);
	CHECK(recv(sv[0], raw, sizeof(raw), 0) == VML_HDR_SIZE + VML_RING_SIZE);
	CHECK_EQ(raw[1], VML_RING);
	proxy = vml_add_nic(&cp, 0x0600, NULL);
	REQUIRE(proxy != NULL);
	CHECK_EQ(port_deliver(proxy, &f, 1), 1);
	CHECK(recv(sv[0], raw, sizeof(raw), MSG_DONTWAIT) == VML_HDR_SIZE + VML_FRAME_META + 60);
	CHECK_EQ(raw[1], VML_FRAME);
	CHECK(!cp.ring_tx);
	vml_free(&cp);
	close(sv[0]);
	close(sv[1]);
}

/* The VM side writes into its ring what a hostile VM could: CP drops the link (the
 * caller closes it; cpnetd counts why) after delivering what was good before. */
/* G_SPAN: a message of three slots of which one is published; G_FLAGS: unknown
 * descriptor flags; G_WRAP0: a wrap entry at entry 0 (it would skip the whole ring). */
/* G_VERIFIED: a well-formed frame that claims its checksum was verified -- only cpnetd
 * may say that (for what the uplink's adapter checked), never a VM or an application. */
enum garbage { G_PROD_JUMP, G_LEN, G_META, G_TYPE, G_SPAN, G_FLAGS, G_WRAP0, G_VERIFIED, G_NR };

TEST(vmlink_ring_garbage_from_the_vm_breaks_the_link)
{
	static const enum shr_break want[G_NR] = { SHR_BAD_PROD, SHR_BAD_LEN, SHR_BAD_MSG,
						   SHR_BAD_MSG, SHR_BAD_LEN, SHR_BAD_DESC,
						   SHR_BAD_DESC, SHR_BAD_MSG };

	for (int g = 0; g < G_NR; g++) {
		struct vmlink vm, cp;
		struct port nicport, *proxy;
		struct tx_rec txr;
		uint8_t payload[60] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
		struct qdio_span sp = { payload, sizeof(payload) };
		struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH,
				    .cast = PF_BROADCAST, .len = sizeof(payload) };
		uint8_t *slot;
		int sv[2], len;

		REQUIRE((proxy = ring_pair_nic(&vm, &cp, sv, &nicport, &txr)) != NULL);
		port_tx(&nicport, &f, 1);	/* one good frame first */
		slot = shr_tx_slot(&vm.ring);
		REQUIRE(slot != NULL);
		len = vml_frame_encode(0x0600, &f, slot, vm.ring.slot_size);
		REQUIRE(len > 0);
		switch (g) {
		case G_PROD_JUMP:
			break;
		case G_LEN:
			len = VML_MAX_MSG + 1;	/* beyond cpnetd's cap */
			break;
		case G_SPAN:
			len = (int)vm.ring.slot_size * 3;
			break;
		case G_META:
			slot[VML_HDR_SIZE] = 9;		/* kind */
			break;
		case G_TYPE:
			slot[1] = VML_LOGON;		/* control messages stay on the socket */
			break;
		case G_VERIFIED: {
			struct pframe v = f;

			v.csum = PF_CSUM_VERIFIED;
			len = vml_frame_encode(0x0600, &v, slot, vm.ring.slot_size);
			REQUIRE(len > 0);
			break;
		}
		}
		shr_tx_put(&vm.ring, (uint32_t)len);
		shr_tx_publish(&vm.ring);
		if (g == G_PROD_JUMP)
			__atomic_store_n(shr_peer_prod(&vm.ring, 1), vm.ring.nslots + 100,
					 __ATOMIC_RELEASE);
		if (g == G_SPAN)	/* the good frame and one of the three */
			__atomic_store_n(shr_peer_prod(&vm.ring, 1), 2, __ATOMIC_RELEASE);
		if (g == G_FLAGS)
			__atomic_store_n(shr_peer_flags(&vm.ring, 1, 1), 2, __ATOMIC_RELAXED);
		if (g == G_WRAP0) {
			/* The good frame's entry, not yet taken, turned into a wrap. */
			__atomic_store_n(shr_peer_flags(&vm.ring, 1, 0), SHR_DF_WRAP,
					 __ATOMIC_RELAXED);
		}
		CHECK_EQ(vml_poll_ring(&cp), -EPIPE);
		CHECK_EQ(cp.ring.broken, want[g]);
		CHECK_EQ(txr.frames, g == G_PROD_JUMP || g == G_WRAP0 ? 0 : 1);
		/* For good: the next look says the same, and vml_poll too. */
		CHECK_EQ(vml_poll_ring(&cp), -EPIPE);
		CHECK_EQ(vml_poll(&cp, 0), -EPIPE);
		ring_unpair(&vm, &cp, sv);
	}
}

/* The VM process dies in the middle of its stream: CP gets what it published, then
 * the socket's end; the ring was not broken. */
TEST(vmlink_ring_peer_dying_mid_stream)
{
	struct vmlink cp;
	struct port *proxy;
	struct tx_rec txr;
	int sv[2], r = 0, status;
	pid_t pid;

	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	REQUIRE(vml_init(&cp, sv[1], true) == 0);
	REQUIRE(vml_ring_offer(&cp) == 0);
	proxy = vml_add_nic(&cp, 0x0600, NULL);
	REQUIRE(proxy != NULL);
	memset(&txr, 0, sizeof(txr));
	proxy->ops = &rec_ops;
	proxy->peer = &txr;
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		struct vmlink vm;
		struct port nicport;
		uint8_t payload[60] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
		struct qdio_span sp = { payload, sizeof(payload) };
		struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH,
				    .cast = PF_BROADCAST, .len = sizeof(payload) };

		close(sv[1]);
		if (vml_init(&vm, sv[0], false) != 0 || vml_poll(&vm, 1000) != 1 || !vm.ring_tx)
			_exit(1);
		memset(&nicport, 0, sizeof(nicport));
		vml_add_nic(&vm, 0x0600, &nicport);
		for (int i = 0; i < 7; i++)
			port_tx(&nicport, &f, 1);
		/* An entry half written, never published, then gone without LOGOFF. */
		memset(shr_tx_slot(&vm.ring), 0xEE, 20);
		_exit(0);
	}
	close(sv[0]);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int n = 0; n < 50; n++) {
		r = vml_poll(&cp, 100);
		if (r < 0)
			break;
	}
	CHECK_EQ(r, -EPIPE);
	CHECK_EQ(txr.frames, 7);
	CHECK_EQ(cp.ring.broken, SHR_OK);
	CHECK_EQ(cp.ring_ack, VML_RING_TAKEN);
	vml_free(&cp);
	close(sv[1]);
}

/* ---- the consumer's mode (lib/adapt.h) under a producer in another process ---------- */

#define AD_FRAMES 20000u
#define AD_INFLIGHT 64u		/* the producer keeps at most this many in the ring */
#define AD_WAIT_MS 2000		/* a vml_poll that waits this long for pending frames
				 * slept through a doorbell: a lost wake-up */

struct ad_shared {
	volatile uint32_t published;	/* producer: frames put in the ring */
	volatile uint32_t received;	/* consumer: frames in order so far */
	volatile uint32_t bad_order;
};

struct ad_rx {
	struct ad_shared *sh;
};

static unsigned ad_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct ad_shared *sh = ((struct ad_rx *)owner)->sh;

	(void)p;
	for (unsigned i = 0; i < n; i++) {
		uint32_t seq;

		qdio_spans_copy(f[i].spans, f[i].nspans, 14, (uint8_t *)&seq, 4);
		if (seq != sh->received)
			sh->bad_order++;
		sh->received++;
	}
	return n;
}

/* CP's side in a child: batches of 1-8 frames with random pauses (none, a yield, or
 * up to 300 us of sleep), a fixed seed: the same schedule every run. */
static void ad_producer(struct vmlink *cp, struct port *proxy, struct ad_shared *sh)
{
	uint8_t payload[64] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2 };
	struct qdio_span sp[8];
	struct pframe f[8];
	uint8_t pl[8][64];
	unsigned seed = 11;

	(void)cp;
	while (sh->published < AD_FRAMES) {
		unsigned n = 1 + rand_r(&seed) % 8, r = rand_r(&seed) % 4;

		if (n > AD_FRAMES - sh->published)
			n = AD_FRAMES - sh->published;
		for (int k = 0; k < 200000 && sh->published + n - sh->received > AD_INFLIGHT; k++)
			usleep(10);
		for (unsigned i = 0; i < n; i++) {
			uint32_t seq = sh->published + i;

			memcpy(pl[i], payload, sizeof(payload));
			memcpy(pl[i] + 14, &seq, 4);
			sp[i] = (struct qdio_span){ pl[i], sizeof(pl[i]) };
			f[i] = (struct pframe){ .spans = &sp[i], .nspans = 1, .kind = PF_ETH,
						.cast = PF_BROADCAST, .len = sizeof(pl[i]) };
		}
		if (port_deliver(proxy, f, n) != n)
			_exit(3);
		sh->published += n;
		if (r == 1)
			sched_yield();
		else if (r == 2)
			usleep(rand_r(&seed) % 300);
	}
	_exit(0);
}

static long ad_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Thresholds small enough that the adaptive consumer changes modes many times; it
 * spins between empty polls (nap 0) or naps (lib/adapt.h). */
static const struct adapt_cfg ad_quick = { .enter_looks = 2, .enter_gap_ns = 100000,
					   .exit_empty = 50, .exit_idle_ns = 20000 };
/* Naps of 50 us inside a 150 us idle bound: the producer's pauses (up to 300 us) end
 * poll phases, so the consumer also goes from naps to a real sleep many times. */
static const struct adapt_cfg ad_napping = { .enter_looks = 2, .enter_gap_ns = 100000,
					     .exit_empty = 50, .exit_idle_ns = 150000,
					     .nap_ns = 50000 };

/* The VM side consumes through vml_poll with policy p and thresholds q.  *nstalls:
 * stalls seen (all ones when the run could not be set up). */
static void ad_run(struct tctx *t, enum adapt_policy p, const struct adapt_cfg *q,
		   struct adapt *out, unsigned *nstalls)
{
	struct ad_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct ad_rx rx;
	unsigned stalls = 0;
	int sv[2], status;
	long t_end;
	pid_t pid;

	*nstalls = ~0u;
	memset(out, 0, sizeof(*out));
	REQUIRE(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	rx.sh = sh;
	REQUIRE(ring_pair(&vm, &cp, sv, VML_TRANSPORT_RING) == 0);
	memset(&nicport, 0, sizeof(nicport));
	nicport.rx = ad_rx;
	nicport.owner = &rx;
	REQUIRE(vml_add_nic(&vm, 0x0600, &nicport) != NULL);
	proxy = vml_add_nic(&cp, 0x0600, NULL);
	REQUIRE(proxy != NULL);
	adapt_init(&vm.rxa, p, q);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0)
		ad_producer(&cp, proxy, sh);
	t_end = ad_ms() + 60000;
	while (sh->received < AD_FRAMES && ad_ms() < t_end && !stalls) {
		uint32_t before = sh->received;
		long t0 = ad_ms();
		int r = vml_poll(&vm, AD_WAIT_MS);

		CHECK(r >= 0);
		if (r < 0)
			break;
		/* Slept the whole wait with frames published before it began: the doorbell
		 * was lost (the producer is never idle for more than 300 us). */
		if (r == 0 && ad_ms() - t0 >= AD_WAIT_MS - 100 && sh->published > before)
			stalls++;
	}
	if (stalls || sh->received < AD_FRAMES)
		kill(pid, SIGKILL);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK_EQ(sh->received, AD_FRAMES);
	CHECK_EQ(sh->bad_order, 0);
	*out = vm.rxa;
	ring_unpair(&vm, &cp, sv);
	munmap(sh, sizeof(*sh));
	*nstalls = stalls;
}

TEST(vmlink_ring_consumer_changing_modes_loses_no_wakeup)
{
	struct adapt a;
	unsigned stalls;

	ad_run(t, ADAPT_ADAPTIVE, &ad_quick, &a, &stalls);
	CHECK_EQ(stalls, 0);
	/* It did change modes, both ways, many times: slept on the doorbell and polled. */
	CHECK(a.switches >= 20);
	CHECK(a.interrupts > 0);
	CHECK(a.polls > 0);
	CHECK(a.empty_polls > 0);
}

/* Polling with naps (the default shape): between empty polls the consumer sleeps a
 * timed nap with its doorbell unarmed, so the producer does not ring -- a frame put in
 * meanwhile waits for the nap's end, never for the whole 2 s wait. */
TEST(vmlink_ring_consumer_napping_between_polls_loses_no_wakeup)
{
	struct adapt a;
	unsigned stalls;

	ad_run(t, ADAPT_ADAPTIVE, &ad_napping, &a, &stalls);
	CHECK_EQ(stalls, 0);
	CHECK(a.switches >= 2);
	CHECK(a.polls > 0);
	CHECK(a.naps > 0);
	CHECK(a.naps <= a.empty_polls);
}

TEST(vmlink_ring_poll_mode_knob_changes_how_the_consumer_waits)
{
	struct adapt irq, poll;
	unsigned stalls;

	/* interrupt: every wait is a sleep on the doorbell, never a poll. */
	ad_run(t, ADAPT_INTERRUPT, &ad_quick, &irq, &stalls);
	CHECK_EQ(stalls, 0);
	CHECK_EQ(irq.switches, 0);
	CHECK_EQ(irq.polls, 0);
	CHECK(irq.interrupts > 0);
	CHECK(irq.mode == ADAPT_M_INTERRUPT);
	/* poll: never asleep, so never woken by the doorbell. */
	ad_run(t, ADAPT_POLL, &ad_quick, &poll, &stalls);
	CHECK_EQ(stalls, 0);
	CHECK_EQ(poll.switches, 0);
	CHECK_EQ(poll.interrupts, 0);
	CHECK(poll.polls >= AD_FRAMES / 8);
	CHECK(poll.mode == ADAPT_M_POLL);
}

/* A drain loop's last look (vml_poll(l, 0) on an empty ring, after each batch) makes no
 * syscall while the socket was looked at within the last millisecond -- unless this side
 * asked for its doorbell since it last emptied it (armed): then the look empties it. */
TEST(vmlink_ring_empty_look_without_wait_makes_no_syscall)
{
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct rx_rec rec = { 0, 0 };
	struct pframe f = bc_frame();
	uint64_t before, t0;
	unsigned looks = 0;
	int sv[2];

	REQUIRE(ring_pair(&vm, &cp, sv, VML_TRANSPORT_RING) == 0);
	proxy = rec_nics(&vm, &cp, &nicport, &rec);
	REQUIRE(proxy != NULL);
	vml_poll_policy(&vm, ADAPT_INTERRUPT, NULL);
	/* Armed, rung, drained: the empty look after the batch empties the doorbell. */
	CHECK_EQ(vml_ring_wait_ns(&vm), -1);
	CHECK_EQ(port_deliver(proxy, &f, 1), 1);
	CHECK_EQ(cp.ring.bells, 1);
	while (vml_poll(&vm, 0) > 0)
		;
	CHECK_EQ(rec.frames, 1);
	CHECK_EQ(vm.rxa.interrupts, 1);
	CHECK(!vm.bell_asked);
	/* Not armed since: a thousand empty looks within a millisecond make at most the
	 * one socket look that falls due (checked in time, on a loaded machine). */
	before = vm.syscalls;
	t0 = adapt_now_ns();
	while (looks < 1000 && adapt_now_ns() - t0 < 500000) {
		CHECK_EQ(vml_poll(&vm, 0), 0);
		looks++;
	}
	CHECK(looks > 10);
	CHECK(vm.syscalls - before <= 1);
	ring_unpair(&vm, &cp, sv);
}

/* The CPNIC's reader (hercules/cpnic_cp.c) sleeps in its own poll on the doorbell, then
 * calls vml_poll(l, 0) until it returns 0.  The first look in vml_poll empties the ring,
 * and the doorbell it then finds rung is the same wake-up: it must count as a wake-up
 * that found that work, not as one that found nothing (which breaks the series, so the
 * reader would never poll however busy the ring).  Thresholds of the test: 4 wake-ups
 * with work in a row enter polling, with no time limit between them. */
TEST(vmlink_ring_cpnic_reader_counts_the_work_of_its_wakeup)
{
	static const struct adapt_cfg series = { .enter_looks = 4, .enter_gap_ns = 60000000000ull,
						 .exit_empty = 1000000, .exit_idle_ns = 60000000000ull };
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct rx_rec rec = { 0, 0 };
	struct pframe f[8];
	int sv[2];

	REQUIRE(ring_pair(&vm, &cp, sv, VML_TRANSPORT_RING) == 0);
	proxy = rec_nics(&vm, &cp, &nicport, &rec);
	REQUIRE(proxy != NULL);
	for (int i = 0; i < 8; i++)
		f[i] = bc_frame();
	vml_poll_policy(&vm, ADAPT_ADAPTIVE, &series);
	for (unsigned round = 0; round < 4; round++) {
		int n = 0;

		/* The reader goes to sleep (armed), CP sends a batch and rings. */
		CHECK_EQ(vml_ring_wait_ns(&vm), -1);
		CHECK_EQ(port_deliver(proxy, f, 8), 8);
		CHECK_EQ(cp.ring.bells, round + 1);
		/* Woken: vml_poll(l, 0) until nothing is left, as cp_reader does. */
		while (n < 8 && vml_poll(&vm, 0) > 0)
			n++;
		CHECK_EQ(rec.frames, 8 * (round + 1));
		CHECK_EQ(vm.rxa.interrupts, round + 1);
		CHECK_EQ(adapt_polling(&vm.rxa), round == 3);
	}
	CHECK_EQ(vm.rxa.switches, 1);
	/* Polling: the reader does not arm (nor nap, nap_ns 0), CP does not ring. */
	CHECK_EQ(vml_ring_wait_ns(&vm), 0);
	CHECK_EQ(port_deliver(proxy, f, 8), 8);
	CHECK_EQ(cp.ring.bells, 4);
	while (vml_poll(&vm, 0) > 0)
		;
	CHECK_EQ(rec.frames, 40);
	ring_unpair(&vm, &cp, sv);
}

/* A nap is counted when taken, once: asked again before the next look, the consumer
 * gets what is left of it (no second nap, its threshold doorbell not set again); a
 * look ends it; a nap the ring refuses (half full already) is not counted. */
TEST(vmlink_ring_nap_counted_once_when_taken)
{
	static const struct adapt_cfg c = { .enter_looks = 1, .enter_gap_ns = 1000000000ull,
					    .exit_empty = 1000, .exit_idle_ns = 1000000000ull,
					    .nap_ns = 200000000ull };
	struct vmlink vm, cp;
	int sv[2];
	int64_t w1, w2;

	REQUIRE(ring_pair(&vm, &cp, sv, VML_TRANSPORT_RING) == 0);
	adapt_init(&vm.rxa, ADAPT_ADAPTIVE, &c);
	vml_ring_note(&vm, 1, true);		/* work: now polling */
	REQUIRE(adapt_polling(&vm.rxa));
	CHECK_EQ(vml_ring_wait_ns(&vm), 0);	/* the last look found work: no nap */
	vml_ring_note(&vm, 0, false);		/* an empty poll */
	CHECK_EQ(vml_ring_nap_left(&vm), 0);
	w1 = vml_ring_wait_ns(&vm);
	CHECK(w1 > 0 && w1 <= 200000000);
	CHECK_EQ(vm.rxa.naps, 1u);
	CHECK(vml_ring_nap_left(&vm) > 0);
	w2 = vml_ring_wait_ns(&vm);		/* the loop turned for something else */
	CHECK(w2 > 0 && w2 <= w1);
	CHECK_EQ(vm.rxa.naps, 1u);		/* the same nap, not a second one */
	vml_ring_note(&vm, 0, false);		/* a look ends it */
	CHECK_EQ(vml_ring_nap_left(&vm), 0);
	CHECK(vml_ring_wait_ns(&vm) > 0);
	CHECK_EQ(vm.rxa.naps, 2u);
	ring_unpair(&vm, &cp, sv);
}

/* A nap's threshold flag that the next look takes back rang nothing: the drain loop's
 * empty looks after the batch make no syscall for a doorbell (each one made a poll()
 * before: a syscall per nap).  A nap whose flag CP took (the ring reached the
 * threshold) did ring: the first empty look empties the doorbell, once. */
TEST(vmlink_ring_nap_taken_back_leaves_no_doorbell_to_empty)
{
	static const struct adapt_cfg c = { .enter_looks = 1, .enter_gap_ns = 1000000000ull,
					    .exit_empty = 1000000, .exit_idle_ns = 60000000000ull,
					    .nap_ns = 1000000ull };
	static struct pframe f[VML_RING_SLOTS / 2];
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct rx_rec rec = { 0, 0 };
	uint64_t before;
	int sv[2];

	REQUIRE(ring_pair(&vm, &cp, sv, VML_TRANSPORT_RING) == 0);
	proxy = rec_nics(&vm, &cp, &nicport, &rec);
	REQUIRE(proxy != NULL);
	for (unsigned i = 0; i < VML_RING_SLOTS / 2; i++)
		f[i] = bc_frame();
	adapt_init(&vm.rxa, ADAPT_ADAPTIVE, &c);
	vml_ring_note(&vm, 1, true);		/* work: now polling */
	REQUIRE(adapt_polling(&vm.rxa));
	for (unsigned round = 0; round < 3; round++) {
		vml_ring_note(&vm, 0, false);	/* an empty poll, then a nap */
		CHECK(vml_ring_wait_ns(&vm) > 0);
		CHECK(vm.bell_out);
		CHECK_EQ(port_deliver(proxy, f, 8), 8);	/* under the threshold */
		CHECK_EQ(cp.ring.bells, 0);
		/* The look after the nap takes the flag back, then the batch. */
		CHECK_EQ(vml_poll(&vm, 0), 1);
		CHECK(!vm.bell_out);
		CHECK(!vm.bell_asked);
		/* The drain loop's empty looks: no syscall (the socket was just looked
		 * at, or is due at most once). */
		before = vm.syscalls;
		for (int k = 0; k < 8; k++)
			CHECK_EQ(vml_poll(&vm, 0), 0);
		CHECK(vm.syscalls - before <= 1);
	}
	CHECK_EQ(rec.frames, 24);
	/* A nap CP's frames end: half the ring waits, CP takes the flag and rings. */
	vml_ring_note(&vm, 0, false);
	CHECK(vml_ring_wait_ns(&vm) > 0);
	CHECK_EQ(port_deliver(proxy, f, VML_RING_SLOTS / 2), VML_RING_SLOTS / 2);
	CHECK_EQ(cp.ring.bells, 1);
	CHECK(!shr_armed(&vm.ring));
	while (vml_poll(&vm, 0) > 0)
		;
	CHECK_EQ(rec.frames, 24 + VML_RING_SLOTS / 2);
	CHECK(!vm.bell_asked);			/* emptied */
	CHECK(!vm.bell_out);
	ring_unpair(&vm, &cp, sv);
}

/* A napping VM side is rung once a nap's batch waits (adapt_nap_fill: 64 entries of a
 * 4096-entry ring), not half the ring: at a steady high rate the doorbell, not the
 * nap's timer, ends the naps -- a timer wake-up costs this host's consumer several
 * doorbell wake-ups -- and a burst of a batch is not held for the timer. */
TEST(vmlink_ring_nap_rung_once_a_batch_waits)
{
	struct adapt_cfg c = adapt_ring_cfg(VML_RING_SLOTS);
	static struct pframe f[ADAPT_RING_NAP_BATCH];
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct rx_rec rec = { 0, 0 };
	struct pollfd bell;
	int sv[2];

	c.enter_looks = 1;
	c.exit_empty = 1000000;
	c.exit_idle_ns = 60000000000ull;
	c.nap_ns = 1000000000ull;	/* the timer never ends a nap here */
	REQUIRE(ring_pair(&vm, &cp, sv, VML_TRANSPORT_RING) == 0);
	proxy = rec_nics(&vm, &cp, &nicport, &rec);
	REQUIRE(proxy != NULL);
	for (unsigned i = 0; i < ADAPT_RING_NAP_BATCH; i++)
		f[i] = bc_frame();
	adapt_init(&vm.rxa, ADAPT_ADAPTIVE, &c);
	vml_ring_note(&vm, 2, true);		/* a batch: now polling */
	REQUIRE(adapt_polling(&vm.rxa));
	for (unsigned round = 0; round < 3; round++) {
		vml_ring_note(&vm, 0, false);	/* an empty poll, then a nap */
		CHECK(vml_ring_wait_ns(&vm) > 0);
		CHECK_EQ(port_deliver(proxy, f, ADAPT_RING_NAP_BATCH - 1),
			 ADAPT_RING_NAP_BATCH - 1);
		CHECK_EQ(cp.ring.bells, round);	/* one short of the batch: no doorbell */
		bell = (struct pollfd){ vml_bell_fd(&vm), POLLIN, 0 };
		CHECK_EQ(poll(&bell, 1, 0), 0);
		CHECK_EQ(port_deliver(proxy, f, 1), 1);
		CHECK_EQ(cp.ring.bells, round + 1);	/* the batch: rung, once */
		CHECK_EQ(poll(&bell, 1, 0), 1);
		CHECK(!shr_armed(&vm.ring));		/* CP took the flag */
		/* The doorbell's look takes the batch and empties the doorbell. */
		while (vml_poll(&vm, 0) > 0)
			;
		CHECK_EQ(rec.frames, (round + 1) * ADAPT_RING_NAP_BATCH);
		CHECK_EQ(poll(&bell, 1, 0), 0);
		CHECK(!vm.bell_asked);
	}
	ring_unpair(&vm, &cp, sv);
}

/* A flag put in the ring while one of ours is still out (a nap's threshold, then the
 * arm of a sleep) takes the old one back first: it knows that CP did not take it, so no
 * doorbell waits, and the drain loop's empty looks make no poll() for one -- before,
 * the overwritten flag counted as "CP may have had it" and each empty look polled
 * until a doorbell came. */
TEST(vmlink_ring_flag_overwritten_leaves_no_doorbell_to_empty)
{
	static const struct adapt_cfg c = { .enter_looks = 1, .enter_gap_ns = 1000000000ull,
					    .exit_empty = 1000000, .exit_idle_ns = 60000000000ull,
					    .nap_ns = 1000000ull };
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct rx_rec rec = { 0, 0 };
	uint64_t before;
	int sv[2];

	REQUIRE(ring_pair(&vm, &cp, sv, VML_TRANSPORT_RING) == 0);
	proxy = rec_nics(&vm, &cp, &nicport, &rec);
	REQUIRE(proxy != NULL);
	adapt_init(&vm.rxa, ADAPT_ADAPTIVE, &c);
	vml_ring_note(&vm, 1, true);		/* work: now polling */
	REQUIRE(adapt_polling(&vm.rxa));
	vml_ring_note(&vm, 0, false);		/* an empty poll, then a nap */
	CHECK(vml_ring_wait_ns(&vm) > 0);
	CHECK(vm.bell_out);
	CHECK(shr_armed(&vm.ring));
	CHECK(!vml_arm(&vm));			/* a flag over the nap's */
	CHECK(vm.bell_out);
	CHECK(!vm.bell_asked);			/* CP took neither */
	CHECK_EQ(cp.ring.bells, 0);
	CHECK_EQ(vml_poll(&vm, 0), 0);		/* the socket's look, once */
	before = vm.syscalls;
	for (int k = 0; k < 8; k++)
		CHECK_EQ(vml_poll(&vm, 0), 0);
	CHECK_EQ(vm.syscalls - before, 0);
	CHECK(!vm.bell_asked);
	ring_unpair(&vm, &cp, sv);
}

/* ---- frames taken in place: delivered into the NIC's input buffers, then given back -- */

/* cpnetd's side answering registrations while the guest comes online (vml_await on
 * the VM side waits for the replies). */
struct cp_answerer {
	struct vmlink *cp;
	volatile int stop;
};

static void *cp_answer(void *arg)
{
	struct cp_answerer *a = arg;

	while (!a->stop)
		vml_poll(a->cp, 1);
	return NULL;
}

/* Between the link and the NIC's own rx (nic_port_rx): at delivery, every frame must
 * still lie in its slot of the ring and no slot of the batch be given back yet -- the
 * consumer index in the shared area, and the room cpnetd finds, as before the look.
 * After the NIC returned, the slots are scribbled over (as cpnetd would, once given
 * them back): the guest must still get the frames' bytes, copied into its input
 * buffers during the delivery. */
struct inplace_tap {
	struct vmlink *vm, *cp;
	unsigned (*rx)(void *owner, struct port *p, const struct pframe *f, unsigned n);
	void *owner;
	uint32_t cons_before, room_before;
	unsigned calls, frames, bad_place, early_back, took;
};

static unsigned inplace_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct inplace_tap *t = owner;
	const uint8_t *slots = t->vm->ring.rxs;
	size_t area = (size_t)t->vm->ring.nslots * t->vm->ring.slot_size;
	unsigned took;

	t->calls++;
	t->frames += n;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *q = f[i].spans[0].ptr;

		if (f[i].nspans != 1 || q < slots || q + f[i].len > slots + area)
			t->bad_place++;
	}
	if (__atomic_load_n(shr_peer_cons(&t->vm->ring, 0), __ATOMIC_ACQUIRE) != t->cons_before ||
	    shr_tx_room(&t->cp->ring) != t->room_before)
		t->early_back++;
	took = t->rx(t->owner, p, f, n);
	t->took += took;
	for (unsigned i = 0; i < n; i++)
		memset((uint8_t *)(uintptr_t)f[i].spans[0].ptr, 0xEE, f[i].len);
	return took;
}

/* The guest's receive: frames as its qeth driver found them in the input buffers. */
struct inplace_guest {
	unsigned frames, wrong;
};

#define IP_FRAME_LEN(k) (60u + ((k) * 97u) % 1455u)	/* 60..1514 bytes */

static void inplace_frame(uint8_t *b, unsigned k)
{
	memset(b, 0xFF, 6);				/* broadcast */
	memcpy(b + 6, (const uint8_t[6]){ 2, 0, 0, 0, 0, 9 }, 6);
	b[12] = 0x88;					/* local experimental */
	b[13] = 0xB5;
	for (unsigned j = 14; j < IP_FRAME_LEN(k); j++)
		b[j] = (uint8_t)(k * 7u + j);
}

static void inplace_guest_rx(void *ctx, const uint8_t *qhdr, const uint8_t *data, uint32_t len)
{
	struct inplace_guest *g = ctx;
	uint8_t want[1514];
	unsigned k = g->frames++;

	(void)qhdr;
	inplace_frame(want, k);
	if (len != IP_FRAME_LEN(k) || memcmp(data, want, len) != 0)
		g->wrong++;
}

/* On the VM side ring frames are taken in place (rx_in_place): their bytes are copied
 * once, from the slot into the NIC's input buffer, so the slots may go back to cpnetd
 * only after that.  A real NIC and guest: cpnetd fills the ring (128 slots) three
 * times over; the VM side takes it in batches of 64.  At delivery nothing of the batch
 * is given back (the shared consumer index and cpnetd's room are what they were),
 * every frame lies in its slot; after the look the batch's slots are cpnetd's (after
 * both, all of them); and the guest gets every frame's bytes although the slots were
 * scribbled over right after the NIC's delivery. */
TEST(vmlink_ring_in_place_frames_delivered_then_slots_go_back)
{
	static uint8_t fb[128][1514];
	static struct nicbk nic;
	static struct guest g;
	struct vmlink vm, cp;
	struct tx_rec txr;
	struct port *proxy;
	struct guest_if *gi;
	struct nic_cfg cfg;
	struct cp_answerer ans;
	struct inplace_tap tap;
	struct inplace_guest seen = { 0, 0 };
	struct qdio_span sp[128];
	struct pframe f[128];
	pthread_t th;
	int sv[2];

	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	REQUIRE(vml_init(&vm, sv[0], false) == 0);
	REQUIRE(vml_init(&cp, sv[1], true) == 0);
	vm.transport = VML_TRANSPORT_RING;
	cp.ring_nslots = 128;			/* two batches fill it */
	REQUIRE(vml_ring_offer(&cp) == 0);
	REQUIRE(vml_poll(&vm, 100) == 1 && vml_poll(&cp, 100) == 1 && vm.ring_tx);
	CHECK(vm.rx_in_place);
	memset(&cfg, 0, sizeof(cfg));
	cfg.base_devno = 0x0600;
	cfg.ndev = 3;
	cfg.chpid = 0x06;
	cfg.mac[0] = 2;
	cfg.mac[5] = 0x21;
	cfg.vm_nic = true;
	REQUIRE(nic_create(&nic, &cfg) == 0);
	REQUIRE(vml_add_nic(&vm, 0x0600, &nic.port) != NULL);
	proxy = vml_add_nic(&cp, 0x0600, NULL);
	REQUIRE(proxy != NULL);
	memset(&txr, 0, sizeof(txr));
	proxy->ops = &rec_ops;
	proxy->peer = &txr;
	REQUIRE(guest_create(&g, 0) == 0);
	REQUIRE(guest_attach_nic(&g, &nic, 0x0600, 2, &gi) == 0);
	ans = (struct cp_answerer){ &cp, 0 };
	REQUIRE(pthread_create(&th, NULL, cp_answer, &ans) == 0);
	CHECK_EQ(guest_if_online(gi), 0);
	ans.stop = 1;
	pthread_join(th, NULL);
	while (vml_poll(&cp, 0) > 0)		/* what the guest sent coming up */
		;
	gi->drv.cfg.rx = inplace_guest_rx;
	gi->drv.cfg.rx_ctx = &seen;
	tap = (struct inplace_tap){ .vm = &vm, .cp = &cp, .rx = nic.port.rx,
				    .owner = nic.port.owner };
	nic.port.rx = inplace_rx;
	nic.port.owner = &tap;
	for (unsigned round = 0; round < 3; round++) {
		for (unsigned i = 0; i < 128; i++) {
			unsigned k = round * 128 + i;

			inplace_frame(fb[i], k);
			sp[i] = (struct qdio_span){ fb[i], IP_FRAME_LEN(k) };
			f[i] = (struct pframe){ .spans = &sp[i], .nspans = 1, .kind = PF_ETH,
						.cast = PF_BROADCAST, .len = IP_FRAME_LEN(k) };
		}
		CHECK_EQ(port_deliver(proxy, f, 128), 128);
		CHECK_EQ(shr_tx_room(&cp.ring), 0u);	/* the ring is full */
		for (unsigned half = 0; half < 2; half++) {
			unsigned done = round * 128 + (half + 1) * 64;

			tap.cons_before = __atomic_load_n(shr_peer_cons(&vm.ring, 0),
							  __ATOMIC_ACQUIRE);
			tap.room_before = half * 64;
			CHECK_EQ(vml_poll_ring(&vm), 64);	/* one batch */
			CHECK_EQ(tap.frames, done);
			CHECK_EQ(tap.took, done);	/* all went into input buffers */
			/* Delivered, then given back: the batch's slots are cpnetd's. */
			CHECK_EQ(__atomic_load_n(shr_peer_cons(&vm.ring, 0), __ATOMIC_ACQUIRE),
				 tap.cons_before + 64);
			CHECK_EQ(shr_tx_room(&cp.ring), (half + 1) * 64);
			for (unsigned n = 0; n < 100 && seen.frames < done; n++)
				guest_poll(&g);
			CHECK_EQ(seen.frames, done);
		}
	}
	CHECK_EQ(tap.bad_place, 0);
	CHECK_EQ(tap.early_back, 0);
	CHECK_EQ(seen.wrong, 0);
	CHECK_EQ(nic.port.st.rx_packets, 384);
	CHECK_EQ(vm.errors, 0);
	CHECK_EQ(cp.ring.broken, SHR_OK);
	nic.port.rx = tap.rx;
	nic.port.owner = tap.owner;
	guest_destroy(&g);
	vml_free(&vm);
	nic_destroy(&nic);
	vml_free(&cp);
	close(sv[0]);
	close(sv[1]);
}

/* cpnetd on its own CPU, in the moment between the VM side's flag and its re-check
 * (lib/shmring's recheck hook): it sends frames to the NIC until it has rung once
 * (at most `max`: a nap's threshold is reached, or an arm's flag is taken at once). */
struct bell_race {
	struct vmlink *cp;
	struct port *proxy;
	struct pframe *f;
	unsigned max, sent;
};

static void bell_race_send(void *arg)
{
	struct bell_race *br = arg;
	uint64_t bells = br->cp->ring.bells;

	while (br->sent < br->max && br->cp->ring.bells == bells)
		br->sent += port_deliver(br->proxy, br->f, 1);
}

static bool bell_readable(const struct vmlink *l)
{
	struct pollfd p = { vml_bell_fd(l), POLLIN, 0 };

	return poll(&p, 1, 0) == 1;
}

/* One turn of the CPNIC's reader (hercules/cpnic_cp.c) after its poll returned: drain
 * with vml_poll(l, 0) until 0, then ask how long it may sleep. */
static int64_t reader_turn(struct vmlink *vm)
{
	for (unsigned n = 0; n < 64 && vml_poll(vm, 0) > 0; n++)
		;
	return vml_ring_wait_ns(vm);
}

/* CP publishes between the VM side's flag and its re-check, takes the flag and rings;
 * the re-check finds the frames and the VM side does not sleep.  The doorbell is
 * readable then, and only the VM side empties it: it must know (bell_asked) so that the
 * drain loop's empty look empties it.  With a plain store taking the flag back it
 * believed no doorbell was coming, nothing emptied it, and the CPNIC's reader -- its
 * own poll over the socket, its wake pipe and the doorbell -- found it readable on
 * every turn and spun until the socket's look (every 5 ms) emptied it.  Both ways into
 * the race: an arm (interrupt mode) and a nap whose threshold CP's batch reached. */
TEST(vmlink_ring_doorbell_rung_between_flag_and_recheck_is_emptied)
{
	static const struct adapt_cfg c = { .enter_looks = 1, .enter_gap_ns = 1000000000ull,
					    .exit_empty = 1000000, .exit_idle_ns = 60000000000ull,
					    .nap_ns = 1000000ull };
	static struct pframe f[1];
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct rx_rec rec = { 0, 0 };
	struct bell_race br;
	unsigned turns;
	int sv[2];

	REQUIRE(ring_pair(&vm, &cp, sv, VML_TRANSPORT_RING) == 0);
	proxy = rec_nics(&vm, &cp, &nicport, &rec);
	REQUIRE(proxy != NULL);
	f[0] = bc_frame();
	br = (struct bell_race){ &cp, proxy, f, 4, 0 };
	vml_poll_policy(&vm, ADAPT_INTERRUPT, NULL);
	CHECK_EQ(vml_poll(&vm, 0), 0);		/* the socket's look: not due for 5 ms */
	/* The arm: CP takes the flag at once and rings; the reader does not sleep. */
	vm.ring.recheck_hook = bell_race_send;
	vm.ring.recheck_arg = &br;
	CHECK_EQ(vml_ring_wait_ns(&vm), 0);
	vm.ring.recheck_hook = NULL;
	CHECK_EQ(br.sent, 1u);
	CHECK_EQ(cp.ring.bells, 1);
	CHECK(bell_readable(&vm));
	CHECK(vm.bell_asked);			/* told: a doorbell to empty */
	CHECK(!vm.bell_out);
	/* The reader's turns (its poll returns at once: timeout 0, or the doorbell) until
	 * it may sleep with nothing readable; one turn takes the frame, empties the
	 * doorbell and arms. */
	for (turns = 0; turns < 100 && bell_readable(&vm); turns++)
		reader_turn(&vm);
	CHECK_EQ(turns, 1u);
	CHECK_EQ(rec.frames, 1);
	CHECK(!vm.bell_asked);
	CHECK(vm.bell_out);			/* armed for the sleep */
	CHECK(shr_armed(&vm.ring));
	/* That sleep is woken by CP's next frame, as ever. */
	CHECK_EQ(port_deliver(proxy, f, 1), 1);
	CHECK_EQ(cp.ring.bells, 2);
	CHECK(bell_readable(&vm));
	for (turns = 0; turns < 100 && bell_readable(&vm); turns++)
		reader_turn(&vm);
	CHECK_EQ(turns, 1u);
	CHECK_EQ(rec.frames, 2);
	/* The nap: CP's batch reaches the threshold between the flag and the re-check. */
	adapt_init(&vm.rxa, ADAPT_ADAPTIVE, &c);
	vml_ring_note(&vm, 1, true);		/* work: now polling */
	REQUIRE(adapt_polling(&vm.rxa));
	vml_ring_note(&vm, 0, false);		/* an empty poll: the next wait naps */
	br = (struct bell_race){ &cp, proxy, f, VML_RING_SLOTS, 0 };
	vm.ring.recheck_hook = bell_race_send;
	vm.ring.recheck_arg = &br;
	CHECK_EQ(vml_ring_wait_ns(&vm), 0);	/* the re-check refused the nap */
	vm.ring.recheck_hook = NULL;
	CHECK(br.sent > 1 && br.sent < VML_RING_SLOTS);
	CHECK_EQ(cp.ring.bells, 3);
	CHECK(vm.bell_asked);
	CHECK_EQ(vm.rxa.naps, 0u);
	for (turns = 0; turns < 100 && bell_readable(&vm); turns++)
		reader_turn(&vm);
	CHECK(turns >= 1 && turns <= 2);	/* 64 looks a turn; the batch may take two */
	CHECK(!bell_readable(&vm));
	CHECK(!vm.bell_asked);
	for (turns = 0; turns < 100 && rec.frames < 2 + br.sent; turns++)
		reader_turn(&vm);
	CHECK_EQ(rec.frames, 2 + br.sent);
	CHECK(!bell_readable(&vm));
	CHECK_EQ(cp.errors, 0);
	CHECK_EQ(vm.errors, 0);
	ring_unpair(&vm, &cp, sv);
}

/* A VM side that polls its ring (poll-only, or adaptive in a poll phase) while the ring
 * is idle still reads its socket: ring_spin hands the socket's look to vml_poll when
 * one falls due (or a message is there), and vml_poll must then look, not take that
 * for a drain loop's empty look that had its socket look a moment ago -- else LOGOFF,
 * FORCE, NIC changes and the peer's end would wait for ring traffic that never comes. */
TEST(vmlink_ring_polling_vm_side_reads_its_socket_while_the_ring_is_idle)
{
	struct vmlink vm, cp;
	struct port nicport, *proxy;
	struct rx_rec rec = { 0, 0 };
	uint64_t t0;
	int sv[2], rc = 0;
	unsigned calls = 0;

	REQUIRE(ring_pair(&vm, &cp, sv, VML_TRANSPORT_RING) == 0);
	proxy = rec_nics(&vm, &cp, &nicport, &rec);
	REQUIRE(proxy != NULL);
	vml_poll_policy(&vm, ADAPT_POLL, NULL);
	REQUIRE(shutdown(sv[1], SHUT_RDWR) == 0);	/* CP's end goes away */
	t0 = adapt_now_ns();
	while (calls < 2000 && adapt_now_ns() - t0 < 2000000000ull) {
		rc = vml_poll(&vm, 5);
		calls++;
		if (rc < 0)
			break;
	}
	CHECK_EQ(rc, -EPIPE);
	ring_unpair(&vm, &cp, sv);
}
