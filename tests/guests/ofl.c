/* tests/guests/ofl.c - "ethtool -K/-k" for the busybox guests (static s390x, in t_vsw's
 * initramfs): turns a qeth interface's checksum / scatter-gather / TSO offloads on, shows them.
 *
 * Usage: ofl IF on   - ask for rx, tx, sg, tso on (each one the driver refuses is said)
 *        ofl IF      - print "OFL IF rx=N tx=N sg=N tso=N" (what the kernel has on now)
 * The legacy ETHTOOL_S* commands each map to a feature group (tx: every checksum feature,
 * tso: every TSO feature), and the kernel keeps only what the driver offers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int eth_value(int fd, const char *ifname, unsigned cmd, unsigned *val)
{
	struct ethtool_value ev = { .cmd = cmd, .data = val ? *val : 0 };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		return -errno;
	if (val)
		*val = ev.data;
	return 0;
}

static const struct {
	const char *name;
	unsigned get, set;
} feats[] = {
	{ "rx", ETHTOOL_GRXCSUM, ETHTOOL_SRXCSUM },
	{ "tx", ETHTOOL_GTXCSUM, ETHTOOL_STXCSUM },
	{ "sg", ETHTOOL_GSG, ETHTOOL_SSG },
	{ "tso", ETHTOOL_GTSO, ETHTOOL_STSO },
};

int main(int argc, char **argv)
{
	int fd, rc = 0;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "on") != 0)) {
		fprintf(stderr, "usage: ofl IF [on]\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (argc == 3) {
		/* sg first: TSO needs it; tx before tso: TSO needs a checksum feature. */
		static const int order[] = { 2, 1, 3, 0 };

		for (unsigned k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
			unsigned one = 1;
			int e = eth_value(fd, argv[1], feats[order[k]].set, &one);

			if (e < 0)
				printf("OFL %s %s refused: %s\n", argv[1], feats[order[k]].name,
				       strerror(-e));
		}
	}
	printf("OFL %s", argv[1]);
	for (unsigned k = 0; k < sizeof(feats) / sizeof(feats[0]); k++) {
		unsigned v = 0;
		int e = eth_value(fd, argv[1], feats[k].get, &v);

		if (e < 0) {
			printf(" %s=?", feats[k].name);
			rc = 1;
		} else {
			printf(" %s=%u", feats[k].name, v ? 1 : 0);
		}
	}
	printf("\n");
	close(fd);
	return rc;
}
