/* vhost/vumem.c - the guest memory table of a vhost-user device: mapping QEMU's regions
 * and translating addresses, every one checked against a single region. */
#define _GNU_SOURCE
#include "vhost/vumem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void vumem_free(struct vumem *m)
{
	for (unsigned i = 0; i < m->n; i++)
		munmap(m->reg[i].map, m->reg[i].map_len);
	memset(m, 0, sizeof(*m));
}

int vumem_set(struct vumem *m, const struct vu_memtable *t, const int *fds)
{
	struct vumem nm = { 0 };
	int rc = 0;

	vumem_free(m);
	for (unsigned i = 0; i < t->n; i++) {
		struct vumem_region *g = &nm.reg[i];
		struct stat st;
		int seals;

		g->r = t->r[i];
		g->map_len = g->r.mmap_offset + g->r.size;
		/* The file must hold the region: a shorter one would fault (SIGBUS) on
		 * the first access past its end instead of being refused here; and it
		 * must stay that long: a memfd sealed against shrinking (QEMU's memfd
		 * backend seals by default), else its owner could truncate it later. */
		if (rc == 0 && (fstat(fds[i], &st) < 0 || st.st_size < 0 ||
				(uint64_t)st.st_size < g->map_len || g->map_len > SIZE_MAX))
			rc = -EINVAL;
		if (rc == 0 && (seals = fcntl(fds[i], F_GET_SEALS)) < 0)
			rc = -EPERM;
		if (rc == 0 && !(seals & F_SEAL_SHRINK))
			rc = -EPERM;
		if (rc == 0) {
			void *p = mmap(NULL, (size_t)g->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
				       fds[i], 0);

			if (p == MAP_FAILED) {
				rc = -errno;
			} else {
				g->map = p;
				gs_wrap(&g->gs, g->map + g->r.mmap_offset, g->r.size);
				nm.n = i + 1;
			}
		}
		close(fds[i]);
	}
	if (rc) {
		vumem_free(&nm);
		return rc;
	}
	*m = nm;
	return 0;
}

uint8_t *vumem_gpa(struct vumem *m, uint64_t addr, uint64_t len, bool write)
{
	if (!len)
		return NULL;
	for (unsigned i = 0; i < m->n; i++) {
		struct vumem_region *g = &m->reg[i];

		if (addr >= g->r.gpa && addr - g->r.gpa < g->r.size)
			return gs_map(&g->gs, addr - g->r.gpa, (size_t)len, write);
	}
	return NULL;
}

uint8_t *vumem_uva(struct vumem *m, uint64_t addr, uint64_t len)
{
	if (!len)
		return NULL;
	for (unsigned i = 0; i < m->n; i++) {
		struct vumem_region *g = &m->reg[i];

		if (addr >= g->r.uva && addr - g->r.uva < g->r.size)
			return gs_map(&g->gs, addr - g->r.uva, (size_t)len, true);
	}
	return NULL;
}
