# svs.c — one entry point.
#
#   make            build bin/svs, build/libsvs.a and build/libsvs.so
#   make test       install missing Debian packages, build and run every test
#   make demo       the main job (for now: the verifier on the bundled example data)
#   make bench      benchmarks (verdicts/s next to math-verify, ...)
#   make golden     regenerate golden files with the pinned Python libraries
#   make fuzz       build the libFuzzer targets (clang); FUZZ_SECONDS=N make fuzz-run runs each
#   make asan       build and run the tests under AddressSanitizer + UBSan
#
# The reference (ref/) is built with strict IEEE semantics: no -ffast-math, no FP contraction.

CC      ?= cc
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -ffp-contract=off -fno-fast-math -fPIC -Iref
CFLAGS  += $(EXTRA_CFLAGS)
LDLIBS  += -ljansson -lutf8proc -lm
BUILD   ?= build

REF_SRC  := $(wildcard ref/*.c ref/verify/*.c ref/tokenizer/*.c ref/model/*.c)
CLI_SRC  := $(wildcard ref/cli/*.c)
REF_OBJ  := $(REF_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps test demo bench golden fuzz fuzz-run asan clean

all: bin/svs $(BUILD)/libsvs.a $(BUILD)/libsvs.so

deps:
	@sh scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libsvs.a: $(REF_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libsvs.so: $(REF_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS) $(LDLIBS)

bin/svs: $(CLI_OBJ) $(BUILD)/libsvs.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libsvs.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c tests/testlib.h $(BUILD)/libsvs.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libsvs.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libsvs.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libsvs.a $(LDFLAGS) $(LDLIBS)

test: deps
	@$(MAKE) --no-print-directory all $(TEST_BIN)
	@sh tests/run_tests.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@sh bench/run_bench.sh $(BUILD)

golden:
	@sh golden/make_golden.sh

# libFuzzer targets: clang with -fsanitize=fuzzer,address,undefined over the reference sources.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 $(FUZZ_SAN) -Iref
FUZZ_OBJ    := $(REF_SRC:%.c=$(BUILD)/fuzz-obj/%.o)

# the library is compiled once with coverage instrumentation; each target links against it
$(BUILD)/fuzz-obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LDLIBS)

fuzz: deps $(FUZZ_BIN)

FUZZ_SECONDS ?= 30
fuzz-run: fuzz
	@sh tests/fuzz/run_fuzz.sh $(BUILD) $(FUZZ_SECONDS)

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang OPT=-O1 \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" test

clean:
	rm -rf build build-asan bin

-include $(REF_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
