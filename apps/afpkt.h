/* apps/afpkt.h - Linux's fastest plain packet path for the baseline: AF_PACKET with
 * PACKET_MMAP rings (TPACKET_V2 transmit, TPACKET_V3 receive) on one interface. */
#ifndef CPNET_APPS_AFPKT_H
#define CPNET_APPS_AFPKT_H

#include <stdbool.h>
#include <stdint.h>

struct afpkt;

/*
 * Open `ifname` for transmit (a TX ring, queueing discipline bypassed) and/or receive
 * (an RX ring for frames of `ethertype` only), frames up to frame_max bytes.
 * 0 with *out set, or -errno (-ENODEV: no such interface; -EPERM: not root).
 */
int afpkt_open(struct afpkt **out, const char *ifname, bool tx, bool rx, uint16_t ethertype,
	       uint32_t frame_max);
/* Fill up to n free TX slots (fill(arg, buf) writes len bytes) and have the kernel
 * send them.  Returns how many went (0: the ring is full) or -errno. */
int afpkt_send(struct afpkt *a, unsigned n, uint32_t len, void (*fill)(void *arg, uint8_t *buf),
	       void *arg);
/* Frames received, each to cb; waits up to timeout_ms for the first.  Returns how
 * many (0 on timeout) or -errno. */
int afpkt_recv(struct afpkt *a, int timeout_ms,
	       void (*cb)(void *arg, const uint8_t *f, uint32_t len), void *arg);
/* Frames the kernel dropped because the RX ring was full, since the open. */
uint64_t afpkt_rx_drops(struct afpkt *a);
void afpkt_close(struct afpkt *a);

#endif
