/* driver/guest.h - the synthetic guest: its own storage, channel subsystem, qeth interfaces
 * (driver/qdrv) and host stack (driver/stack), attached in-process to virtual NICs. */
#ifndef CPNET_DRIVER_GUEST_H
#define CPNET_DRIVER_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "css/subch.h"
#include "driver/qdrv.h"
#include "driver/stack.h"
#include "lib/gstor.h"
#include "vnic/nic.h"

#define GUEST_MAX_IF 4
#define GUEST_AREA_BASE 0x100000ull	/* first interface area (below: the "kernel") */

struct guest;

struct guest_if {
	struct guest *g;
	bool used;
	struct nicbk *nic;
	struct nidbk *nid[3];		/* read, write, data */
	struct subch sch[3];
	struct qdrv drv;
	struct stack stk;
	uint64_t area;
};

struct guest {
	struct gstor gs;
	struct css css;
	struct guest_if ifs[GUEST_MAX_IF];
	uint64_t next_area;
};

/* Storage a guest needs for n interfaces. */
uint64_t guest_mem_size(unsigned nifs);
/* A guest with mem bytes of storage (0 = enough for one interface).  -ENOMEM. */
int guest_create(struct guest *g, uint64_t mem);
/* Take every interface offline, release subchannels and storage. */
void guest_destroy(struct guest *g);

/*
 * Attach three devices of an in-process NIC (read = devno, write = devno + 1, data =
 * devno + 2) as a qeth interface of the given layer: subchannels with nic_devops,
 * nid_bind_channel to them, nic_attach_storage, SIGA through nic_siga.
 * -ENODEV (no such devices), -ENOSPC (no interface slot / storage), -EINVAL.
 */
int guest_attach_nic(struct guest *g, struct nicbk *nic, uint16_t devno, uint8_t layer,
		     struct guest_if **out);

/* Take one interface away from its NIC (the NIC is going away): offline, unbind the
 * NIDBKs, release the subchannels; the slot can be attached again.  NULL is a no-op.
 * Its storage area is not reused (guest storage only grows). */
void guest_detach_nic(struct guest_if *i);

/* "echo 1 > online" + "ip link set up" (multicast registrations). */
int guest_if_online(struct guest_if *i);
void guest_if_offline(struct guest_if *i);
/* "ip addr add": the stack gets the address, an L3 interface registers it (SETIP). */
int guest_if_add_ip4(struct guest_if *i, const uint8_t addr[4], unsigned prefix);
int guest_if_add_ip6(struct guest_if *i, const uint8_t addr[16]);

/* Process interrupts and received frames of every interface (answers ARP, NS, echo).
 * Returns packets received. */
int guest_poll(struct guest *g);

/* Called while waiting for replies so that peers (other in-process guests) run. */
typedef void (*guest_pump_fn)(void *ctx);

/* Send `count` echo requests to dst, waiting a bounded number of rounds for each
 * reply; returns the number of replies (>= 0) or a negative errno. */
int guest_ping4(struct guest_if *i, const uint8_t dst[4], unsigned count, uint32_t plen,
		guest_pump_fn pump, void *pump_ctx);
int guest_ping6(struct guest_if *i, const uint8_t dst[16], unsigned count, uint32_t plen,
		guest_pump_fn pump, void *pump_ctx);

#endif
