# svs.c — one entry point.
#
#   make            build bin/svs, build/libsvs.a and build/libsvs.so
#   make test       install missing Debian packages, build and run every test
#   make demo       the main job: RLVR vs SvS on the tiny model, pass@k, plots (scripts/demo.sh)
#   make demo-verifier  the verifier on the bundled examples and MATH-500
#   make tiny-model rebuild data/tiny/ (tokenizer + tiny model; TINY_OUT=DIR writes elsewhere)
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

# ---- optional optimized CPU backend (opt/): OpenBLAS (OpenMP build) + OpenMP, oneDNN ----
# Probed, with NO_OPT=1 / NO_DNNL=1 overrides; the reference always builds without them.
# opt/ is compiled with gcc's OpenMP (clang's -fopenmp would bring a second runtime).
OPT_SRC := $(wildcard opt/*.c)
ifeq ($(NO_OPT),)
HAVE_OPT := $(shell printf 'int openblas_get_parallel(void); int main(void){return openblas_get_parallel()==2?0:1;}' | \
              $(CC) -x c - -o /tmp/svs-probe-openblas -lopenblas 2>/dev/null && /tmp/svs-probe-openblas && echo 1; rm -f /tmp/svs-probe-openblas)
endif
ifeq ($(HAVE_OPT),1)
ifeq ($(NO_DNNL),)
HAVE_DNNL := $(shell [ -f /usr/include/oneapi/dnnl/dnnl.h ] && printf 'int main(void){return 0;}' | \
               $(CC) -x c - -o /dev/null -ldnnl 2>/dev/null && echo 1)
endif
OPT_CFLAGS := $(OPT) -g -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -ffp-contract=off -fno-math-errno \
              -fPIC -fopenmp -Iref -Iopt $(if $(HAVE_DNNL),-DOPT_HAVE_DNNL) $(EXTRA_CFLAGS)
OPT_LIBS   := -fopenmp -lopenblas $(if $(HAVE_DNNL),-ldnnl)
OPT_OBJ    := $(OPT_SRC:%.c=$(BUILD)/%.o)
CLI_DEFS   := -DSVS_HAVE_OPT -Iopt
else
OPT_OBJ    :=
OPT_LIBS   :=
CLI_DEFS   :=
endif

OPT_ONLY_TESTS := tests/test_ops_opt.c tests/test_model_opt.c tests/test_ops_on_opt.c
OPT_ONLY_BENCH := bench/bench_ops.c
TEST_SRC := $(filter-out $(if $(OPT_OBJ),,$(OPT_ONLY_TESTS)),$(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(filter-out $(if $(OPT_OBJ),,$(OPT_ONLY_BENCH)),$(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps test demo demo-verifier tiny-model bench golden fuzz fuzz-run asan asan-opt clean

# the CLI binary; `make asan` builds its own (build-asan/svs) so bin/svs is never clobbered
BIN ?= bin/svs

all: $(BIN) $(BUILD)/libsvs.a $(BUILD)/libsvs.so
	@echo "svs: opt backend (OpenBLAS + OpenMP): $(if $(OPT_OBJ),built$(if $(HAVE_DNNL), with oneDNN,),not built: install libopenblas-openmp-dev (and libdnnl-dev))"

deps:
	@sh scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/opt/%.o: opt/%.c
	@mkdir -p $(dir $@)
	$(CC) $(OPT_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/ref/cli/%.o: ref/cli/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CLI_DEFS) -MMD -MP -c $< -o $@

$(BUILD)/libsvs.a: $(REF_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libsvs.so: $(REF_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BIN): $(CLI_OBJ) $(OPT_OBJ) $(BUILD)/libsvs.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(OPT_OBJ) $(BUILD)/libsvs.a $(LDFLAGS) $(OPT_LIBS) $(LDLIBS)

# programs that exercise the opt backend link its objects too
$(BUILD)/tests/test_ops_opt: tests/test_ops_opt.c $(wildcard tests/*.h) $(OPT_OBJ) $(BUILD)/libsvs.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iopt -fopenmp -o $@ $< $(OPT_OBJ) $(BUILD)/libsvs.a $(LDFLAGS) $(OPT_LIBS) $(LDLIBS)

$(BUILD)/tests/test_ops_on_opt: tests/test_ops_on_opt.c tests/test_ops.c $(wildcard tests/*.h) $(OPT_OBJ) $(BUILD)/libsvs.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iopt -fopenmp -o $@ $< $(OPT_OBJ) $(BUILD)/libsvs.a $(LDFLAGS) $(OPT_LIBS) $(LDLIBS)

$(BUILD)/tests/test_model_opt: tests/test_model_opt.c $(wildcard tests/*.h) $(OPT_OBJ) $(BUILD)/libsvs.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iopt -fopenmp -o $@ $< $(OPT_OBJ) $(BUILD)/libsvs.a $(LDFLAGS) $(OPT_LIBS) $(LDLIBS)

$(BUILD)/bench/bench_ops: bench/bench_ops.c $(OPT_OBJ) $(BUILD)/libsvs.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iopt -fopenmp -o $@ $< $(OPT_OBJ) $(BUILD)/libsvs.a $(LDFLAGS) $(OPT_LIBS) $(LDLIBS)

# bench_model: ref always; with the opt objects (-DSVS_HAVE_OPT) also --backend opt:openblas|opt:onednn
$(BUILD)/bench/bench_model: bench/bench_model.c bench/ops_profile.h $(OPT_OBJ) $(BUILD)/libsvs.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(if $(OPT_OBJ),-DSVS_HAVE_OPT -Iopt -fopenmp) -o $@ $< $(OPT_OBJ) $(BUILD)/libsvs.a $(LDFLAGS) $(OPT_LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(BUILD)/libsvs.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libsvs.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libsvs.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libsvs.a $(LDFLAGS) $(LDLIBS)

test: deps
	@$(MAKE) --no-print-directory all $(TEST_BIN)
	@SVS=$(BIN) SVS_ASAN=$(SVS_ASAN) sh tests/run_tests.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory -s all
	@SVS=$(BIN) SVS_BUILD=$(BUILD) sh scripts/demo.sh

demo-verifier: deps
	@$(MAKE) --no-print-directory -s all
	@sh scripts/demo_verifier.sh

# rebuilds data/tiny/ (tokenizer + model) from scratch: ~20-25 minutes on 2 cores
tiny-model: deps
	@$(MAKE) --no-print-directory -s all
	@SVS=$(BIN) SVS_BUILD=$(BUILD) sh scripts/make_tiny_model.sh $(TINY_OUT)

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
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=build-asan/svs CC=clang OPT=-O1 NO_OPT=1 \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" SVS_ASAN=1 test

# the opt backend's tests under gcc's sanitizers (clang's -fopenmp would bring a second OpenMP
# runtime next to OpenBLAS's and oneDNN's libgomp, so `make asan` builds without opt)
asan-opt:
	@$(MAKE) --no-print-directory BUILD=build-asan-opt BIN=build-asan-opt/svs OPT=-O1 \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" SVS_ASAN=1 TEST_FILTER=_opt test

clean:
	rm -rf build build-asan build-asan-opt bin

-include $(REF_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(OPT_OBJ:.o=.d)
