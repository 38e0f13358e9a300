/* tests/fuzz/fuzz_vhost.c - libFuzzer target: cpnet-vhost's hostile inputs -- vhost-user
 * messages from QEMU (vhost/vumsg, vudev) and guest memory under the rings (vhost/vring). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost/vudev.h"

#define RAM 0x10000u
#define GPA 0x0ull
#define UVA 0x40000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sv[2] = { -1, -1 };
static int ramfd = -1;
static struct vumem mem;	/* the guest RAM for the ring mode, mapped once */

static void init(void)
{
	struct vu_memtable t = { 1 };
	int fd;

	if (ramfd >= 0)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	ramfd = memfd_create("fuzz-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (ramfd < 0 || ftruncate(ramfd, RAM) < 0 ||
	    fcntl(ramfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0)
		abort();
	t.r[0] = (struct vu_region){ GPA, RAM, UVA, 0 };
	fd = fcntl(ramfd, F_DUPFD_CLOEXEC, 0);
	if (vumem_set(&mem, &t, &fd) < 0)
		abort();
}

static void drain(void)
{
	uint8_t b[512];

	while (read(sv[0], b, sizeof(b)) > 0)
		;
}

/* Take what a ring offers, as cpnet-vhost does, and check every segment is in RAM. */
static void run_ring(struct vq *q, struct vumem *m, bool rx)
{
	static uint8_t bounce[2048];
	struct vnet_ol ol;
	static const uint8_t frame[65536];
	struct vq_seg seg[VQ_MAX_SEGS];
	const uint8_t *f;
	unsigned ns;
	uint32_t total;
	uint16_t head;
	int rc;

	for (unsigned k = 0; k < 2u * VQ_MAX_SIZE && k < 600; k++) {
		if (rx) {
			/* Small frames and large sends, one chain or mergeable buffers. */
			uint8_t h[VNET_HDR_SIZE] = { 0 };

			rc = vnet_rx_put(q, m, h, frame, k % 5 ? 60 + (k % 1400) : 65536 - k,
					 k & 1);
			if (rc == 0 || rc == -EBADF)
				break;
			if (k % 7 == 0)
				(void)vq_publish(q);
			continue;
		}
		rc = vq_pop(q, m, rx, &head, seg, &ns, &total);
		if (rc == 0 || rc == -EBADF)
			break;
		if (ns > VQ_MAX_SEGS || head >= q->num)
			abort();
		if (rc == 1 && !rx && vnet_tx_frame(q, seg, ns, total, VU_FEATURES, bounce, sizeof(bounce), &f,
						&ol) > 0)
			(void)f[0];
		vq_push(q, head, rc == 1 ? total : 0);
		if (k % 7 == 0)
			(void)vq_publish(q);
	}
	(void)vq_publish(q);
	(void)vq_kicks_on(q);
	vq_kicks_off(q);
}

static void messages(const uint8_t *p, size_t n)
{
	struct vudev d;
	static struct vu_msg m;

	vudev_init(&d, sv[1]);
	while (n >= VU_HDR_SIZE + 1) {
		unsigned nfds = p[VU_HDR_SIZE] % (VU_MAX_FDS + 1);

		memset(&m, 0, sizeof(m));
		if (vu_hdr_decode(p, n, &m.h) < 0)
			break;
		p += VU_HDR_SIZE + 1;
		n -= VU_HDR_SIZE + 1;
		if (m.h.size > n)
			m.h.size = (uint32_t)n;
		memcpy(m.payload, p, m.h.size);
		p += m.h.size;
		n -= m.h.size;
		for (unsigned i = 0; i < nfds; i++)
			m.fds[m.nfds++] = fcntl(ramfd, F_DUPFD_CLOEXEC, 0);
		if (vudev_handle(&d, &m) < 0) {
			drain();
			break;
		}
		drain();
	}
	for (unsigned q = 0; q < VU_MAX_QUEUES; q++)
		if (vudev_ring_live(&d, q))
			run_ring(&d.ring[q].q, &d.mem, q == VU_RXQ);
	d.sock = -1;	/* the socket is shared by every run */
	vudev_free(&d);
}

static void rings(const uint8_t *p, size_t n)
{
	uint8_t *ram = vumem_gpa(&mem, GPA, RAM, true);
	struct vq q;
	uint16_t num;
	uint64_t desc, avail, used;

	if (n < 8)
		return;
	num = (uint16_t)(1u << (p[0] % 9));
	desc = (uint64_t)(p[1] & 0xF0) << 8;
	avail = ((uint64_t)p[2] << 8) & ~1ull;
	used = ((uint64_t)p[3] << 8 | (p[4] & 0xFC));
	memset(ram, 0, RAM);
	memcpy(ram, p + 8, n - 8 < RAM ? n - 8 : RAM);
	if (vq_setup(&q, &mem, num, UVA + desc, UVA + avail, UVA + used, (uint16_t)(p[5] | p[6] << 8),
		     p[7] & 1) < 0)
		return;
	run_ring(&q, &mem, p[7] & 2);
	/* The RX header over arbitrary headers (the guest's RAM as a frame), every kind
	 * of offload and feature set. */
	{
		uint8_t h[VNET_HDR_SIZE];
		struct vnet_ol ol = { (uint16_t)(p[5] | p[6] << 8), p[7] & 4, p[7] & 8 };
		uint64_t f = p[7] & 16 ? VU_FEATURES : VU_FEATURES & ~(1ull << (p[4] % 10));

		(void)vnet_rx_hdr(h, ram, (uint32_t)(n - 8 < RAM ? n - 8 : RAM), &ol, f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	if (!size)
		return 0;
	if (data[0] & 1)
		rings(data + 1, size - 1);
	else
		messages(data + 1, size - 1);
	return 0;
}
