/* apps/pktgen.h - the traffic generator and sink of cpnet-pktgen: fixed-size frames with
 * a sequence header, and the receiver's loss/reorder/duplicate count; transport-free. */
#ifndef CPNET_APPS_PKTGEN_H
#define CPNET_APPS_PKTGEN_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A frame is an Ethernet frame (layer-2 LAN, ethertype PKTGEN_ETHERTYPE, the IEEE's
 * "local experimental" type) or a bare IPv4 packet (layer-3 LAN, protocol
 * PKTGEN_IPPROTO, "for experimentation"), then the pktgen header, then filler up to the
 * frame size:
 *   0 magic "CPGN"   4 stream id   8 sequence number (64 bit)   16 timestamp (ns, 64 bit)
 * All big-endian.  The smallest frame holds the link header and this header.
 */
#define PKTGEN_ETHERTYPE 0x88B5u
#define PKTGEN_IPPROTO 253u
#define PKTGEN_MAGIC 0x4350474Eu	/* "CPGN" */
#define PKTGEN_HDR_OFF_MAGIC 0
#define PKTGEN_HDR_OFF_STREAM 4
#define PKTGEN_HDR_OFF_SEQ 8
#define PKTGEN_HDR_OFF_TS 16
#define PKTGEN_HDR_SIZE 24
#define PKTGEN_ETH_HLEN 14
#define PKTGEN_IP_HLEN 20
#define PKTGEN_MAX_FRAME 9000u
/* The sink tells a late frame from a duplicate within this many sequence numbers of
 * the newest one (older frames count as `late`). */
#define PKTGEN_WINDOW 4096u

struct pktgen_cfg {
	uint32_t size;		/* frame bytes (Ethernet header or IP header included) */
	uint32_t stream;
	bool l3;		/* bare IPv4 packets instead of Ethernet frames */
	uint8_t dst_mac[6], src_mac[6];	/* layer 2 */
	uint8_t src_ip[4], dst_ip[4];	/* layer 3 */
};

/* The generator: a frame template and the next sequence number. */
struct pktgen_gen {
	struct pktgen_cfg cfg;
	uint8_t tmpl[PKTGEN_MAX_FRAME];
	uint32_t hdr_off;	/* where the pktgen header starts */
	uint64_t seq;		/* next sequence number (first is 0) */
};

/* The smallest and largest frame size for a kind of LAN. */
uint32_t pktgen_min_size(bool l3);
/* 0, or -EINVAL for a size outside [pktgen_min_size, PKTGEN_MAX_FRAME]. */
int pktgen_gen_init(struct pktgen_gen *g, const struct pktgen_cfg *cfg);
/* Write the next frame (cfg.size bytes) into buf with timestamp ts_ns; the sequence
 * number advances.  The transport calls this for each slot it has room for. */
void pktgen_gen_fill(struct pktgen_gen *g, uint8_t *buf, uint64_t ts_ns);

/* What a sink saw.  lost counts sequence numbers skipped and not (yet) seen;
 * a late frame inside the window turns a lost one into a reordered one. */
struct pktgen_counts {
	uint64_t received;	/* pktgen frames of our stream, duplicates included */
	uint64_t bytes;
	uint64_t lost;		/* gaps in the sequence, not filled later */
	uint64_t reordered;	/* arrived after a higher sequence number */
	uint64_t duplicates;	/* a sequence number seen before */
	uint64_t late;		/* older than the window: cannot tell late from duplicate */
	uint64_t foreign;	/* other frames: not pktgen, other stream, bad length */
	uint64_t first_ns, last_ns;	/* when the first and last of ours arrived */
	uint64_t first_tx_ns;	/* the oldest send timestamp among them (0: none yet) */
};

struct pktgen_sink {
	struct pktgen_cfg cfg;	/* size 0 = any size; stream and l3 are checked */
	bool started;
	uint64_t hi;		/* highest sequence number seen */
	uint64_t seen[PKTGEN_WINDOW / 64];	/* bit (seq % WINDOW): seen, for hi-WINDOW < seq <= hi */
	struct pktgen_counts c;
};

void pktgen_sink_init(struct pktgen_sink *s, const struct pktgen_cfg *cfg);
/* Account one received frame at time now_ns.  Returns true if it was one of ours. */
bool pktgen_sink_take(struct pktgen_sink *s, const uint8_t *frame, uint32_t len, uint64_t now_ns);
/* The sender's total is known: the frames after the last one seen that never came
 * count as lost too.  Call once, at the end. */
void pktgen_sink_finish(struct pktgen_sink *s, uint64_t sent);

/* A transport: the port API, or AF_PACKET for the baseline.  send fills up to n slots
 * of len bytes through fill(arg, buf) and returns how many went (0: full, retry) or
 * -errno; recv hands each frame to cb, waiting up to timeout_ms for the first, and
 * returns how many or -errno; drops (may be NULL) counts frames the receive side lost
 * before the sink saw them (a full ring). */
struct pktgen_io {
	void *ctx;
	int (*send)(void *ctx, unsigned n, uint32_t len, void (*fill)(void *arg, uint8_t *buf),
		    void *arg);
	int (*recv)(void *ctx, int timeout_ms,
		    void (*cb)(void *arg, const uint8_t *f, uint32_t len), void *arg);
	uint64_t (*drops)(void *ctx);
};

struct pktgen_run {
	unsigned batch;		/* frames per send, 1..1024 */
	double seconds;		/* stop after this long (0: no time limit) */
	uint64_t count;		/* stop after this many frames (0: no limit) */
	uint64_t rate;		/* frames/s at most (0: as fast as the transport takes) */
	unsigned idle_ms;	/* sink: stop this long after the last frame (0: never) */
};

struct pktgen_result {
	uint64_t frames;	/* sent (generator) or received (sink) */
	uint64_t full;		/* generator: sends that found no free slot */
	double secs;		/* generator: first to last send; sink: first to last frame */
	double e2e_secs;	/* sink: the oldest frame's send to the last frame's arrival */
	uint64_t drops;		/* the transport's receive drops */
};

/* Monotonic nanoseconds (the timestamps in the frames). */
uint64_t pktgen_now_ns(void);
/* Run the generator over io until r's count or time.  0, or -errno from the transport
 * (what was sent so far is in *res). */
int pktgen_run_gen(struct pktgen_gen *g, const struct pktgen_io *io, const struct pktgen_run *r,
		   struct pktgen_result *res);
/* Run the sink: until count frames of ours came, the time is up, or idle_ms passed
 * without one after the first.  0 or -errno. */
int pktgen_run_sink(struct pktgen_sink *s, const struct pktgen_io *io, const struct pktgen_run *r,
		    struct pktgen_result *res);

/* Parse "aa:bb:cc:dd:ee:ff" into mac[6]: 0 or -EINVAL. */
int pktgen_parse_mac(const char *s, uint8_t mac[6]);

#endif
