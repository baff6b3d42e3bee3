# SPDX-License-Identifier: GPL-2.0
# The emulator's soundness under kernel text patching (issue 14.10): the
# control experiments of textpoke_test.c, in every VM run. Under
# multi-threaded TCG they tell a QEMU fault from a cat fault; see
# selftests/emu/run for repeated boots. Needs cat_target (selftests/kmod).

EMU_OUT := $(OUT)/emu
EMU_TESTS := textpoke_test

VM_TESTDIRS += $(EMU_OUT)/tests
VM_DEPS += $(addprefix $(EMU_OUT)/tests/,$(EMU_TESTS)) $(OUT)/kmod/bin/cat_target

$(EMU_OUT)/tests/%: emu/%.c $(LIBCAT) $(TOP)/client/libcatctl.a \
		$(KSFT)/kselftest_harness.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIBCAT_CFLAGS) -pthread -o $@ $< $(LIBCAT) $(LIBCAT_LDLIBS)
