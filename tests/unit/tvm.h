/* tests/unit/tvm.h - a synthetic VM for the unit tests that run cpnetd's loop (test_appl,
 * test_server_ring): LOGON over the VM socket, its NIC on the LAN over a ring or the socket. */
#ifndef CPNET_TESTS_UNIT_TVM_H
#define CPNET_TESTS_UNIT_TVM_H

#include <string.h>
#include <unistd.h>

#include "qdio/queue.h"
#include "vnic/vmlink.h"

struct tvm {
	struct vmlink l;
	struct port port;
	struct vml_nicdef def;
	bool defined;
	unsigned frames;	/* received */
	uint8_t last[128];	/* the start of the last frame received */
};

static inline void tvm_nicdef(void *ctx, const struct vml_nicdef *d)
{
	struct tvm *v = ctx;

	v->def = *d;
	v->defined = true;
}

static inline unsigned tvm_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct tvm *v = owner;

	(void)p;
	v->frames += n;
	qdio_spans_copy(f[n - 1].spans, f[n - 1].nspans, 0, v->last, sizeof(v->last));
	return n;
}

/* LOGON as user (password PW) taking frames over `how` (the ring cpnetd offers, or
 * the socket), the NIC definition, the NIC on the LAN (layer 2, its MAC, STARTLAN).
 * 0, or which step failed. */
static inline int tvm_up_on(struct tvm *v, const char *path, const char *user,
			    enum vml_transport how)
{
	struct vml_logon_reply reply;
	struct paddr a;
	int fd = vml_connect(path);

	if (fd < 0 || vml_init(&v->l, fd, false) < 0)
		return -1;
	v->l.ctx = v;
	v->l.on_nicdef = tvm_nicdef;
	v->l.transport = how;
	if (vml_logon(&v->l, user, "PW", 5000, &reply) != 0)
		return -2;
	for (int n = 0; n < 100 && !(v->defined && (v->l.ring_tx || how == VML_TRANSPORT_SOCKET));
	     n++)
		vml_poll(&v->l, 50);
	if (!v->defined || (how == VML_TRANSPORT_RING && !v->l.ring_tx))
		return -3;
	v->port.rx = tvm_rx;
	v->port.owner = v;
	if (!vml_add_nic(&v->l, v->def.vdev, &v->port))
		return -4;
	memset(&a, 0, sizeof(a));
	a.op = PA_LAYER;
	a.value = 2;
	if (port_addr(&v->port, &a) != 0)
		return -5;
	a.op = PA_SETVMAC;
	memcpy(a.mac, v->def.mac, 6);
	if (port_addr(&v->port, &a) != 0)
		return -6;
	a.op = PA_STARTLAN;
	return port_addr(&v->port, &a) == 0 ? 0 : -7;
}

static inline int tvm_up(struct tvm *v, const char *path, const char *user)
{
	return tvm_up_on(v, path, user, VML_TRANSPORT_RING);
}

static inline void tvm_down(struct tvm *v)
{
	int fd = v->l.fd;

	vml_free(&v->l);
	if (fd >= 0)
		close(fd);
}

#endif
