/* tests/fuzz/fuzz_vmlink.c - libFuzzer target: vmlink messages both ways over real
 * SEQPACKET sockets; cpnetd's side (proxy port on a LAN) and a VM's side (NIC port). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/be.h"
#include "qdio/queue.h"
#include "vnic/vmlink.h"
#include "vswitch/switch.h"

/*
 * Input: a config byte (LAN transport), then records: u8 sel, u16 length, bytes.
 * sel bit 0: the bytes go to cpnetd's link (as if the remote VM sent them), else to
 * the VM's link (as if cpnetd sent them); bit 1: the header is made valid (version,
 * type = first byte % VML_TYPE_MAX, vdev of the NIC), the rest stays the fuzzer's.
 * Every message is also given to each decoder, with encode/decode round trips.
 */
#define VDEV 0x0600

struct sink {
	struct port p;
	uint64_t sum;
	unsigned frames;
};

static int cp_peer = -1, vm_peer = -1;	/* the harness's ends of the two socket pairs */
static struct vmlink cpl, vml;
static struct port *proxy;
static struct sink guest[2], nic;	/* a local guest on each LAN; the VM's NIC */
static struct lan_table tb;
static struct lanbk *lans[2];		/* layer 2 and layer 3 */
static unsigned nicdefs, links, detaches;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* Receivers read every byte, as a NIC copying into its input buffers would. */
static unsigned sink_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct sink *s = owner;
	uint8_t buf[256];

	(void)p;
	for (unsigned i = 0; i < n; i++) {
		uint32_t off = 0;

		must(f[i].len <= 65536);
		while (off < f[i].len) {
			uint32_t l = f[i].len - off < sizeof(buf) ? f[i].len - off : sizeof(buf);

			must(qdio_spans_copy(f[i].spans, f[i].nspans, off, buf, l) == l);
			s->sum += buf[0] + buf[l - 1];
			off += l;
		}
		s->frames++;
	}
	return n;
}

static void on_nicdef(void *ctx, const struct vml_nicdef *d)
{
	(void)ctx;
	/* Names arrive as C strings of at most 8 characters. */
	must(strlen(d->lan) <= 8 && strlen(d->owner) <= 8);
	nicdefs++;
}

static void on_detach(void *ctx, uint16_t vdev)
{
	(void)ctx;
	(void)vdev;
	detaches++;
}

static void on_link(void *ctx, uint16_t vdev, bool up)
{
	(void)ctx;
	(void)vdev;
	(void)up;
	links++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int a[2], b[2];

	(void)argc;
	(void)argv;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, a) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, b) < 0)
		abort();
	if (vml_init(&cpl, a[0], true) < 0 || vml_init(&vml, b[0], false) < 0)
		abort();
	cp_peer = a[1];
	vm_peer = b[1];
	vml.on_nicdef = on_nicdef;
	vml.on_detach = on_detach;
	vml.on_link = on_link;
	vml.rc_timeout_ms = 10;
	proxy = vml_add_nic(&cpl, VDEV, NULL);
	nic.p.rx = sink_rx;
	nic.p.owner = &nic;
	if (!proxy || !vml_add_nic(&vml, VDEV, &nic.p))
		abort();
	lan_table_init(&tb, 3);
	for (unsigned k = 0; k < 2; k++) {
		struct paddr a;

		if (lan_define(&tb, "SYSTEM", k ? "VML3" : "VML2", LAN_VSWITCH, &lans[k]) ||
		    lan_set_transport(lans[k], k ? LAN_IP : LAN_ETHERNET))
			abort();
		/* The local guest stays coupled for the whole run, registered once. */
		guest[k].p.rx = sink_rx;
		guest[k].p.owner = &guest[k];
		if (lan_attach_port(lans[k], &guest[k].p, "LOCAL", VDEV, 0, NULL) < 0)
			abort();
		memset(&a, 0, sizeof(a));
		a.op = PA_LAYER;
		a.value = k ? 3 : 2;
		port_addr(&guest[k].p, &a);
		a.op = PA_STARTLAN;
		port_addr(&guest[k].p, &a);
		if (k) {
			a.op = PA_SETIP;
			memcpy(a.ip, (const uint8_t[4]){ 10, 0, 0, 2 }, 4);
		} else {
			a.op = PA_SETVMAC;
			memcpy(a.mac, (const uint8_t[6]){ 2, 0, 0, 0, 0, 2 }, 6);
		}
		if (port_addr(&guest[k].p, &a) != 0)
			abort();
	}
	return 0;
}

/* What a side sent to the harness's end: read it all, so that no send ever waits. */
static void drain(int fd)
{
	static uint8_t buf[VML_MAX_MSG];

	for (unsigned k = 0; k < 4096; k++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0)
			return;
	__builtin_trap();	/* a side that keeps talking by itself */
}

/* Each decoder on the raw message; whatever decodes re-encodes to the same meaning. */
static void codecs(const uint8_t *m, size_t len)
{
	static uint8_t enc[VML_MAX_MSG];
	struct vml_hdr h;
	struct vml_logon lg, lg2;
	struct vml_logon_reply r, r2;
	struct vml_nicdef d, d2;
	struct paddr a, a2;
	struct pframe f, f2;
	struct qdio_span sp, sp2;
	uint16_t v;
	int n;

	if (vml_hdr_decode(m, len, &h) < 0)
		return;
	if (vml_logon_decode(m, len, &lg) == 0) {
		n = vml_logon_encode(&lg, enc, sizeof(enc));
		must(n > 0 && vml_logon_decode(enc, (size_t)n, &lg2) == 0);
		must(!strcmp(lg.userid, lg2.userid) && !strcmp(lg.password, lg2.password));
	}
	if (vml_logon_reply_decode(m, len, &r) == 0) {
		n = vml_logon_reply_encode(&r, enc, sizeof(enc));
		must(n > 0 && vml_logon_reply_decode(enc, (size_t)n, &r2) == 0);
		must(r.rc == r2.rc && !strcmp(r.text, r2.text));
	}
	if (vml_nicdef_decode(m, len, &d) == 0) {
		n = vml_nicdef_encode(&d, enc, sizeof(enc));
		must(n > 0 && vml_nicdef_decode(enc, (size_t)n, &d2) == 0);
		must(d.vdev == d2.vdev && d.ndev == d2.ndev && d.type == d2.type &&
		     !memcmp(d.mac, d2.mac, 6) && !strcmp(d.lan, d2.lan) &&
		     !strcmp(d.owner, d2.owner));
	}
	if (vml_addr_decode(m, len, &a) == 0) {
		n = vml_addr_encode(h.vdev, h.seq, &a, enc, sizeof(enc));
		must(n > 0 && vml_addr_decode(enc, (size_t)n, &a2) == 0);
		must(!memcmp(&a, &a2, sizeof(a)));
	}
	if (vml_frame_decode(m, len, &f, &sp) == 0) {
		n = vml_frame_encode(h.vdev, &f, enc, sizeof(enc));
		must(n == (int)len && vml_frame_decode(enc, (size_t)n, &f2, &sp2) == 0);
		must(f2.len == f.len && !memcmp(sp2.ptr, sp.ptr, sp.len));
	}
	if (len >= VML_HDR_SIZE && vml_simple_decode(m, len, &v) == 0 &&
	    (h.type == VML_ADDR_RC || h.type == VML_LINK || h.type == VML_LOGOFF ||
	     h.type == VML_NIC_DETACH)) {
		uint16_t v2;

		/* Same meaning; a LOGOFF without a body (no reason) re-encodes with reason 0. */
		n = vml_simple_encode(h.type, h.vdev, h.seq, v, enc, sizeof(enc));
		must(n > 0 && vml_simple_decode(enc, (size_t)n, &v2) == 0 && v2 == v);
		must(n == (int)len || (h.type == VML_LOGOFF && len == VML_HDR_SIZE));
	}
}

/* Every input starts the same way: the remote VM's proxy coupled afresh (nothing
 * registered) to the LAN of the layer the input picks, next to the local guest. */
static void reset(uint8_t cfg)
{
	for (unsigned k = 0; k < 2; k++) {
		lan_detach_port(lans[k], proxy);
		must(lans[k]->nlive == 1 && lans[k]->tab.ucount == 1 && lans[k]->tab.gcount == 0);
	}
	must(lan_attach_port(lans[cfg & 1], proxy, "REMOTE", VDEV, 0, NULL) >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[VML_MAX_MSG];
	size_t pos = 1;

	if (size < 1)
		return 0;
	reset(data[0]);
	while (pos + 3 <= size) {
		uint8_t sel = data[pos];
		size_t len = be_get16(data + pos + 1);
		bool to_cp = sel & 1;
		int rc;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		memcpy(msg, data + pos, len);
		pos += len;
		if ((sel & 2) && len >= VML_HDR_SIZE) {
			msg[1] = (uint8_t)(msg[0] % VML_TYPE_MAX);
			msg[0] = VML_VERSION;
			be_put16(msg + 2, VDEV);
		}
		codecs(msg, len);
		/* A zero-length datagram reads as the peer's end of file; not a message. */
		if (len == 0)
			continue;
		if (send(to_cp ? cp_peer : vm_peer, msg, len, MSG_DONTWAIT) < 0)
			continue;
		rc = vml_poll(to_cp ? &cpl : &vml, 0);
		must(rc == 1 || rc == 0 || rc == -EPIPE);
		drain(cp_peer);
		drain(vm_peer);
	}
	/* The local guest sends to the remote VM: its frame reaches cpnetd's side of the
	 * link whatever the remote VM did. */
	{
		uint8_t f[64];
		struct qdio_span sp = { f, sizeof(f) };
		struct pframe pf;

		memset(f, 0xFF, sizeof(f));
		memset(&pf, 0, sizeof(pf));
		pf.spans = &sp;
		pf.nspans = 1;
		pf.len = sizeof(f);
		pf.kind = (data[0] & 1) ? PF_IP : PF_ETH;
		pf.cast = PF_BROADCAST;
		port_tx(&guest[data[0] & 1].p, &pf, 1);
	}
	drain(cp_peer);
	drain(vm_peer);
	return 0;
}
