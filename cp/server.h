/* cp/server.h - cpnetd's one event loop: the operator socket (line protocol), the VM
 * socket (vmlink), the synthetic guests' polling tick and signals, on one epoll set. */
#ifndef CPNET_CP_SERVER_H
#define CPNET_CP_SERVER_H

#include <stdbool.h>

#include "cp/cp.h"
#include "lib/shmring.h"

/*
 * The line protocol on the Unix socket (one session per connection):
 *   client: "LOGON userid password"   then one CP command per line
 *   server: the output lines of each, then one end line:
 *           "Ready;" (rc 0) or "Ready(nnnnn);" (rc = the message number)
 * No output line starts with "Ready", so the end line is unambiguous.  A session
 * that ends (EOF, error) is a dropped terminal: its virtual machine is logged off
 * unless another session has it or it was AUTOLOGged (runs disconnected).
 */
#define SRV_READY_PREFIX "Ready"
#define SRV_MAX_SESSIONS 256

/*
 * The VM socket (SOCK_SEQPACKET, vnic/vmlink.h): a virtual machine in another process
 * (Hercules with cpnet's module, `cpnet-guest connect`) sends VML_LOGON first; CP
 * answers VML_LOGON_REPLY (rc 0, or the message number with its text, then closes),
 * then VML_NIC_DEFINE and VML_LINK per NICDEF.  Frames and registrations of its NICs
 * are handled as they come (vml_poll); the connection closing logs the VM off.
 */
#define SRV_VM_SUFFIX ".vm"
#define SRV_MAX_VMS 256

struct server;

/* Bind the operator socket `path` and the VM socket `vm_path` (NULL = path + ".vm"),
 * both mode 0660; a stale socket file is replaced.  0 or -errno. */
int server_create(struct server **out, struct cp *cp, const char *path, const char *vm_path);
/* The VM socket's path. */
const char *server_vm_path(const struct server *s);
/* Run until SIGINT/SIGTERM (or server_stop).  0 or -errno. */
int server_run(struct server *s);
void server_stop(struct server *s);
void server_destroy(struct server *s);
/* Tests: the epoll_ctl the loop uses for the OSAs' wire descriptors (NULL: the real
 * one), to make adding a wire to the epoll set fail.  Before server_run. */
struct epoll_event;
void server_set_wire_epoll_ctl(struct server *s,
				int (*fn)(int epfd, int op, int fd, struct epoll_event *ev));
/* Links dropped because the VM broke its ring (lib/shmring.h), for that reason. */
/* The loop's epoll waits so far (a busy loop asks once per ms, not once a turn). */
uint64_t server_epolls(const struct server *s);
unsigned long long server_ring_drops(const struct server *s, enum shr_break why);

/* One protocol line for a session state, without the socket (for tests): appends
 * the output and the end line to o.  *vm is the session's VM (NULL = not logged
 * on) and is updated by LOGON / LOGOFF. */
void server_line(struct cp *cp, struct vm **vm, const char *line, size_t len, struct out *o);

#endif
