/* apps/afpkt.c - AF_PACKET with memory-mapped rings: the Linux bridge / Open vSwitch
 * baseline of cpnet-pktgen (no copy through send/recv, one system call per batch). */
#include "apps/afpkt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define BLOCK_SIZE (1u << 18)	/* 256 KiB */
#define TX_BLOCKS 16u
#define RX_BLOCKS 64u
#define RX_TIMEOUT_MS 2		/* a block is handed over at the latest after this */

struct afpkt {
	int tx_fd, rx_fd;
	/* TX: TPACKET_V2 frames */
	uint8_t *tx_map;
	size_t tx_len;
	uint32_t tx_frame, tx_nframes, tx_head;
	/* RX: TPACKET_V3 blocks */
	uint8_t *rx_map;
	size_t rx_len;
	uint32_t rx_block;
	uint64_t rx_drops;
};

static uint32_t frame_size(uint32_t frame_max)
{
	uint32_t need = frame_max + TPACKET_ALIGN(sizeof(struct tpacket2_hdr)) +
			(uint32_t)sizeof(struct sockaddr_ll) + 64, f = 2048;

	while (f < need)
		f <<= 1;
	return f;
}

static int bind_if(int fd, int ifindex, uint16_t proto)
{
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(proto);
	sll.sll_ifindex = ifindex;
	return bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ? -errno : 0;
}

static int open_tx(struct afpkt *a, int ifindex, uint32_t frame_max)
{
	struct tpacket_req req;
	int v = TPACKET_V2, one = 1;

	/* Protocol 0: this socket receives nothing. */
	a->tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (a->tx_fd < 0)
		return -errno;
	a->tx_frame = frame_size(frame_max);
	if (a->tx_frame > BLOCK_SIZE)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.tp_block_size = BLOCK_SIZE;
	req.tp_block_nr = TX_BLOCKS;
	req.tp_frame_size = a->tx_frame;
	req.tp_frame_nr = BLOCK_SIZE / a->tx_frame * TX_BLOCKS;
	a->tx_nframes = req.tp_frame_nr;
	if (setsockopt(a->tx_fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0 ||
	    setsockopt(a->tx_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0 ||
	    setsockopt(a->tx_fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0)
		return -errno;
	a->tx_len = (size_t)BLOCK_SIZE * TX_BLOCKS;
	a->tx_map = mmap(NULL, a->tx_len, PROT_READ | PROT_WRITE, MAP_SHARED, a->tx_fd, 0);
	if (a->tx_map == MAP_FAILED) {
		a->tx_map = NULL;
		return -errno;
	}
	return bind_if(a->tx_fd, ifindex, 0);
}

static int open_rx(struct afpkt *a, int ifindex, uint16_t ethertype, uint32_t frame_max)
{
	struct tpacket_req3 req;
	int v = TPACKET_V3;

	a->rx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (a->rx_fd < 0)
		return -errno;
	memset(&req, 0, sizeof(req));
	req.tp_block_size = BLOCK_SIZE;
	req.tp_block_nr = RX_BLOCKS;
	req.tp_frame_size = frame_size(frame_max);
	req.tp_frame_nr = BLOCK_SIZE / req.tp_frame_size * RX_BLOCKS;
	req.tp_retire_blk_tov = RX_TIMEOUT_MS;
	if (setsockopt(a->rx_fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0 ||
	    setsockopt(a->rx_fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		return -errno;
	a->rx_len = (size_t)BLOCK_SIZE * RX_BLOCKS;
	a->rx_map = mmap(NULL, a->rx_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED,
			 a->rx_fd, 0);
	if (a->rx_map == MAP_FAILED) {
		a->rx_map = mmap(NULL, a->rx_len, PROT_READ | PROT_WRITE, MAP_SHARED, a->rx_fd, 0);
		if (a->rx_map == MAP_FAILED) {
			a->rx_map = NULL;
			return -errno;
		}
	}
	/* Bound to the type only after the ring exists, so no frame takes the slow path. */
	return bind_if(a->rx_fd, ifindex, ethertype);
}

int afpkt_open(struct afpkt **out, const char *ifname, bool tx, bool rx, uint16_t ethertype,
	       uint32_t frame_max)
{
	struct afpkt *a;
	int ifindex, rc = 0;

	*out = NULL;
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->tx_fd = -1;
	a->rx_fd = -1;
	if (tx)
		rc = open_tx(a, ifindex, frame_max);
	if (rc == 0 && rx)
		rc = open_rx(a, ifindex, ethertype, frame_max);
	if (rc < 0) {
		afpkt_close(a);
		return rc;
	}
	*out = a;
	return 0;
}

static struct tpacket2_hdr *tx_slot(struct afpkt *a, uint32_t i)
{
	return (struct tpacket2_hdr *)(a->tx_map + (size_t)i * a->tx_frame);
}

int afpkt_send(struct afpkt *a, unsigned n, uint32_t len, void (*fill)(void *arg, uint8_t *buf),
	       void *arg)
{
	unsigned k = 0;

	if (!a->tx_map)
		return -EINVAL;
	if (len > a->tx_frame - TPACKET_ALIGN(sizeof(struct tpacket2_hdr)))
		return -EMSGSIZE;
	while (k < n) {
		struct tpacket2_hdr *h = tx_slot(a, a->tx_head);
		uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);

		if (st == TP_STATUS_WRONG_FORMAT)
			return -EBADMSG;
		if (st != TP_STATUS_AVAILABLE)
			break;
		fill(arg, (uint8_t *)h + TPACKET_ALIGN(sizeof(struct tpacket2_hdr)));
		h->tp_len = len;
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
		a->tx_head = (a->tx_head + 1) % a->tx_nframes;
		k++;
	}
	/* One call sends every requested slot (blocking: it returns when they went). */
	if (sendto(a->tx_fd, NULL, 0, 0, NULL, 0) < 0 && errno != ENOBUFS && errno != EAGAIN)
		return -errno;
	return (int)k;
}

int afpkt_recv(struct afpkt *a, int timeout_ms,
	       void (*cb)(void *arg, const uint8_t *f, uint32_t len), void *arg)
{
	int got = 0;

	if (!a->rx_map)
		return -EINVAL;
	for (unsigned b = 0; b < RX_BLOCKS; b++) {
		struct tpacket_block_desc *bd =
			(void *)(a->rx_map + (size_t)a->rx_block * BLOCK_SIZE);
		struct tpacket3_hdr *ph;
		uint32_t st = __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE);

		if (!(st & TP_STATUS_USER)) {
			struct pollfd pfd = { .fd = a->rx_fd, .events = POLLIN | POLLERR };

			if (got || poll(&pfd, 1, timeout_ms) <= 0)
				break;
			st = __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
			if (!(st & TP_STATUS_USER))
				break;
		}
		ph = (void *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
		for (uint32_t i = 0; i < bd->hdr.bh1.num_pkts; i++) {
			cb(arg, (uint8_t *)ph + ph->tp_mac, ph->tp_snaplen);
			got++;
			ph = (void *)((uint8_t *)ph + ph->tp_next_offset);
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		a->rx_block = (a->rx_block + 1) % RX_BLOCKS;
	}
	return got;
}

uint64_t afpkt_rx_drops(struct afpkt *a)
{
	struct tpacket_stats_v3 st;
	socklen_t l = sizeof(st);

	/* The kernel resets its counters at each read: keep the sum. */
	if (a->rx_fd >= 0 && getsockopt(a->rx_fd, SOL_PACKET, PACKET_STATISTICS, &st, &l) == 0)
		a->rx_drops += st.tp_drops;
	return a->rx_drops;
}

void afpkt_close(struct afpkt *a)
{
	if (!a)
		return;
	if (a->tx_map)
		munmap(a->tx_map, a->tx_len);
	if (a->rx_map)
		munmap(a->rx_map, a->rx_len);
	if (a->tx_fd >= 0)
		close(a->tx_fd);
	if (a->rx_fd >= 0)
		close(a->rx_fd);
	free(a);
}
