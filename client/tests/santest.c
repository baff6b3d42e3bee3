// SPDX-License-Identifier: GPL-2.0
/*
 * santest.c - leak checks where the kselftest harness ends a test.
 *
 * The harness runs each test in a fork()ed child that ends with _exit(),
 * which skips LeakSanitizer's check at exit: a leak in the code under
 * test would never be reported. The test programs are linked with
 * -Wl,--wrap=_exit, so their _exit() comes here first: with
 * LeakSanitizer in the build, look for leaks now, and turn a clean exit
 * into a failing one when there are (the report itself goes where
 * LSAN_OPTIONS/ASAN_OPTIONS say, which the Makefile counts too).
 */
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
#define HAVE_LSAN 1
#endif
#endif

void __real__exit(int status) __attribute__((noreturn));
void __wrap__exit(int status) __attribute__((noreturn));

void __wrap__exit(int status)
{
#ifdef HAVE_LSAN
	/* only a passing test (0) or a skipped one (255) can still fail */
	if ((status == 0 || status == 255) &&
	    __lsan_do_recoverable_leak_check())
		status = 1;
#endif
	__real__exit(status);
}
