/* tests/fuzz/fuzz_applring.c - libFuzzer target: cpnetd's side of an application port's
 * receive handle (cp/appl.c) while the "program" writes arbitrary posts and indices. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cp/appl.h"
#include "cp/config.h"
#include "lib/shmring.h"
#include "tests/fuzz/drain_link.h"

/*
 * One cpnetd state for the run (a directory user APP1, a VSWITCH VSW) and one port on
 * a socketpair link with its ring (the region) offered: a fresh port per input made a
 * 16 MB link ring and a megabyte of link buffers each time, and faulted in and
 * unmapped their pages (~150-600 executions/s).  Each input starts with one handle
 * whose ring is empty, the port's round robin at its first handle and its next handle
 * id 1 past it, as on a fresh port: the handle the previous input left, reset in place
 * (shr_reset on cpnetd's side, the post slots cleared).  Opening one per input
 * (VML_HANDLE_OPEN: a memfd, two eventfds, a mapping, three fds over the link) was
 * most of what was left; an input that breaks its handle (cpnetd closes it) opens the
 * next one at its end, as a program does, so that what an input runs depends on it
 * alone.  cpnetd reads nothing of the region but what it just wrote there, nor of the
 * completion slots, so what earlier inputs left in them does not matter.  The harness
 * writes the handle's shared words as the program would,
 * through the peer accessors of cpnetd's own mapping.  Records: u8 op, u16 a, u32 b,
 * for op 3 up to 255 bytes (u8 length first):
 *	0: the posts' producer index := b	1: the completions' consumer index := b
 *	2: post descriptor a's length := b	3: bytes into post slot a
 *	4: a well-formed post {offset b % (region + 8 KB), length a}, published
 *	5: the LAN delivers a frame of a % 9100 + 1 bytes (b & 1: checksum left out,
 *	   b & 2: a large send of MSS b >> 16)
 *	6 (op byte 0xFF; other bytes are op % 6, as before op 6 came): post descriptor
 *	   a's flag word := b (SHR_DF_WRAP skips to the ring's end, others break it)
 * Invariants: no crash, no write outside the region (the info page stays cpnetd's:
 * magic, id, state), a broken handle is closed and counted.
 */
static struct cp *cp;
static struct vmlink cpl;
static struct appl_port *ap;
static int sv[2];
uint64_t fuzz_applring_filled;	/* frames that reached a buffer (for a driver's stats) */
static uint8_t frame[9200];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void handle_open(void);

static void setup(void)
{
	static const char dir[] = "USER APP1 PW G\n";
	static const char cfg[] = "DEFINE VSWITCH VSW ETHERNET\nMODIFY VSWITCH VSW GRANT APP1\n";
	struct vml_appl_logon a = { "APP1", "PW", "SYSTEM", "VSW", 0, 0, 64 << 10 };
	struct out o;

	cp = calloc(1, sizeof(*cp));
	must(cp != NULL);
	cp_init(cp, 1);
	out_init(&o);
	must(dir_parse(&cp->dir, "dir", dir, strlen(dir), &o) == 0);
	must(config_parse(cp, "cfg", cfg, strlen(cfg), &o) == 0);
	out_free(&o);
	must(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	must(vml_init(&cpl, sv[0], true) == 0);
	must(appl_register(cp, &cpl, &a, &ap) == 0);
	must(vml_ring_offer(&cpl) == 0 && ap->region);
	handle_open();
	/* An IPv4/TCP frame so that checksums and segmentation have something to do. */
	memset(frame, 0x5A, sizeof(frame));
	memcpy(frame, "\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	memcpy(frame + 14, "\x45\x00\x00\x00\x00\x00\x40\x00\x40\x06\x00\x00\x0a\x00\x00\x01"
			   "\x0a\x00\x00\x02", 20);
	frame[14 + 20 + 12] = 0x50;
}

static void info_intact(const struct appl_port *ap)
{
	uint32_t v;

	memcpy(&v, ap->region + APPL_INFO_MAGIC_OFF, 4);
	must(v == APPL_INFO_MAGIC);
	memcpy(&v, ap->region + APPL_INFO_ID_OFF, 4);
	must(v == ap->id);
	memcpy(&v, ap->region + APPL_INFO_STATE_OFF, 4);
	must(v == APPL_ACTIVE);
}

/* The program opens a handle (the port's first: slot 0, id 1). */
static void handle_open(void)
{
	uint8_t m[VML_HDR_SIZE + VML_HANDLE_OPEN_SIZE];
	struct vml_hdr h = { VML_HANDLE_OPEN, APPL_VDEV, 1 };

	ap->next_hid = 0;
	must(vml_handle_open_encode(APPL_VDEV, 1, 64, m, sizeof(m)) > 0);
	must(appl_ctl(ap, &h, m, sizeof(m)) == 1 && ap->h[0].used && ap->h[0].id == 1);
	drain_link(sv[1]);	/* the reply and the ring's fds */
}

/* Handle 0 with both queues empty and no post bytes, as just opened.  The port holds
 * no other handle, and the info page lists just what it holds. */
static void handle_ready(void)
{
	struct shring *r = &ap->h[0].ring;

	must(ap->h[0].used);
	shr_reset(r);
	for (uint32_t i = 0; i < r->nslots; i++)
		memset(shr_peer_slot(r, 1, i), 0, APPL_ENTRY);
	ap->rr = 0;
	for (unsigned k = 0; k < APPL_MAX_HANDLES; k++) {
		uint32_t id;

		memcpy(&id, ap->region + APPL_INFO_HANDLES_OFF + 4 * k, 4);
		must(k ? !ap->h[k].used && id == 0 : id == ap->h[0].id);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shring *r;
	size_t off = 0;
	uint64_t broke0;

	if (!cp)
		setup();
	handle_ready();
	broke0 = ap->bad[APPL_BAD_RING];
	r = &ap->h[0].ring;
	while (off + 7 <= size) {
		uint8_t op = data[off] == 0xFF ? 6 : data[off] % 6;
		uint16_t x = (uint16_t)(data[off + 1] | data[off + 2] << 8);
		uint32_t y = (uint32_t)data[off + 3] | (uint32_t)data[off + 4] << 8 |
			     (uint32_t)data[off + 5] << 16 | (uint32_t)data[off + 6] << 24;

		off += 7;
		if (!ap->h[0].used && op != 5)
			continue;	/* the handle broke: only deliveries are left */
		switch (op) {
		case 0:
			*shr_peer_prod(r, 1) = y;
			break;
		case 1:
			*shr_peer_cons(r, 0) = y;
			break;
		case 2:
			*shr_peer_len(r, 1, x) = y;
			break;
		case 6:
			*shr_peer_flags(r, 1, x) = y;
			break;
		case 3: {
			size_t n = off < size ? data[off++] : 0;

			if (n > size - off)
				n = size - off;
			if (n > APPL_ENTRY)
				n = APPL_ENTRY;
			memcpy(shr_peer_slot(r, 1, x), data + off, n);
			off += n;
			break;
		}
		case 4: {
			uint32_t p = *shr_peer_prod(r, 1);
			/* Mostly near the region, where the checks have work to do;
			 * anything else comes from op 3's raw bytes. */
			uint64_t o64 = y % (ap->region_size + 8192);
			uint32_t l32 = x;
			uint8_t *s = shr_peer_slot(r, 1, p);

			memcpy(s + APPL_POST_OFF, &o64, 8);
			memcpy(s + APPL_POST_LEN, &l32, 4);
			*shr_peer_len(r, 1, p) = APPL_POST_SIZE;
			__atomic_store_n(shr_peer_prod(r, 1), p + 1, __ATOMIC_RELEASE);
			break;
		}
		case 5: {
			uint32_t len = x % 9100u + 1;
			struct qdio_span sp = { frame, len };
			struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH,
					    .cast = PF_BROADCAST, .len = len };

			if (y & 1)
				f.csum = PF_CSUM_PARTIAL;
			if (y & 2)
				f.gso_size = (uint16_t)(y >> 16);
			unsigned took = port_deliver(ap->port, &f, 1);

			must(took <= 1);
			fuzz_applring_filled += took;
			info_intact(ap);
			if (!ap->h[0].used)
				must(ap->bad[APPL_BAD_RING] == broke0 + 1);
			break;
		}
		}
	}
	info_intact(ap);
	if (!ap->h[0].used)
		handle_open();
	return 0;
}
