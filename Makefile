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
#   make install       install catctl, its man pages and bash completion
#                      (PREFIX, default /usr/local) and the module's
#                      source for DKMS (/usr/src/cat-VERSION), all under
#                      DESTDIR; then "dkms install cat/VERSION" builds it
#   make pkg-check     build the Debian packages (dpkg-buildpackage -b),
#                      lintian them, install them, check that DKMS built
#                      cat.ko for every installed kernel (scripts/pkg-check)
#
# check, demo and bench run "make deps" first (check: and the current test
# bed too, as "make deps-current" does; each a no-op when everything is
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

VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
# DKMS looks only here, whatever PREFIX is
DKMS_SRC ?= /usr/src/cat-$(VERSION)
MAN_PAGES := $(sort $(wildcard Documentation/man/*.8))

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

# While the current test bed is set up (mostly downloads and dpkg), Debian
# 12's cargo builds the selftests' Rust programs: CPU work next to I/O
# work, minutes off a fresh "make check". That early build's log is
# build/rust-early.log; check-installed builds them again (a no-op when
# the early build finished) and so reports any error it had.
check: deps
	@mkdir -p $(BUILD); \
	$(MAKE) -C selftests/rust > $(BUILD)/rust-early.log 2>&1 & rust=$$!; \
	./scripts/current-stack; rc=$$?; \
	wait $$rust || echo "make check: early Rust build failed (build/rust-early.log), retried below"; \
	exit $$rc
	@$(MAKE) --no-print-directory $@-installed

# Every stage always runs, so a red host test does not hide the kernel
# results; each prints "N passed, N failed" (.ci/run sums them).
check-installed: all modules-vm
	@rc=0; \
	$(MAKE) -C client check || rc=1; \
	$(MAKE) -C client/tests fuzz-check || rc=1; \
	$(MAKE) -C selftests check || rc=1; \
	$(MAKE) -C selftests/viewer check || rc=1; \
	if [ "$$(id -u)" = 0 ]; then ./scripts/pkg-check || rc=1; \
	else echo "make check: pkg-check skipped (needs root for dpkg -i)"; fi; \
	exit $$rc

demo-installed: all modules-vm
	$(MAKE) -C selftests demo

bench-installed: all modules-vm
	$(MAKE) -C selftests bench

install: install-client install-dkms

install-client: client
	install -D -m 0755 client/catctl $(DESTDIR)$(SBINDIR)/catctl
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man8/
	install -D -m 0644 completion/catctl $(DESTDIR)$(COMPLETIONDIR)/catctl

# The module's sources as Kbuild builds them (Kbuild, kmod/, include/)
# and dkms.conf with its version.
install-dkms:
	install -d $(DESTDIR)$(DKMS_SRC)/kmod $(DESTDIR)$(DKMS_SRC)/include
	install -m 0644 Kbuild $(DESTDIR)$(DKMS_SRC)/
	install -m 0644 kmod/Kbuild kmod/*.c kmod/*.h $(DESTDIR)$(DKMS_SRC)/kmod/
	install -m 0644 include/*.h $(DESTDIR)$(DKMS_SRC)/include/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf > $(DESTDIR)$(DKMS_SRC)/dkms.conf
	chmod 0644 $(DESTDIR)$(DKMS_SRC)/dkms.conf

pkg-check:
	./scripts/pkg-check

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C client clean
	-$(MAKE) -C selftests clean
	-$(MAKE) -C selftests/viewer clean
	rm -rf $(BUILD)

.PHONY: all deps deps-current module modules-vm current client check demo bench clean \
	install install-client install-dkms pkg-check \
	check-installed demo-installed bench-installed
