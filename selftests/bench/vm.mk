# SPDX-License-Identifier: GPL-2.0
#
# "make bench" (top level: make bench -> make -C selftests bench): the
# overhead and conversion benchmarks of Documentation/benchmarks.rst.
#
# This file sits beside the suites' vm.mk files only because
# selftests/Makefile includes */vm.mk. It is not a test suite: it adds
# nothing to VM_TESTDIRS, VM_FILES or VM_DEPS, so "make check" neither
# builds nor runs anything of it. The benchmark boots its own VM with its
# own initramfs (selftests/bench/guest.sh as the test list).
#
#   make -C selftests bench                       6.1 kernel, 100 x 199 polls, 7 rounds
#   make -C selftests bench BENCH_KVER=6.12.117+deb12-amd64
#   make -C selftests bench BENCH_N=100 BENCH_K=199 BENCH_REPS=7 BENCH_HOST_REPS=3

BENCH_OUT := $(BUILD)/bench
BENCH_KVER ?= $(firstword $(filter 6.1.%,$(KVERS)) $(KVERS))
BENCH_N ?= 100
BENCH_K ?= 199
BENCH_REPS ?= 7
BENCH_HOST_REPS ?= 3
BENCH_GEN := $(BENCH_OUT)/gen_trace
BENCH_PROG := $(BUILD)/rust/release/tokio_bench

bench-client:
	$(MAKE) -C $(TOP)/client catctl libcatctl.a

bench-rust:
	$(MAKE) -C rust

# The synthetic raw-trace generator of client/tests (see its header).
$(BENCH_GEN): $(TOP)/client/tests/gen_trace.c bench-client
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -I$(TOP)/client -I$(TOP)/include \
		-I/usr/include/libiberty -o $@ $< $(TOP)/client/libcatctl.a \
		-ldw -lelf -lyajl -liberty -lz

bench: bench-client bench-rust $(BENCH_GEN) modules
	@test -n "$(BENCH_KVER)" || { echo "bench: no Debian kernel headers installed (run 'make deps')" >&2; exit 1; }
	$(CURDIR)/bench/run -k $(BENCH_KVER) -o $(BENCH_OUT) \
		-c $(TOP)/client/catctl -g $(BENCH_GEN) -b $(BENCH_PROG) \
		-n $(BENCH_N) -K $(BENCH_K) -r $(BENCH_REPS) -R $(BENCH_HOST_REPS)

.PHONY: bench bench-client bench-rust

# "make -C selftests bench-spawnstack": the cost of spawn stack copies
# (record rate, conversion time; with vs without, one boot). See
# Documentation/benchmarks.rst.
SPAWNSTACK_N ?= 2000
SPAWNSTACK_K ?= 1
SPAWNSTACK_REPS ?= 5

bench-spawnstack: bench-client bench-rust modules
	$(CURDIR)/bench/spawnstack -k $(BENCH_KVER) -o $(BENCH_OUT) \
		-c $(TOP)/client/catctl -b $(BENCH_PROG) -n $(SPAWNSTACK_N) \
		-K $(SPAWNSTACK_K) -r $(SPAWNSTACK_REPS)

.PHONY: bench-spawnstack
