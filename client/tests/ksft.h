/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ksft.h - the kselftest harness as the host tests use it.
 *
 * The tests run under ASan and UBSan (Makefile) on build machines shared
 * by several jobs: the harness's 30 s per test is not enough for the ones
 * that walk every byte of a trace or every address of a binary. The
 * macro is expanded where TEST() is used, so redefining it here works.
 */
#ifndef CAT_KSFT_H
#define CAT_KSFT_H

#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	600

#endif /* CAT_KSFT_H */
