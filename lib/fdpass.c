/* lib/fdpass.c - descriptors passed over a Unix socket (SCM_RIGHTS): collecting what a
 * received message carried, for every cpnet link that takes fds (vmlink, vhost-user). */
#include "lib/fdpass.h"

#include <string.h>
#include <unistd.h>

unsigned fdpass_take(struct msghdr *mh, int *fds, unsigned max)
{
	unsigned n = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < cnt; i++) {
			int fd;

			/* CMSG_DATA need not be aligned for an int: copied. */
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n < max)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}
