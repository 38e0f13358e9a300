/* tests/fuzz/fuzz_vmring.c - libFuzzer target: cpnetd's side of a vmlink ring while the
 * "VM" (this harness, attached as side B) writes arbitrary indices, lengths and slots. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/shmring.h"
#include "qdio/queue.h"
#include "tests/fuzz/drain_link.h"
#include "tests/fuzz/small_quarantine.h"
#include "vnic/vmlink.h"

/*
 * One link and one ring for the whole run: cpnetd's vmlink (CP side) offers the ring
 * once, the harness attaches to it as the VM would and answers the ACK.  Each input
 * then starts on that ring reset in place (shr_reset on both sides, and the VM's slot
 * bytes the previous input wrote cleared), which is the ring as just offered: a fresh
 * memfd per input spent most of its time faulting in the pages that cpnetd's frames
 * touched and unmapping them again (~100-400 executions/s).  Then records:
 *	u8 op, u16 a, u32 b, then for op 3 and 4 up to 255 bytes (u8 length first)
 *	0: the VM's producer index := b		1: cpnetd's consumer index seen := b
 *	2: descriptor a's length := b		3: bytes into slot a at offset b % 256
 *	4: a well-formed frame of the given bytes (as a VM would put it), published
 *	5: cpnetd sends a % 256 frames to the VM (fills the CP -> VM queue; OP5_MAX
 *	   per input)
 *	6: publish the harness's puts as they are
 *	7 (op byte 0xFE): descriptor a's flag word := b
 *	8 (op byte 0xFF): a well-formed frame of b % 9200 + 1 bytes (as many slots as it
 *	   takes, after a wrap entry when it would pass the ring's end), published
 *	(other op bytes: op % 7, as before ops 7 and 8 came)
 * An input of odd length has the frames taken in place (rx_in_place: only the header and
 * metadata copied, the frame's span in the slot -- the VM side's way; cpnetd copies the
 * whole entry), so both ways of parsing an entry see the same garbage.  Only the parse:
 * the frames go to a sink here, not into a NIC's input buffers as on a VM's side, and
 * nobody rewrites a slot while it is read.
 * After each record cpnetd takes what is there (vml_poll_ring).  Invariants: no crash,
 * every frame delivered is <= 65536 bytes, a broken ring stays broken with a reason.
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
static uint64_t delivered;
static struct vmlink cpl;
static struct shring vm;
/* The VM's slots this input wrote (ops 3, 4, 8): cleared for the next input.  What
 * lies elsewhere stays zero all run. */
static uint64_t vm_dirty[SHR_MAX_SLOTS / 64];
static uint8_t big[9200];

static void dirty(uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i != to; i++)
		vm_dirty[(i & (vm.nslots - 1)) / 64] |= 1ull << (i & 63);
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
 * broken ring up only by dropping the link, which is not this harness's to do). */
static void ring_reset(void)
{
	must(cpl.ring_on && cpl.ring_tx && cpl.ring_ack == VML_RING_TAKEN);
	shr_reset(&cpl.ring);
	shr_reset(&vm);
	for (uint32_t w = 0; w < vm.nslots / 64; w++)
		for (; vm_dirty[w]; vm_dirty[w] &= vm_dirty[w] - 1)
			memset(shr_peer_slot(&vm, 1, w * 64 + (uint32_t)__builtin_ctzll(vm_dirty[w])),
			       0, vm.slot_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct port *proxy;
	uint8_t frame[300];
	size_t off = 0;
	enum shr_break was = SHR_OK;
	unsigned queued = 0;

	if (sv[0] < 0)
		link_up();
	else
		ring_reset();
	cpl.rx_in_place = size & 1;
	proxy = vml_add_nic(&cpl, VDEV, NULL);
	must(proxy != NULL);
	proxy->ops = &sink_ops;
	proxy->rxq_limit = HOLD_LIMIT;

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
			__atomic_store_n(shr_peer_prod(&vm, 1), b, __ATOMIC_RELEASE);
			break;
		case 1:
			__atomic_store_n(shr_peer_cons(&vm, 0), b, __ATOMIC_RELEASE);
			break;
		case 2:
			__atomic_store_n(shr_peer_len(&vm, 1, a), b, __ATOMIC_RELAXED);
			break;
		case 3:
			memcpy(shr_peer_slot(&vm, 1, a) + b % 256, bytes, blen);
			dirty(a, a + 1u);
			break;
		case 4:
		case 8: {
			uint32_t len = op == 4 ? (uint32_t)blen : b % sizeof(big) + 1;
			struct qdio_span sp = { op == 4 ? bytes : big, len };
			struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH, .len = len };
			uint32_t p0 = vm.tx_prod;
			uint8_t *slot;

			if (len && shr_tx_reserve(&vm, VML_HDR_SIZE + VML_FRAME_META + len, false,
						  &slot) == 0) {
				r = vml_frame_encode(VDEV, &f, slot, VML_HDR_SIZE + VML_FRAME_META + len);
				must(r > 0);
				shr_tx_put(&vm, (uint32_t)r);
				shr_tx_publish(&vm);
				dirty(p0, vm.tx_prod);
			}
			break;
		}
		case 7:
			__atomic_store_n(shr_peer_flags(&vm, 1, a), b, __ATOMIC_RELAXED);
			break;
		case 5: {
			struct qdio_span sp = { frame, 60 };
			struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH, .len = 60 };

			memset(frame, 0xFF, sizeof(frame));
			for (unsigned i = 0; i < (a & 0xFFu) && queued < OP5_MAX; i++, queued++)
				port_deliver(proxy, &f, 1);
			break;
		}
		case 6:
			shr_tx_publish(&vm);
			break;
		}
		r = vml_poll_ring(&cpl);
		if (was) {
			must(r == -EPIPE && cpl.ring.broken == was);	/* broken for good */
		} else if (r < 0) {
			must(r == -EPIPE && cpl.ring.broken > SHR_OK &&
			     cpl.ring.broken < SHR_BREAK_MAX);
			was = cpl.ring.broken;
		}
	}
	vml_del_nic(&cpl, VDEV);
	/* Whatever the input sent the VM went through the ring or was dropped: nothing
	 * of it waits on the socket. */
	drain_link(sv[0]);
	return 0;
}
