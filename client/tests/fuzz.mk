# SPDX-License-Identifier: GPL-2.0
#
# Fuzzing with libFuzzer (clang -fsanitize=fuzzer,address,undefined
# -fno-sanitize-recover; Debian: clang and libclang-rt-14-dev). Included
# from client/tests/Makefile. Two targets:
#   rawfile  fuzz_rawfile.c: the trace reader and the rebuild on their own
#   convert  fuzz_convert.c: all of convert and report (reader, rebuild,
#            losses, JSON writer in every detail, source locations, the
#            report in text and json), output checked to parse as JSON
#
#   make -C client/tests fuzz [FUZZ_TARGET=rawfile|convert]
#	[FUZZ_SECONDS=60] [FUZZ_FLAGS=-jobs=2...]
#	build the target, make the seed corpus, fuzz for FUZZ_SECONDS;
#	fails (and leaves crash-* files in $(FUZZ_OUT)/artifacts-<target>/)
#	on a crash
#   make -C client/tests fuzz-regress
#	replay every input of fuzz-crashes/ and fuzz-seeds/ once through both
#	targets: each must run clean (the regression test of crashes found
#	and fixed)
#   make -C client/tests fuzz-check [FUZZ_CHECK_SECONDS=60]
#	both, each target fuzzed FUZZ_CHECK_SECONDS, as part of the top-level
#	"make check" (CI)
#
# The working corpus lives in $(FUZZ_OUT)/corpus-<target> and grows from
# run to run. Seeds: small synthetic traces from gen_trace (different
# worker counts, with and without LOST records) plus the real traces in
# fuzz-seeds/. Documentation/robustness.rst has the details.

FUZZ_SECONDS ?= 60
FUZZ_FLAGS ?=
FUZZ_MAX_LEN ?= 65536
FUZZ_TARGET ?= rawfile
FUZZ_TARGETS := rawfile convert
FUZZ_OUT := $(OUT)/fuzz
FUZZ_CC ?= clang
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I.. -I../../include -I/usr/include/libiberty
FUZZ_LIBS := -ldw -lelf -lyajl -liberty -lz -lncursesw
FUZZ_SRCS_rawfile := ../rawfile.c ../rebuild.c ../spawnnest.c ../orphansite.c
# all of catctl but its main()
FUZZ_SRCS_convert := $(filter-out ../catctl.c,$(wildcard ../*.c))
FUZZ_GEN := $(FUZZ_OUT)/gen_trace
# gen_trace arguments of each synthetic seed: tasks, polls, workers, lost
FUZZ_SEED_ARGS := t1p1w1 t2p2w1 t4p3w2 t3p2w3 t6p4w2l5 t8p2w4l3
FUZZ_SEEDS := $(patsubst %,$(FUZZ_OUT)/seeds/%.cat,$(FUZZ_SEED_ARGS))
# the convert target reads this binary's DWARF (one input in 16), if built
FUZZ_BINARY ?= $(wildcard $(TOP)/build/rust/release/tokio_multi)

fuzz_check_cc = command -v $(FUZZ_CC) >/dev/null || { \
		echo "fuzz: $(FUZZ_CC) not found (apt-get install clang libclang-rt-14-dev)"; \
		exit 1; }

$(FUZZ_OUT)/fuzz_rawfile: fuzz_rawfile.c $(FUZZ_SRCS_rawfile) ../rawfile.h \
		../rebuild.h ../probe.h ../../include/cat_abi.h
	@mkdir -p $(@D)
	@$(fuzz_check_cc)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ fuzz_rawfile.c $(FUZZ_SRCS_rawfile)

$(FUZZ_OUT)/fuzz_convert: fuzz_convert.c $(FUZZ_SRCS_convert) $(wildcard ../*.h) \
		../../include/cat_abi.h
	@mkdir -p $(@D)
	@$(fuzz_check_cc)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ fuzz_convert.c $(FUZZ_SRCS_convert) \
		$(FUZZ_LIBS)

$(FUZZ_GEN): gen_trace.c ../libcatctl.a
	@mkdir -p $(@D)
	$(CC) -O2 -g -I.. -I../../include -o $@ gen_trace.c ../libcatctl.a \
		-ldw -lelf -lyajl -liberty -lz -lncursesw

# t4p3w2l5 -> -t 4 -p 3 -w 2 -l 5
$(FUZZ_OUT)/seeds/%.cat: $(FUZZ_GEN)
	@mkdir -p $(@D)
	$(FUZZ_GEN) $$(echo $* | sed -E 's/([a-z])([0-9]+)/ -\1 \2/g') -o $@

fuzz-build: $(patsubst %,$(FUZZ_OUT)/fuzz_%,$(FUZZ_TARGETS)) $(FUZZ_SEEDS)

fuzz: fuzz-build
	@mkdir -p $(FUZZ_OUT)/corpus-$(FUZZ_TARGET) $(FUZZ_OUT)/artifacts-$(FUZZ_TARGET)
	CAT_FUZZ_BINARY=$(FUZZ_BINARY) \
	$(FUZZ_OUT)/fuzz_$(FUZZ_TARGET) -max_total_time=$(FUZZ_SECONDS) \
		-max_len=$(FUZZ_MAX_LEN) -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 $(FUZZ_FLAGS) \
		-artifact_prefix=$(FUZZ_OUT)/artifacts-$(FUZZ_TARGET)/ \
		$(FUZZ_OUT)/corpus-$(FUZZ_TARGET) $(FUZZ_OUT)/seeds fuzz-seeds

fuzz-regress: $(patsubst %,$(FUZZ_OUT)/fuzz_%,$(FUZZ_TARGETS))
	@set -e; files=$$(ls fuzz-crashes/* fuzz-seeds/* 2>/dev/null || true); \
	if [ -z "$$files" ]; then echo "fuzz-regress: nothing to replay"; exit 0; fi; \
	for t in $(FUZZ_TARGETS); do \
		echo "== fuzz_$$t"; \
		CAT_FUZZ_BINARY=$(FUZZ_BINARY) $(FUZZ_OUT)/fuzz_$$t -runs=1 $$files; \
	done

# The part of "make check" (so of CI): the deterministic replay, then
# FUZZ_CHECK_SECONDS of fuzzing per target; one "N passed, N failed" line
# like the other suites, and libFuzzer's execution counts. A crash found
# here is a real bug: its input is in $(FUZZ_OUT)/artifacts-<target>/.
FUZZ_CHECK_SECONDS ?= 60

fuzz-check: fuzz-build
	@pass=0; fail=0; \
	if $(MAKE) --no-print-directory fuzz-regress \
		> $(FUZZ_OUT)/regress.log 2>&1; then \
		pass=$$((pass + 1)); echo "ok fuzz-regress"; \
	else \
		fail=$$((fail + 1)); tail -n 30 $(FUZZ_OUT)/regress.log; \
		echo "not ok fuzz-regress"; \
	fi; \
	for t in $(FUZZ_TARGETS); do \
		log=$(FUZZ_OUT)/fuzz-$$t.log; \
		if $(MAKE) --no-print-directory fuzz FUZZ_TARGET=$$t \
			FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) > $$log 2>&1; then \
			pass=$$((pass + 1)); echo "ok fuzz_$$t ($(FUZZ_CHECK_SECONDS) s)"; \
		else \
			fail=$$((fail + 1)); tail -n 40 $$log; \
			echo "not ok fuzz_$$t ($(FUZZ_CHECK_SECONDS) s): see $(FUZZ_OUT)/artifacts-$$t/"; \
		fi; \
		sed -n "s/^\(stat::number_of_executed_units\|stat::peak_rss_mb\|Done [0-9]* runs.*\)/# fuzz_$$t: \1/p" $$log; \
	done; \
	echo "$$pass passed, $$fail failed"; \
	[ $$fail = 0 ]

.PHONY: fuzz fuzz-build fuzz-regress fuzz-check
