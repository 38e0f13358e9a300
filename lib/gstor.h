/* lib/gstor.h - the guest storage accessor: the ONLY way cpnet code touches guest memory.
 * Back ends: a plain memory block (tests, in-process guests) and Hercules main storage. */
#ifndef CPNET_LIB_GSTOR_H
#define CPNET_LIB_GSTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A guest's absolute storage [0, size) mapped contiguously at host address `base`.
 * Every access is checked against `size` (with overflow-safe arithmetic) and fails
 * with -EFAULT instead of touching anything outside.  `touch`, when set, is told
 * about every successful access so that a back end can keep reference and change
 * bits (Hercules storage keys); the plain back end leaves it NULL.
 *
 * Thread-safety: the accessor holds no state of its own besides counters.  Guest
 * memory may change under us at any time (another CPU thread of the guest), so
 * callers copy out what they validate and never re-read a field they checked.
 * SLSB state bytes, which the guest and the adapter hand back and forth, go through
 * gs_state_load/gs_state_store (acquire/release ordering).
 */
struct gstor {
	uint8_t *base;
	uint64_t size;
	void (*touch)(void *ctx, uint64_t addr, uint64_t len, bool write);
	void *ctx;
	uint64_t faults;	/* accesses refused (outside storage / boundary rule) */
};

/* Plain memory back end: `size` bytes, zero-filled, page aligned (anonymous pages:
 * resident only once touched).  Returns 0, -EINVAL or -ENOMEM. */
int gs_plain_init(struct gstor *gs, uint64_t size);
void gs_plain_free(struct gstor *gs);
/* Wrap memory the caller owns (Hercules mainstor, a test array). */
void gs_wrap(struct gstor *gs, void *base, uint64_t size);

/* True if [addr, addr+len) lies inside storage; len 0 is valid at any addr <= size. */
static inline bool gs_range_ok(const struct gstor *gs, uint64_t addr, uint64_t len)
{
	return addr <= gs->size && len <= gs->size - addr;
}

int gs_fetch(struct gstor *gs, uint64_t addr, void *dst, size_t len);
int gs_store(struct gstor *gs, uint64_t addr, const void *src, size_t len);
int gs_zero(struct gstor *gs, uint64_t addr, size_t len);

/* Big-endian scalars. */
int gs_fetch8(struct gstor *gs, uint64_t addr, uint8_t *v);
int gs_fetch16(struct gstor *gs, uint64_t addr, uint16_t *v);
int gs_fetch32(struct gstor *gs, uint64_t addr, uint32_t *v);
int gs_fetch64(struct gstor *gs, uint64_t addr, uint64_t *v);
int gs_store8(struct gstor *gs, uint64_t addr, uint8_t v);
int gs_store16(struct gstor *gs, uint64_t addr, uint16_t v);
int gs_store32(struct gstor *gs, uint64_t addr, uint32_t v);
int gs_store64(struct gstor *gs, uint64_t addr, uint64_t v);

/*
 * Zero-copy view of [addr, addr+len) for the data path (copy-once): returns a host
 * pointer or NULL (counted as a fault) when the range is not inside storage.
 * The view is valid until the guest's storage is reconfigured; `write` marks the
 * range changed for back ends that track it.
 */
uint8_t *gs_map(struct gstor *gs, uint64_t addr, size_t len, bool write);

/* QDIO rule for SBAL entries: the range must be inside storage (-EFAULT) and must not
 * cross a 4 KiB boundary (-EXDEV).  len 0 is allowed. */
int gs_check_sbale(struct gstor *gs, uint64_t addr, uint32_t len);
/* Alignment rule for control blocks (QDR 4K, QIB/SBAL/SLSB 256): -EFAULT outside,
 * -EXDEV misaligned. */
int gs_check_block(struct gstor *gs, uint64_t addr, uint64_t len, uint64_t align);

/* Ownership bytes shared with a running guest (SLSB): acquire/release ordering. */
int gs_state_load(struct gstor *gs, uint64_t addr, uint8_t *v);
int gs_state_store(struct gstor *gs, uint64_t addr, uint8_t v);

#endif
