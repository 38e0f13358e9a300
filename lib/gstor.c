/* lib/gstor.c - bounds-checked guest storage accessor (see lib/gstor.h).
 * Everything that reads or writes guest memory ends up in gs_map() below. */
#include "lib/gstor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/be.h"

#define GS_PAGE 4096u

/* Anonymous pages, never written here: the kernel hands out zero pages on first
 * touch, so storage nobody uses is not resident (a guest of many MB that only ever
 * touches its QDIO areas costs those pages). */
int gs_plain_init(struct gstor *gs, uint64_t size)
{
	void *p;

	memset(gs, 0, sizeof(*gs));
	if (size == 0 || size > ((uint64_t)1 << 40))
		return -EINVAL;
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	gs->base = p;
	gs->size = size;
	return 0;
}

void gs_plain_free(struct gstor *gs)
{
	if (gs->base)
		munmap(gs->base, (size_t)gs->size);
	memset(gs, 0, sizeof(*gs));
}

void gs_wrap(struct gstor *gs, void *base, uint64_t size)
{
	memset(gs, 0, sizeof(*gs));
	gs->base = base;
	gs->size = base ? size : 0;
}

uint8_t *gs_map(struct gstor *gs, uint64_t addr, size_t len, bool write)
{
	if (!gs_range_ok(gs, addr, len)) {
		__atomic_add_fetch(&gs->faults, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	if (gs->touch && len)
		gs->touch(gs->ctx, addr, len, write);
	return gs->base + addr;
}

int gs_fetch(struct gstor *gs, uint64_t addr, void *dst, size_t len)
{
	const uint8_t *p = gs_map(gs, addr, len, false);

	if (!p)
		return -EFAULT;
	if (len)
		memcpy(dst, p, len);
	return 0;
}

int gs_store(struct gstor *gs, uint64_t addr, const void *src, size_t len)
{
	uint8_t *p = gs_map(gs, addr, len, true);

	if (!p)
		return -EFAULT;
	if (len)
		memcpy(p, src, len);
	return 0;
}

int gs_zero(struct gstor *gs, uint64_t addr, size_t len)
{
	uint8_t *p = gs_map(gs, addr, len, true);

	if (!p)
		return -EFAULT;
	if (len)
		memset(p, 0, len);
	return 0;
}

#define GS_FETCH(bits, getter)                                               \
	int gs_fetch##bits(struct gstor *gs, uint64_t addr, uint##bits##_t *v) \
	{                                                                    \
		const uint8_t *p = gs_map(gs, addr, (bits) / 8, false);      \
		if (!p)                                                      \
			return -EFAULT;                                      \
		*v = getter(p);                                              \
		return 0;                                                    \
	}
#define GS_STORE(bits, putter)                                               \
	int gs_store##bits(struct gstor *gs, uint64_t addr, uint##bits##_t v)  \
	{                                                                    \
		uint8_t *p = gs_map(gs, addr, (bits) / 8, true);             \
		if (!p)                                                      \
			return -EFAULT;                                      \
		putter(p, v);                                                \
		return 0;                                                    \
	}

GS_FETCH(8, be_get8)
GS_FETCH(16, be_get16)
GS_FETCH(32, be_get32)
GS_FETCH(64, be_get64)
GS_STORE(8, be_put8)
GS_STORE(16, be_put16)
GS_STORE(32, be_put32)
GS_STORE(64, be_put64)

int gs_check_sbale(struct gstor *gs, uint64_t addr, uint32_t len)
{
	if (!gs_range_ok(gs, addr, len)) {
		__atomic_add_fetch(&gs->faults, 1, __ATOMIC_RELAXED);
		return -EFAULT;
	}
	if (len && (addr / GS_PAGE) != ((addr + len - 1) / GS_PAGE)) {
		__atomic_add_fetch(&gs->faults, 1, __ATOMIC_RELAXED);
		return -EXDEV;
	}
	return 0;
}

int gs_check_block(struct gstor *gs, uint64_t addr, uint64_t len, uint64_t align)
{
	if (!gs_range_ok(gs, addr, len)) {
		__atomic_add_fetch(&gs->faults, 1, __ATOMIC_RELAXED);
		return -EFAULT;
	}
	if (align > 1 && (addr & (align - 1))) {
		__atomic_add_fetch(&gs->faults, 1, __ATOMIC_RELAXED);
		return -EXDEV;
	}
	return 0;
}

int gs_state_load(struct gstor *gs, uint64_t addr, uint8_t *v)
{
	uint8_t *p = gs_map(gs, addr, 1, false);

	if (!p)
		return -EFAULT;
	*v = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	return 0;
}

int gs_state_store(struct gstor *gs, uint64_t addr, uint8_t v)
{
	uint8_t *p = gs_map(gs, addr, 1, true);

	if (!p)
		return -EFAULT;
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
	return 0;
}
