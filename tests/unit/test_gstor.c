/* tests/unit/test_gstor.c - the guest storage accessor: bounds, big-endian scalars,
 * the SBALE 4 KiB rule and block alignment, on a plain back end. */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "lib/gstor.h"
#include "tests/tcheck.h"

TEST(gstor_scalars_are_big_endian)
{
	struct gstor gs;
	uint8_t raw[8];
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	REQUIRE(gs_plain_init(&gs, 8192) == 0);
	CHECK_EQ(gs_store32(&gs, 0x100, 0x01020304), 0);
	CHECK_EQ(gs_fetch(&gs, 0x100, raw, 4), 0);
	CHECK_EQ(raw[0], 1);
	CHECK_EQ(raw[3], 4);
	CHECK_EQ(gs_fetch16(&gs, 0x101, &v16), 0);
	CHECK_EQ(v16, 0x0203);
	CHECK_EQ(gs_store64(&gs, 0x200, 0x1122334455667788ull), 0);
	CHECK_EQ(gs_fetch64(&gs, 0x200, &v64), 0);
	CHECK_EQ(v64, 0x1122334455667788ull);
	CHECK_EQ(gs_fetch32(&gs, 0x204, &v32), 0);
	CHECK_EQ(v32, 0x55667788);
	gs_plain_free(&gs);
}

TEST(gstor_refuses_outside_storage)
{
	struct gstor gs;
	uint8_t b[16] = { 0 };
	uint32_t v;

	REQUIRE(gs_plain_init(&gs, 4096) == 0);
	CHECK_EQ(gs_fetch(&gs, 4096 - 16, b, 16), 0);
	CHECK_EQ(gs_fetch(&gs, 4096 - 15, b, 16), -EFAULT);
	CHECK_EQ(gs_fetch32(&gs, 4094, &v), -EFAULT);
	CHECK_EQ(gs_store32(&gs, UINT64_MAX - 1, 1), -EFAULT);
	CHECK_EQ(gs_store(&gs, 8, b, SIZE_MAX), -EFAULT);
	CHECK(gs_map(&gs, 4096, 0, false) != NULL);
	CHECK(gs_map(&gs, 4097, 0, false) == NULL);
	CHECK(gs_map(&gs, UINT64_MAX, 2, true) == NULL);
	CHECK(gs.faults >= 6);
	gs_plain_free(&gs);
}

TEST(gstor_sbale_page_rule)
{
	struct gstor gs;

	REQUIRE(gs_plain_init(&gs, 3 * 4096) == 0);
	CHECK_EQ(gs_check_sbale(&gs, 0x1000, 4096), 0);
	CHECK_EQ(gs_check_sbale(&gs, 0x1001, 4096), -EXDEV);
	CHECK_EQ(gs_check_sbale(&gs, 0x1FFF, 1), 0);
	CHECK_EQ(gs_check_sbale(&gs, 0x1FFF, 2), -EXDEV);
	CHECK_EQ(gs_check_sbale(&gs, 0x2F00, 0x200), -EFAULT);
	CHECK_EQ(gs_check_sbale(&gs, 0x3000, 1), -EFAULT);
	CHECK_EQ(gs_check_sbale(&gs, 0x3000, 0), 0);
	CHECK_EQ(gs_check_block(&gs, 0x100, 256, 256), 0);
	CHECK_EQ(gs_check_block(&gs, 0x180, 256, 256), -EXDEV);
	CHECK_EQ(gs_check_block(&gs, 0x2F00, 0x200, 256), -EFAULT);
	gs_plain_free(&gs);
}

static uint64_t touched_write, touched_read;
static void touch_cb(void *ctx, uint64_t addr, uint64_t len, bool write)
{
	(void)ctx;
	(void)addr;
	if (write)
		touched_write += len;
	else
		touched_read += len;
}

TEST(gstor_touch_hook_sees_every_access)
{
	uint8_t mem[512];
	struct gstor gs;
	uint8_t st;

	gs_wrap(&gs, mem, sizeof(mem));
	gs.touch = touch_cb;
	touched_write = touched_read = 0;
	CHECK_EQ(gs_store16(&gs, 10, 0xBEEF), 0);
	CHECK_EQ(gs_state_store(&gs, 20, 0x62), 0);
	CHECK_EQ(gs_state_load(&gs, 20, &st), 0);
	CHECK_EQ(st, 0x62);
	CHECK_EQ(touched_write, 3);
	CHECK_EQ(touched_read, 1);
	CHECK_EQ(gs_state_load(&gs, 512, &st), -EFAULT);
}

/* Guest storage is resident only where it is touched: a 64 MiB guest that uses a few
 * pages costs a few pages (cpnetd's footprint with synthetic guests). */
TEST(gstor_plain_is_zero_and_not_resident_until_touched)
{
	enum { SIZE = 64u << 20, PAGES = SIZE / 4096 };
	static unsigned char vec[PAGES];
	struct gstor gs;
	unsigned resident = 0;
	uint64_t v = 1;

	REQUIRE(gs_plain_init(&gs, SIZE) == 0);
	REQUIRE(mincore(gs.base, SIZE, vec) == 0);
	for (unsigned i = 0; i < PAGES; i++)
		resident += vec[i] & 1;
	CHECK_EQ(resident, 0);
	CHECK_EQ(gs_fetch64(&gs, SIZE - 8, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(gs_store32(&gs, 0x10000, 0xC0FFEE), 0);
	REQUIRE(mincore(gs.base, SIZE, vec) == 0);
	resident = 0;
	for (unsigned i = 0; i < PAGES; i++)
		resident += vec[i] & 1;
	CHECK(resident >= 1 && resident <= 2);	/* the stored page (+ the read zero page) */
	CHECK(vec[0x10000 / 4096] & 1);
	gs_plain_free(&gs);
	CHECK(gs.base == NULL);
}
