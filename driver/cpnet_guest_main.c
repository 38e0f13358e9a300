/* driver/cpnet_guest_main.c - the `cpnet-guest` program: synthetic guests driving virtual
 * NICs through the real qeth protocol.  For now: an in-process point-to-point selftest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/guest.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: cpnet-guest selftest [--layer2|--layer3] [--count N] [--verbose]\n"
		   "  selftest  two in-process guests on two NICs joined point to point:\n"
		   "            bring both online, then ping (IPv4, and IPv6 in layer 2)\n");
}

static void pump(void *ctx)
{
	guest_poll(ctx);
}

static void dump_ipa(const struct qdrv *q, const char *who)
{
	unsigned n = q->n_ipa < QDRV_IPA_LOG ? q->n_ipa : QDRV_IPA_LOG;

	for (unsigned k = 0; k < n; k++) {
		const struct qdrv_ipa_rec *r = &q->ipa_log[(q->n_ipa - n + k) % QDRV_IPA_LOG];

		printf("  %s IPA %-16s prot %u sub 0x%08x rc 0x%04x sub_rc 0x%04x%s\n", who,
		       ipa_cmd_name(r->cmd), r->prot, r->sub, r->rc, r->sub_rc,
		       r->err ? " (no reply)" : "");
	}
}

static int selftest(uint8_t layer, unsigned count, bool verbose)
{
	static const uint8_t ip[2][4] = { { 10, 1, 0, 1 }, { 10, 1, 0, 2 } };
	static const uint8_t ip6[2][16] = { { 0xFD, 0, [15] = 1 }, { 0xFD, 0, [15] = 2 } };
	struct nicbk *nic = calloc(2, sizeof(*nic));
	struct guest *g = calloc(2, sizeof(*g));
	struct guest_if *gi[2];
	struct port_p2p j;
	int rc = 1, n;

	if (!nic || !g) {
		fprintf(stderr, "cpnet-guest: out of memory\n");
		goto out;
	}
	for (int k = 0; k < 2; k++) {
		struct nic_cfg c;

		memset(&c, 0, sizeof(c));
		c.base_devno = 0x0A00;
		c.ndev = 3;
		c.base_schno = 0x10;
		c.chpid = 0x0A;
		c.mac[0] = 0x02;
		c.mac[5] = (uint8_t)(0x10 + k);
		c.vm_nic = true;
		snprintf(c.owner, sizeof(c.owner), "GUEST%d", k + 1);
		if (nic_create(&nic[k], &c) < 0 || guest_create(&g[k], 0) < 0 ||
		    guest_attach_nic(&g[k], &nic[k], 0x0A00, layer, &gi[k]) < 0) {
			fprintf(stderr, "cpnet-guest: cannot set up guest %d\n", k + 1);
			goto out;
		}
	}
	port_p2p_join(&j, &nic[0].port, &nic[1].port);
	for (int k = 0; k < 2; k++) {
		int e = guest_if_online(gi[k]);

		if (verbose)
			dump_ipa(&gi[k]->drv, k ? "B" : "A");
		if (e < 0) {
			fprintf(stderr, "cpnet-guest: guest %d online failed: %s (%s)\n", k + 1,
				gi[k]->drv.last_error, cpnet_strerror(e));
			goto split;
		}
		if (guest_if_add_ip4(gi[k], ip[k], 24) < 0 ||
		    (layer == 2 && guest_if_add_ip6(gi[k], ip6[k]) < 0)) {
			fprintf(stderr, "cpnet-guest: guest %d address failed: %s\n", k + 1,
				gi[k]->drv.last_error);
			goto split;
		}
		printf("guest %d online: layer %u, MAC %02x:%02x:%02x:%02x:%02x:%02x, 10.1.0.%d/24\n",
		       k + 1, layer, gi[k]->drv.mac[0], gi[k]->drv.mac[1], gi[k]->drv.mac[2],
		       gi[k]->drv.mac[3], gi[k]->drv.mac[4], gi[k]->drv.mac[5], k + 1);
	}
	rc = 0;
	n = guest_ping4(gi[0], ip[1], count, 56, pump, &g[1]);
	printf("ping 10.1.0.2: %u sent, %d received\n", count, n);
	if (n != (int)count)
		rc = 1;
	if (layer == 2) {
		n = guest_ping6(gi[0], ip6[1], count, 56, pump, &g[1]);
		printf("ping fd00::2: %u sent, %d received\n", count, n);
		if (n != (int)count)
			rc = 1;
	}
	printf("selftest %s\n", rc ? "FAILED" : "passed");
split:
	port_p2p_split(&j);
out:
	for (int k = 0; g && nic && k < 2; k++) {
		guest_destroy(&g[k]);
		nic_destroy(&nic[k]);
	}
	free(g);
	free(nic);
	return rc;
}

int main(int argc, char **argv)
{
	uint8_t layer = 2;
	unsigned long count = 4;
	bool verbose = false;

	if (argc < 2 || strcmp(argv[1], "selftest") != 0) {
		usage(stderr);
		return 2;
	}
	for (int k = 2; k < argc; k++) {
		if (!strcmp(argv[k], "--layer2")) {
			layer = 2;
		} else if (!strcmp(argv[k], "--layer3")) {
			layer = 3;
		} else if (!strcmp(argv[k], "--verbose") || !strcmp(argv[k], "-v")) {
			verbose = true;
		} else if (!strcmp(argv[k], "--count") && k + 1 < argc) {
			char *end;

			count = strtoul(argv[++k], &end, 10);
			if (*end || count == 0 || count > 100000) {
				usage(stderr);
				return 2;
			}
		} else {
			usage(stderr);
			return 2;
		}
	}
	return selftest(layer, (unsigned)count, verbose);
}
