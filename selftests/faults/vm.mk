# SPDX-License-Identifier: GPL-2.0
# Faults: catctl and cat.ko when things go wrong (a target killed in a
# poll, exec, fork, catctl killed, two sessions at once, a full disk,
# overload, permissions, rmmod/insmod cycles). The tests drive the real
# /cat/app/catctl on the bundled Rust programs (see selftests/catctl/vm.mk)
# and read raw traces with the client's reader (rawfile.h); fault_helper goes to
# /cat/faults-bin/. zz_faults_reload_test unloads the module: it sorts
# after every test that needs it loaded.

FAULTS_OUT := $(OUT)/faults
FAULTS_TESTS := faults_test zz_faults_reload_test

VM_TESTDIRS += $(FAULTS_OUT)/tests
VM_FILES += $(FAULTS_OUT)/faults-bin
VM_DEPS += $(addprefix $(FAULTS_OUT)/tests/,$(FAULTS_TESTS)) \
	   $(FAULTS_OUT)/faults-bin/fault_helper catctl-app

$(FAULTS_OUT)/tests/%: faults/%.c faults/faults.h $(LIBCAT) \
		$(TOP)/client/libcatctl.a $(KSFT)/kselftest_harness.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIBCAT_CFLAGS) -o $@ $< $(LIBCAT) $(LIBCAT_LDLIBS)

$(FAULTS_OUT)/faults-bin/fault_helper: faults/fault_helper.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -o $@ $<
