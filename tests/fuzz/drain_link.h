/* tests/fuzz/drain_link.h - for a libFuzzer target that plays the peer of cpnetd's
 * vmlink: read what cpnetd sent it (ring offers, handle replies) and close their fds. */
#ifndef CPNET_TESTS_FUZZ_DRAIN_LINK_H
#define CPNET_TESTS_FUZZ_DRAIN_LINK_H

#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

/* Everything waiting on the harness's end `fd`, read and let go: a link kept across
 * inputs must not fill up (cpnetd's next control message would find no room). */
static void drain_link(int fd)
{
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(8 * sizeof(int))];
	} cm;
	uint8_t buf[256];

	for (;;) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
				     .msg_controllen = sizeof(cm.b) };
		struct cmsghdr *c;

		if (recvmsg(fd, &mh, MSG_DONTWAIT) < 0)
			return;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				for (size_t k = 0; k < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++)
					close(((int *)CMSG_DATA(c))[k]);
	}
}

#endif
