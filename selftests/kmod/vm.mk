# SPDX-License-Identifier: GPL-2.0
# The cat.ko selftests: kselftest-harness programs in tests/, run in the
# VM, and the target program they trace in bin/ (copied to /cat/bin).
# zz_rmmod_test unloads the module, so its name sorts it last.

KMOD_OUT := $(OUT)/kmod
KMOD_TESTS := control_test control_fuzz_test trace_test buffer_test lifecycle_test stack_test zz_rmmod_test

VM_TESTDIRS += $(KMOD_OUT)/tests
VM_FILES += $(KMOD_OUT)/bin
VM_DEPS += $(addprefix $(KMOD_OUT)/tests/,$(KMOD_TESTS)) $(KMOD_OUT)/bin/cat_target

$(KMOD_OUT)/tests/%: kmod/%.c kmod/common.h $(LIBCAT) $(TOP)/client/libcatctl.a \
		$(KSFT)/kselftest_harness.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIBCAT_CFLAGS) -o $@ $< $(LIBCAT) $(LIBCAT_LDLIBS)

# -O1 -g, no PIE games: the symbol is the code (see cat_target.c).
$(KMOD_OUT)/bin/cat_target: kmod/targets/cat_target.c
	@mkdir -p $(@D)
	$(CC) -O1 -g -Wall -pthread -o $@ $<
