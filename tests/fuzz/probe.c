/*
 * probe.c: the smallest libFuzzer target.  tests/fuzz/run builds and
 * runs it first: if that fails, clang with libFuzzer and the sanitizers
 * does not work here, and the real targets are skipped, not failed.
 */
#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)data;
	(void)size;
	return 0;
}
