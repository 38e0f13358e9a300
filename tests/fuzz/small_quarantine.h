/* tests/fuzz/small_quarantine.h - ASan options for a libFuzzer target whose inputs each
 * allocate and free a lot (a CP, a LAN's tables, queued frames): included once, by the
 * target's file. */
#ifndef CPNET_TESTS_FUZZ_SMALL_QUARANTINE_H
#define CPNET_TESTS_FUZZ_SMALL_QUARANTINE_H

/*
 * With ASan's default 256 MB quarantine, freed memory is reused only after 256 MB more
 * were freed, so every input runs on fresh pages and page faults and zeroing take
 * half the time (fuzz_cmd, fuzz_switch, fuzz_vmring).  16 MB still holds everything
 * one input of these targets frees (at most about a megabyte), so a use after free
 * within an input, or of what the previous input freed, is still caught.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

#endif
