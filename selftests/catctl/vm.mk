# SPDX-License-Identifier: GPL-2.0
# catctl end to end: trace the bundled Rust programs (selftests/rust) in
# the VM with the real catctl. The guest gets /cat/app/catctl and
# /cat/app/{debug,release}/<program>; the tests link the client's library.

#
# catctl_shapes_test traces the newer spawn shapes (LocalSet, JoinSet,
# block_in_place, smol executors) built by Debian 12's toolchain;
# catctl_current_test traces every program built by the current test
# bed's toolchain (rustc 1.97, v0 names, tokio 1.53, smol 2, async-std
# 1.13, hyper 1; selftests/current), copied to /cat/current with the C
# runtime it links. CATCTL_CURRENT=no leaves the current toolchain out
# (no chroot build, no catctl_current_test).

CATCTL_OUT := $(OUT)/catctl
CATCTL_APP := $(CATCTL_OUT)/app
RUST_PROGS := tokio_multi tokio_bench asyncstd_demo tokio_local tokio_shapes \
	      smol_executors smol_demo tokio_lints
CATCTL_TESTS := catctl_test catctl_libs_test catctl_shapes_test
CATCTL_CURRENT ?= yes
# Where the programs come from: another build of selftests/rust (e.g.
# build/rust-v0, v0 symbol names, from client/tests' rust-mangling) can
# stand in for Debian's.
CATCTL_RUST ?= $(BUILD)/rust
# Directories the programs need in the guest as well (/cat/<basename>),
# e.g. the current stack's build/current/guest/current for its libraries.
CATCTL_VM_FILES ?=

ifeq ($(CATCTL_CURRENT),yes)
CATCTL_TESTS += catctl_current_test
VM_FILES += $(BUILD)/current/guest/current
VM_DEPS += catctl-current
endif

VM_TESTDIRS += $(CATCTL_OUT)/tests
VM_FILES += $(CATCTL_APP) $(CATCTL_VM_FILES)
VM_DEPS += $(addprefix $(CATCTL_OUT)/tests/,$(CATCTL_TESTS)) catctl-app

$(TOP)/client/libcatctl.a $(TOP)/client/catctl: FORCE
	$(MAKE) -C $(TOP)/client catctl libcatctl.a

# The tests link $(LIBCAT) for selftests/lib/spawn.h (running catctl and
# the programs with their output in files).
CATCTL_HDRS := catctl/expect.h catctl/fixture.h catctl/json_args.h
CATCTL_LINK_DEPS := $(LIBCAT) $(TOP)/client/libcatctl.a $(KSFT)/kselftest_harness.h

$(CATCTL_OUT)/tests/%: catctl/%.c $(CATCTL_HDRS) $(CATCTL_LINK_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIBCAT_CFLAGS) -o $@ $< $(LIBCAT) $(LIBCAT_LDLIBS)

# the same test on the smol programs (its own time limit)
$(CATCTL_OUT)/tests/catctl_libs_test: catctl/catctl_test.c $(CATCTL_HDRS) \
		$(CATCTL_LINK_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIBCAT_CFLAGS) -DCAT_LIB_VARIANTS -o $@ $< \
		$(LIBCAT) $(LIBCAT_LDLIBS)

# One source, one binary per toolchain's program set.
$(CATCTL_OUT)/tests/catctl_shapes_test $(CATCTL_OUT)/tests/catctl_current_test: \
		catctl/catctl_matrix_test.c $(CATCTL_HDRS) $(CATCTL_LINK_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIBCAT_CFLAGS) \
		-DCATCTL_SET_$(if $(filter %current_test,$@),CURRENT,DEBIAN12) \
		-o $@ $< $(LIBCAT) $(LIBCAT_LDLIBS)

# The current toolchain's programs (built in the chroot).
catctl-current:
	$(MAKE) -C current

catctl-app: $(TOP)/client/catctl
	$(MAKE) -C rust
	@mkdir -p $(CATCTL_APP)/debug $(CATCTL_APP)/release
	cp $(TOP)/client/catctl $(CATCTL_APP)/
	for p in $(RUST_PROGS); do \
		cp $(CATCTL_RUST)/debug/$$p $(CATCTL_APP)/debug/ && \
		cp $(CATCTL_RUST)/release/$$p $(CATCTL_APP)/release/ || exit 1; \
	done

.PHONY: catctl-app catctl-current FORCE
