/* tests/fuzz/fuzz_vmring.c - libFuzzer target: either end of a vmlink ring (cpnetd's, or a
 * VM's with a real NIC) while the harness, as the peer, writes arbitrary indices, lengths and slots. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "driver/guest.h"
#include "lib/shmring.h"
#include "qdio/queue.h"
#include "tests/fuzz/drain_link.h"
#include "tests/fuzz/small_quarantine.h"
#include "vnic/vmlink.h"

/*
 * Two modes, chosen by the input:
 *
 * CP mode (every input that does not start with "VMRX": the corpus from before the VM
 * mode keeps its meaning).  One link and one ring for the whole run: cpnetd's vmlink
 * (CP side) offers the ring once, the harness attaches to it as the VM would and
 * answers the ACK.  An input of odd length has the frames taken in place (rx_in_place:
 * only the header and metadata copied, the frame's span in the slot) into a sink, so
 * both ways of parsing an entry see the same garbage.
 *
 * VM mode (an input that starts with "VMRX"; the records follow).  The link under test
 * is a VM's (as in the Hercules CPNIC or cpnet-guest): rx_in_place as vml_init sets it,
 * its NIC 0600 a real one (vnic, layer 2) with a guest (driver/guest: its qeth driver
 * online, QDIO input buffers primed in guest storage), so the in-place path runs as it
 * does there -- shr_rx_ref, the frame's bytes copied by the NIC from the slot into the
 * input buffers (qdio_ad_in_put through lib/gstor.h), the slots given back after.  The
 * harness plays cpnetd: a CP-side vmlink made and offered the ring (and answered the
 * guest's registrations while it came online, in a thread, once); the harness then
 * writes its ring directly.  The guest takes what the NIC put in its buffers after
 * every look (its driver hands them back), its stack not involved (nothing sent back).
 * Invariants there too: at the NIC's delivery every frame lies inside the ring's slots
 * and the shared consumer index has not moved (nothing given back before it is
 * delivered); the guest gets no frame over 65536 bytes and no more than the NIC took.
 * Separate harness or mode: a mode, so that both share the records and a mutation can
 * carry an input from one side to the other.
 *
 * Each input starts on its ring reset in place (shr_reset on both sides, and the slot
 * bytes the previous input wrote cleared), which is the ring as just offered: a fresh
 * memfd per input spent most of its time faulting in the pages that cpnetd's frames
 * touched and unmapping them again (~100-400 executions/s).  Then records, the same
 * in both modes, "the peer" being the harness (the VM in CP mode, cpnetd in VM mode):
 *	u8 op, u16 a, u32 b, then for op 3 and 4 up to 255 bytes (u8 length first)
 *	0: the peer's producer index := b	1: the peer's consumer index seen := b
 *	2: descriptor a's length := b		3: bytes into slot a at offset b % 256
 *	4: a well-formed frame of the given bytes (as the peer would put it), published
 *	5: the link under test sends a % 256 frames to the peer (CP mode: cpnetd fills
 *	   the CP -> VM queue, OP5_MAX per input; VM mode: the VM sends as many as fit,
 *	   then the harness takes them)
 *	6: publish the harness's puts as they are
 *	7 (op byte 0xFE): descriptor a's flag word := b
 *	8 (op byte 0xFF): a well-formed frame of b % 9200 + 1 bytes (as many slots as it
 *	   takes, after a wrap entry when it would pass the ring's end), published
 *	(other op bytes: op % 7, as before ops 7 and 8 came)
 * After each record the link under test takes what is there (vml_poll_ring).
 * Invariants: no crash, every frame delivered is <= 65536 bytes, a broken ring stays
 * broken with a reason.  Nobody rewrites a slot while it is read.
 */
#define VDEV 0x0600
#define FUZZ_SLOTS 128
/* What one input may have cpnetd send the VM (op 5) and hold for it: enough to fill the
 * ring twice over and reach the port's queue storage limit (HOLD_LIMIT bytes of 60-byte
 * frames beyond the ring), not more -- a long input that queued up to 255 frames per
 * record into a megabyte of queue storage ran at 420 executions/s instead of ~10 000,
 * with nothing new to find after the limit. */
#define HOLD_LIMIT (16u << 10)
#define OP5_MAX (4u * FUZZ_SLOTS + HOLD_LIMIT / 60u + 64u)
static const uint8_t VM_MAGIC[4] = { 'V', 'M', 'R', 'X' };
static uint64_t delivered;
static struct vmlink cpl;	/* CP mode: cpnetd's link, under test */
static struct shring vm;	/* CP mode: the harness's handle, side B */
static struct vmlink vml;	/* VM mode: the VM's link, under test */
static struct vmlink cpv;	/* VM mode: the CP-side link that offered; the harness
				 * writes its ring (side A) directly */
static uint8_t big[9200];

/* One mode's ends: the link under test, the harness's handle on the same ring and the
 * queue the harness produces into, and the slots of it this input wrote (ops 3, 4, 8:
 * cleared for the next input; what lies elsewhere stays zero all run). */
struct end {
	struct vmlink *dut;
	struct shring *h;
	unsigned q;
	uint64_t dirty[SHR_MAX_SLOTS / 64];
};
static struct end cp_end = { &cpl, &vm, 1, { 0 } };
static struct end vm_end = { &vml, &cpv.ring, 0, { 0 } };

static void dirty(struct end *e, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i != to; i++)
		e->dirty[(i & (e->h->nslots - 1)) / 64] |= 1ull << (i & 63);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void sink_tx(void *peer, struct port *from, const struct pframe *f, unsigned n)
{
	uint8_t buf[64];

	(void)peer;
	(void)from;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = f[i].spans[0].ptr, *slots = cpl.ring.rxs;
		size_t area = (size_t)cpl.ring.nslots * cpl.ring.slot_size;

		must(f[i].len <= 65536);
		/* A frame taken in place lies inside the VM's slots; a copied one in the
		 * link's buffer. */
		must(f[i].nspans == 1 &&
		     ((cpl.rx_in_place && p >= slots && p <= slots + area &&
		       f[i].len <= (size_t)(slots + area - p)) ||
		      (p >= cpl.buf && p <= cpl.buf + (size_t)VML_RX_BATCH * VML_MAX_MSG &&
		       f[i].len <= (size_t)(cpl.buf + (size_t)VML_RX_BATCH * VML_MAX_MSG - p))));
		must(qdio_spans_copy(f[i].spans, f[i].nspans, 0, buf,
				     f[i].len < sizeof(buf) ? f[i].len : sizeof(buf)) ==
		     (f[i].len < sizeof(buf) ? f[i].len : sizeof(buf)));
		delivered++;
	}
}

static uint16_t sink_addr(void *peer, struct port *from, const struct paddr *a)
{
	(void)peer;
	(void)from;
	(void)a;
	return 0;
}

static const struct port_ops sink_ops = { sink_tx, sink_addr };

static int sv[2] = { -1, -1 };

/* The link and its ring, as cpnetd offers it after LOGON and the VM takes it. */
static void link_up(void)
{
	uint8_t ack[VML_HDR_SIZE + VML_RING_ACK_SIZE];
	int fds[3], dups[3], n;

	must(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	must(vml_init(&cpl, sv[1], true) == 0);
	/* cpnetd's slots, fewer of them than a VM's 4096: inputs reach a full queue and
	 * the wrap at the ring's end (a large frame takes up to 33 of 128) in a few
	 * records. */
	cpl.ring_nslots = FUZZ_SLOTS;
	must(vml_ring_offer(&cpl) == 0);
	shr_fds(&cpl.ring, fds);
	for (int i = 0; i < 3; i++)
		dups[i] = dup(fds[i]);
	must(shr_attach(&vm, dups) == 0);
	n = vml_simple_encode(VML_RING_ACK, 0, 0, VML_RING_TAKEN, ack, sizeof(ack));
	must(n > 0 && write(sv[0], ack, (size_t)n) == n);
	must(vml_poll(&cpl, 0) == 1 && cpl.ring_tx);
	drain_link(sv[0]);
}

/* The ring as just offered and taken.  Nothing in an input closes it (cpnetd gives a
 * broken ring up only by dropping the link, which is not this harness's to do; nor
 * does the VM's side here). */
static void ring_reset(struct end *e)
{
	must(e->dut->ring_on && e->dut->ring_tx);
	shr_reset(&e->dut->ring);
	shr_reset(e->h);
	for (uint32_t w = 0; w < e->h->nslots / 64; w++)
		for (; e->dirty[w]; e->dirty[w] &= e->dirty[w] - 1)
			memset(shr_peer_slot(e->h, e->q,
					     w * 64 + (uint32_t)__builtin_ctzll(e->dirty[w])),
			       0, e->h->slot_size);
}

/* ---- VM mode: the VM's link with a real NIC and guest ----------------------------- */

static struct nicbk nic;
static struct guest guest;
static unsigned (*nic_rx)(void *owner, struct port *p, const struct pframe *f, unsigned n);
static void *nic_owner;
static uint32_t cons_before;	/* queue 0's shared consumer index before the look */
static uint64_t nic_took, guest_got;	/* over the whole run */
static uint8_t out_msg[VML_MAX_MSG];

/* Between the VM's link and its NIC: every frame in place, inside the ring's slots,
 * and none of the batch given back yet; then the NIC's own delivery. */
static unsigned vm_nic_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	const uint8_t *slots = vml.ring.rxs;
	size_t area = (size_t)vml.ring.nslots * vml.ring.slot_size;
	unsigned took;

	(void)owner;
	must(__atomic_load_n(shr_peer_cons(&vml.ring, 0), __ATOMIC_ACQUIRE) == cons_before);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *q = f[i].spans[0].ptr;

		must(f[i].len <= 65536 && f[i].nspans == 1 && f[i].spans[0].len == f[i].len &&
		     q >= slots && q <= slots + area && f[i].len <= (size_t)(slots + area - q));
	}
	took = nic_rx(nic_owner, p, f, n);
	must(took <= n);
	nic_took += took;
	delivered += n;
	return took;
}

/* The guest's qeth driver found a frame in an input buffer. */
/* Every byte the guest is handed is read (the frame may lie in place in its input
 * buffer: ASan sees a span that runs past it). */
static volatile uint8_t guest_sum;

static void guest_rx(void *ctx, const uint8_t *qhdr, const uint8_t *data, uint32_t len)
{
	uint8_t x = 0;

	(void)ctx;
	(void)qhdr;
	must(len <= 65536);
	for (uint32_t i = 0; i < len; i++)
		x ^= data[i];
	guest_sum ^= x;
	guest_got++;
}

static uint16_t answer_addr(void *peer, struct port *from, const struct paddr *a)
{
	(void)peer;
	(void)from;
	(void)a;
	return 0;
}

static void cp_sink_tx(void *peer, struct port *from, const struct pframe *f, unsigned n)
{
	(void)peer;
	(void)from;
	(void)f;
	(void)n;
}

static const struct port_ops answer_ops = { cp_sink_tx, answer_addr };
static volatile int answering;

static void *cp_answer(void *arg)
{
	(void)arg;
	while (answering)
		vml_poll(&cpv, 1);
	return NULL;
}

/* cpnetd offers a ring of FUZZ_SLOTS to the VM's link, which takes it; the NIC and
 * its guest come online (the registrations answered by cpnetd's side in a thread). */
static void vm_link_up(void)
{
	struct guest_if *gi;
	struct nic_cfg cfg;
	struct port *proxy;
	pthread_t th;
	int s2[2];

	must(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s2) == 0);
	must(vml_init(&vml, s2[0], false) == 0 && vml.rx_in_place);
	vml.transport = VML_TRANSPORT_RING;
	must(vml_init(&cpv, s2[1], true) == 0);
	cpv.ring_nslots = FUZZ_SLOTS;
	must(vml_ring_offer(&cpv) == 0);
	must(vml_poll(&vml, 100) == 1 && vml.ring_tx);
	must(vml_poll(&cpv, 100) == 1 && cpv.ring_tx);
	memset(&cfg, 0, sizeof(cfg));
	cfg.base_devno = VDEV;
	cfg.ndev = 3;
	cfg.chpid = 0x06;
	cfg.mac[0] = 2;
	cfg.mac[5] = 0x21;
	cfg.vm_nic = true;
	must(nic_create(&nic, &cfg) == 0);
	must(guest_create(&guest, 0) == 0);
	must(guest_attach_nic(&guest, &nic, VDEV, 2, &gi) == 0);
	must(vml_add_nic(&vml, VDEV, &nic.port) != NULL);
	proxy = vml_add_nic(&cpv, VDEV, NULL);
	must(proxy != NULL);
	proxy->ops = &answer_ops;
	answering = 1;
	must(pthread_create(&th, NULL, cp_answer, NULL) == 0);
	must(guest_if_online(gi) == 0);
	answering = 0;
	pthread_join(th, NULL);
	/* The driver's receive without the stack: nothing goes back to the ring. */
	gi->drv.cfg.rx = guest_rx;
	gi->drv.cfg.rx_ctx = NULL;
	nic_rx = nic.port.rx;
	nic_owner = nic.port.owner;
	nic.port.rx = vm_nic_rx;
	drain_link(s2[1]);	/* nothing of cpnetd's side reads its socket from here on */
}

/* VM mode's op 5: the VM sends up to n 60-byte frames, as many as the ring has room
 * for (a full ring would hold it in timed waits), then the harness takes them. */
static void vm_sends(unsigned n)
{
	uint8_t frame[60];
	struct qdio_span sp = { frame, sizeof(frame) };
	struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH, .len = sizeof(frame) };
	uint32_t room = shr_tx_room(&vml.ring);

	memset(frame, 0xFF, sizeof(frame));
	for (unsigned i = 0; i < n && i < room; i++)
		vml_ring_tx(&vml, VDEV, &f, 1, 0, true);
	while (shr_rx_get(&cpv.ring, out_msg, sizeof(out_msg)) > 0)
		;
	shr_rx_done(&cpv.ring);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool vm_mode = size >= sizeof(VM_MAGIC) && !memcmp(data, VM_MAGIC, sizeof(VM_MAGIC));
	struct end *e = vm_mode ? &vm_end : &cp_end;
	struct port *proxy = NULL;
	uint8_t frame[300];
	size_t off = vm_mode ? sizeof(VM_MAGIC) : 0;
	enum shr_break was = SHR_OK;
	unsigned queued = 0;

	if (vm_mode && !vml.ring_on)
		vm_link_up();
	else if (!vm_mode && sv[0] < 0)
		link_up();
	else
		ring_reset(e);
	if (!vm_mode) {
		must(cpl.ring_ack == VML_RING_TAKEN);
		cpl.rx_in_place = size & 1;
		proxy = vml_add_nic(&cpl, VDEV, NULL);
		must(proxy != NULL);
		proxy->ops = &sink_ops;
		proxy->rxq_limit = HOLD_LIMIT;
	}

	while (off + 7 <= size) {
		uint8_t op = data[off] == 0xFE ? 7 : data[off] == 0xFF ? 8 : data[off] % 7;
		uint16_t a = (uint16_t)(data[off + 1] << 8 | data[off + 2]);
		uint32_t b = (uint32_t)data[off + 3] << 24 | (uint32_t)data[off + 4] << 16 |
			     (uint32_t)data[off + 5] << 8 | data[off + 6];
		const uint8_t *bytes = NULL;
		size_t blen = 0;
		int r;

		off += 7;
		if (op == 3 || op == 4) {
			if (off >= size)
				break;
			blen = data[off++];
			if (blen > size - off)
				blen = size - off;
			bytes = data + off;
			off += blen;
		}
		switch (op) {
		case 0:
			__atomic_store_n(shr_peer_prod(e->h, e->q), b, __ATOMIC_RELEASE);
			break;
		case 1:
			__atomic_store_n(shr_peer_cons(e->h, !e->q), b, __ATOMIC_RELEASE);
			break;
		case 2:
			__atomic_store_n(shr_peer_len(e->h, e->q, a), b, __ATOMIC_RELAXED);
			break;
		case 3:
			memcpy(shr_peer_slot(e->h, e->q, a) + b % 256, bytes, blen);
			dirty(e, a, a + 1u);
			break;
		case 4:
		case 8: {
			uint32_t len = op == 4 ? (uint32_t)blen : b % sizeof(big) + 1;
			struct qdio_span sp = { op == 4 ? bytes : big, len };
			struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH, .len = len };
			uint32_t p0 = e->h->tx_prod;
			uint8_t *slot;

			if (len && shr_tx_reserve(e->h, VML_HDR_SIZE + VML_FRAME_META + len, false,
						  &slot) == 0) {
				r = vml_frame_encode(VDEV, &f, slot, VML_HDR_SIZE + VML_FRAME_META + len);
				must(r > 0);
				shr_tx_put(e->h, (uint32_t)r);
				shr_tx_publish(e->h);
				dirty(e, p0, e->h->tx_prod);
			}
			break;
		}
		case 7:
			__atomic_store_n(shr_peer_flags(e->h, e->q, a), b, __ATOMIC_RELAXED);
			break;
		case 5: {
			struct qdio_span sp = { frame, 60 };
			struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH, .len = 60 };

			if (vm_mode) {
				vm_sends(a & 0xFFu);
				break;
			}
			memset(frame, 0xFF, sizeof(frame));
			for (unsigned i = 0; i < (a & 0xFFu) && queued < OP5_MAX; i++, queued++)
				port_deliver(proxy, &f, 1);
			break;
		}
		case 6:
			shr_tx_publish(e->h);
			break;
		}
		cons_before = __atomic_load_n(shr_peer_cons(e->h, e->q), __ATOMIC_ACQUIRE);
		r = vml_poll_ring(e->dut);
		if (vm_mode && r > 0)
			guest_poll(&guest);	/* the driver hands the buffers back */
		if (was) {
			must(r == -EPIPE && e->dut->ring.broken == was);	/* broken for good */
		} else if (r < 0) {
			must(r == -EPIPE && e->dut->ring.broken > SHR_OK &&
			     e->dut->ring.broken < SHR_BREAK_MAX);
			was = e->dut->ring.broken;
		}
	}
	if (vm_mode) {
		guest_poll(&guest);
		must(guest_got <= nic_took);	/* over the run: a frame may arrive later */
		return 0;
	}
	vml_del_nic(&cpl, VDEV);
	/* Whatever the input sent the VM went through the ring or was dropped: nothing
	 * of it waits on the socket. */
	drain_link(sv[0]);
	return 0;
}
