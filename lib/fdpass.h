/* lib/fdpass.h - descriptors passed over a Unix socket (SCM_RIGHTS): collecting what a
 * received message carried, for every cpnet link that takes fds (vmlink, vhost-user). */
#ifndef CPNET_LIB_FDPASS_H
#define CPNET_LIB_FDPASS_H

#include <sys/socket.h>

/* The descriptors in mh's SCM_RIGHTS messages, in order, into fds[0..max): how many.
 * Those beyond max are closed here (a peer cannot leak descriptors into us); other
 * control messages are ignored.  Truncation (MSG_CTRUNC) is the caller's to judge. */
unsigned fdpass_take(struct msghdr *mh, int *fds, unsigned max);

#endif
