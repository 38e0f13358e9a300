/* lib/le.h - explicit little-endian byte access, for the one little-endian format cpnet
 * reads: virtio 1.0 rings and headers (vhost/).  The twin of lib/be.h. */
#ifndef CPNET_LIB_LE_H
#define CPNET_LIB_LE_H

#include <stdint.h>

static inline uint16_t le_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t le_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le_get64(const uint8_t *p)
{
	return (uint64_t)le_get32(p) | (uint64_t)le_get32(p + 4) << 32;
}

static inline void le_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void le_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void le_put64(uint8_t *p, uint64_t v)
{
	le_put32(p, (uint32_t)v);
	le_put32(p + 4, (uint32_t)(v >> 32));
}

/* A 16-bit little-endian index shared with another CPU (virtio's avail->idx,
 * used->idx): one aligned atomic access, converted after loading / before storing. */
static inline uint16_t le_load16_acquire(const uint8_t *p)
{
	uint16_t raw = __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_ACQUIRE);
	uint8_t b[2];

	__builtin_memcpy(b, &raw, 2);
	return le_get16(b);
}

static inline void le_store16_release(uint8_t *p, uint16_t v)
{
	uint8_t b[2];
	uint16_t raw;

	le_put16(b, v);
	__builtin_memcpy(&raw, b, 2);
	__atomic_store_n((uint16_t *)(void *)p, raw, __ATOMIC_RELEASE);
}

#endif
