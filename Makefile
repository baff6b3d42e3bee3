# SPDX-License-Identifier: GPL-2.0
#
# cat: top-level build.
#
#   make               build kmod/cat.ko (for KDIR) and client/catctl
#   make modules-vm    build cat.ko for every Debian kernel the VM boots
#                      (Debian 12's, and the current test bed's 7.x, built in
#                      its chroot: see Documentation/current-stack.rst)
#   make current       the current test bed (scripts/current-stack) and the
#                      Rust programs built with its toolchain
#   make check         host unit tests, then the VM selftests on 6.1, 6.12
#                      and 7.x, against programs built by both toolchains
#   make demo          boot the VM, trace the bundled tokio program, leave
#                      the JSON and the report in out/demo/
#   make bench         overhead benchmarks (see Documentation/)
#   make deps          install what a fresh Debian 12 machine lacks
#   make deps-current  that, and the current test bed (check runs it)
#
# check, demo and bench run "make deps" first (check: "make deps-current",
# which sets up the current test bed too; each a no-op when everything is
# installed), then themselves in a new make (check-installed, ...), so
# that KDIR and the kernel list below are computed after the kernel
# headers are installed. The *-installed targets skip the install step.
#
# KDIR picks the kernel headers. Without it, the running kernel's build
# directory is used, or else the newest installed Debian 6.1 headers.

DEB_KDIRS := $(sort $(wildcard /usr/src/linux-headers-*-amd64))
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		    $(filter %-6.1.0-%,$(DEB_KDIRS)) $(DEB_KDIRS))

BUILD := $(CURDIR)/build
# The current test bed: a Debian trixie chroot with Linux 7.x, rustc 1.97
# and today's crates (scripts/current-stack). Its kernels are built in it.
CURRENT_STACK := $(BUILD)/current-stack
CURRENT_KVERS := $(notdir $(wildcard $(CURRENT_STACK)/opt/kernels/*-amd64))

all: module client

deps:
	./scripts/install-deps

# check also needs the current test bed (a no-op once it is set up).
deps-current: deps
	./scripts/current-stack

module:
	@test -n "$(KDIR)" || { echo "no kernel headers: run 'make deps' or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# One out-of-tree build per kernel, each in its own copy of the sources, so
# the 6.1 and 6.12 objects never mix.
modules-vm:
	@for k in $(DEB_KDIRS); do \
		v=$${k#/usr/src/linux-headers-}; d=$(BUILD)/kmod-$$v; \
		mkdir -p $$d && cp -ru Kbuild kmod include $$d/ && \
		$(MAKE) -C $$k M=$$d modules || exit 1; \
	done
	@for v in $(CURRENT_KVERS); do \
		d=$(BUILD)/kmod-$$v; \
		mkdir -p $$d && cp -ru Kbuild kmod include $$d/ && \
		./scripts/in-current-stack make -C /usr/src/linux-headers-$$v \
			M=/src/build/kmod-$$v modules || exit 1; \
	done

current: deps-current
	$(MAKE) -C selftests/current

client:
	$(MAKE) -C client

# The README's commands: install, then re-read this Makefile.
demo bench: deps
	@$(MAKE) --no-print-directory $@-installed

check: deps-current
	@$(MAKE) --no-print-directory $@-installed

# Every stage always runs, so a red host test does not hide the kernel
# results; each prints "N passed, N failed" (.ci/run sums them).
check-installed: all modules-vm
	@rc=0; \
	$(MAKE) -C client check || rc=1; \
	$(MAKE) -C client/tests fuzz-check || rc=1; \
	$(MAKE) -C selftests check || rc=1; \
	$(MAKE) -C selftests/viewer check || rc=1; \
	exit $$rc

demo-installed: all modules-vm
	$(MAKE) -C selftests demo

bench-installed: all modules-vm
	$(MAKE) -C selftests bench

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C client clean
	-$(MAKE) -C selftests clean
	-$(MAKE) -C selftests/viewer clean
	rm -rf $(BUILD)

.PHONY: all deps deps-current module modules-vm current client check demo bench clean \
	check-installed demo-installed bench-installed
