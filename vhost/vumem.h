/* vhost/vumem.h - a QEMU guest's memory as vhost-user's SET_MEM_TABLE shares it: the
 * regions mapped, guest-physical and QEMU addresses translated with bounds checks. */
#ifndef CPNET_VHOST_VUMEM_H
#define CPNET_VHOST_VUMEM_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/gstor.h"
#include "vhost/vumsg.h"

/*
 * Each region is mapped whole (MAP_SHARED of QEMU's memfd) and wrapped in a gstor
 * (lib/gstor.h), the one accessor for guest storage: a range is valid only if it lies
 * inside ONE region (a descriptor spanning two adjacent regions is refused: QEMU gives
 * a guest's RAM one region per memory backend, and a guest does not split buffers on
 * those seams), and every address + length is checked without wrapping.
 */
struct vumem_region {
	struct vu_region r;
	uint8_t *map;		/* the mmap (offset 0 of the fd) */
	uint64_t map_len;	/* mmap_offset + size */
	struct gstor gs;	/* the region's bytes [0, size) */
};

struct vumem {
	unsigned n;
	struct vumem_region reg[VU_MAX_REGIONS];
};

/* Map the table's regions from fds[] (consumed: closed here, mapped or not).  m is zeroed
 * or a table from an earlier vumem_set.  The old
 * table, if any, is unmapped first.  Each file must be at least mmap_offset + size
 * long (-EINVAL) and sealed against shrinking (F_SEAL_SHRINK, a memfd: -EPERM).  0 or
 * negative errno (nothing mapped then). */
int vumem_set(struct vumem *m, const struct vu_memtable *t, const int *fds);
void vumem_free(struct vumem *m);

/* A host pointer to [addr, addr + len) in guest-physical (gpa) or QEMU-virtual (uva)
 * terms, or NULL if it is not inside one region (len 0: NULL as well). */
uint8_t *vumem_gpa(struct vumem *m, uint64_t addr, uint64_t len, bool write);
uint8_t *vumem_uva(struct vumem *m, uint64_t addr, uint64_t len);

#endif
