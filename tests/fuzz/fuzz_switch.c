/* tests/fuzz/fuzz_switch.c - libFuzzer target: random registrations and frames (cut
 * into random spans) through a LAN with four guests and an uplink, both transports,
 * some ports bandwidth-capped on a clock the input moves. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qdio/queue.h"
#include "tests/fuzz/small_quarantine.h"
#include "vswitch/switch.h"

struct sink {
	struct port p;
	uint64_t sum;
};

/* Receivers read every byte they are given, as a NIC copying into its buffers would. */
static unsigned sink_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct sink *s = owner;
	uint8_t buf[2048];

	(void)p;
	for (unsigned i = 0; i < n; i++) {
		uint32_t got = qdio_spans_copy(f[i].spans, f[i].nspans, 0, buf,
					       f[i].len < sizeof(buf) ? f[i].len : sizeof(buf));

		for (uint32_t k = 0; k < got; k++)
			s->sum += buf[k];
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const users[4] = { "A", "B", "C", "D" };
static uint64_t fuzz_now;

/* The caps' clock: moved by the input (each step by its length x 100 us). */
static uint64_t fuzz_clock(void *ctx)
{
	(void)ctx;
	return fuzz_now;
}
static struct lan_table tb;
static struct lanbk *lan;
static struct sink s[5];

/* One LAN for the whole run: every input starts by emptying it and setting all of its
 * settings, so it behaves as a freshly defined one (its IP tables went with the last
 * registration, checked below), and ends by emptying it and setting them as for cfg 0,
 * so that what the next one's start runs depends on that input alone. */
static void reset(uint8_t cfg)
{
	struct lan_vlanset vs;

	for (unsigned i = 0; i < 4; i++)
		lan_detach_port(lan, &s[i].p);
	lan_detach_uplink(lan);
	/* Detaching everything leaves no connection, registration or router behind. */
	if (lan->nlive || lan->nguests || lan->uplink || lan->tab.ucount || lan->tab.gcount ||
	    lan->tab.uni || lan->tab.grp ||
	    lan->npromisc || lan->prirouter4 != -1 || lan->prirouter6 != -1)
		abort();
	lan_revoke(lan, "C");
	if (lan_set_transport(lan, (cfg & 1) ? LAN_ETHERNET : LAN_IP) ||
	    lan_set_isolation(lan, cfg & 2) ||
	    lan_set_macprotect(lan, (cfg & 4) ? LAN_MACPROT_ON : LAN_MACPROT_UNSPEC))
		abort();
	if (cfg & 8) {
		memset(&vs, 0, sizeof(vs));
		lan_vlan_add(&vs, 1);
		lan_vlan_add(&vs, 2);
		lan_set_vlan(lan, 1, (cfg & 16) ? 1 : 0, LAN_ACCESS);
		lan_grant(lan, "C", LAN_TRUNK, &vs, true);
	} else if (lan_set_vlan(lan, 1, 1, LAN_ACCESS) || lan_set_vlan_unaware(lan)) {
		abort();	/* the defaults of a new VSWITCH */
	}
	lan_set_router(lan, (cfg & 32) ? LAN_PRIROUTER : LAN_NONROUTER);
	/* Caps (1 Mbit/s, burst 64 KiB) on port numbers 1 and 2, or none. */
	lan->clock = fuzz_clock;
	fuzz_now = 0;
	if (lan_set_portnum_cap(lan, 1, (cfg & 128) ? 1000000u : 0) ||
	    lan_set_portnum_cap(lan, 2, (cfg & 128) ? 1000000u : 0))
		abort();
	memset(s, 0, sizeof(s));
	for (unsigned i = 0; i < 5; i++) {
		s[i].p.rx = sink_rx;
		s[i].p.owner = &s[i];
	}
}

static void attach_all(uint8_t cfg)
{
	for (unsigned i = 0; i < 4; i++) {
		struct paddr a = { .op = PA_LAYER, .value = (cfg & 1) ? 2 : 3 };

		lan_attach_port(lan, &s[i].p, users[i], (uint16_t)(0x600 + i), 0, NULL);
		port_addr(&s[i].p, &a);
		a.op = PA_STARTLAN;
		port_addr(&s[i].p, &a);
	}
	if (cfg & 64)
		lan_attach_uplink(lan, &s[4].p);
}

/* The LAN, and what its first use makes once (connection slots, port-number caps, a
 * grant list) made on libFuzzer's first, empty call: no input's coverage depends on
 * being the first one. */
static void lan_make(void)
{
	lan_table_init(&tb, 7);
	if (lan_define(&tb, "SYSTEM", "FUZZ", LAN_VSWITCH, &lan))
		abort();
	reset(0xFF);
	attach_all(0xFF);
	reset(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	uint8_t cfg;

	if (!lan)
		lan_make();
	if (size < 2)
		return 0;
	cfg = data[pos++];
	reset(cfg);
	attach_all(cfg);
	while (pos + 3 <= size) {
		uint8_t op = data[pos++], who = data[pos++] % 5, len = data[pos++];
		struct port *from = &s[who].p;

		if (len > size - pos)
			len = (uint8_t)(size - pos);
		fuzz_now += (uint64_t)len * 100000u;
		if (op & 0x80) {
			/* A registration: op, then up to 16 address bytes. */
			struct paddr a;

			memset(&a, 0, sizeof(a));
			a.op = (uint8_t)(1 + (op & 0x0F));
			a.ipv6 = op & 0x10;
			a.value = op & 0x20 ? 1 : 0;
			memcpy(a.ip, data + pos, len < 16 ? len : 16);
			memcpy(a.mac, data + pos, len < 6 ? len : 6);
			a.vlan = len ? data[pos] : 0;
			port_addr(from, &a);
			if ((op & 0x40) && len >= 4)
				iptab_set_local_only(&lan->tab, IPT_V4, data + pos, false);
			if ((op & 0x60) == 0x60 && who < 4) {
				lan_detach_port(lan, from);
				lan_attach_port(lan, from, users[who], 0x600, 0, NULL);
			}
			/* The port's own cap too (the NIC's SET NIC BANDWIDTH). */
			if ((op & 0x70) == 0x50 && who < 4)
				lan_set_own_cap(lan, from, len ? (uint64_t)data[pos] * 100000u : 0);
		} else {
			/* A batch of up to 4 copies of one frame, cut into up to 4 spans each. */
			struct qdio_span sp[4][4];
			struct pframe f[4];
			unsigned nf = (op & 3) + 1;

			memset(f, 0, sizeof(f));
			for (unsigned k = 0; k < nf; k++) {
				uint32_t off = 0, ns = 0, cut = (op >> 2) & 7;

				while (off < len && ns < 4) {
					uint32_t l = ns == 3 ? len - off : (cut + 1) * (ns + 1);

					if (l > len - off)
						l = len - off;
					sp[k][ns].ptr = data + pos + off;
					sp[k][ns].len = l;
					off += l;
					ns++;
				}
				f[k].spans = sp[k];
				f[k].nspans = (uint8_t)ns;
				f[k].len = off + ((op & 0x40) && k == 0 ? 3 : 0); /* lie */
				f[k].kind = (op & 0x20) ? PF_ETH : PF_IP;
				f[k].ipv6 = k & 1;
				f[k].cast = (uint8_t)(k & 3);
				f[k].vlan = len ? data[pos] % 4 : 0;
			}
			port_tx(from, f, nf);
		}
		pos += len;
	}
	reset(0);
	return 0;
}
