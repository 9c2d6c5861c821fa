# tanne: one Makefile.  make | make test | make demo | make bench | make fuzz
# Switches: SANITIZE=1 (ASan+UBSan), DOUBLE=1 (all-float64), WERROR=1,
# MPI=1|0 (default: on where Open MPI's mpicc or pkg-config ompi is found).

CC      ?= cc
PKGS    := hdf5 zlib yaml-0.1 openblas
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

BUILD_ROOT ?= build
BUILD   := $(BUILD_ROOT)
CFLAGS  := -std=c11 -O2 -g -fPIC -fno-trapping-math -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
           -fopenmp -Wall -Wextra -Wpedantic -Wshadow -Iinclude $(PKG_CFLAGS)
LDFLAGS := -fopenmp
LDLIBS  := $(PKG_LIBS) -lm

ifeq ($(SANITIZE),1)
  BUILD   := $(BUILD)-san
  CFLAGS  += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(DOUBLE),1)
  BUILD   := $(BUILD)-double
  CFLAGS  += -DTN_DOUBLE=1
endif
ifeq ($(WERROR),1)
  CFLAGS  += -Werror
endif

# MPI goes into the tanne command only (cli/mpi_comm.c, mpirun -np R tanne
# train); libtanne and the tests stay free of it. After switching MPI on or
# off in a built tree, touch cli/mpi_comm.c (or make clean).
ifeq ($(origin MPI),undefined)
  MPI := $(shell { pkg-config --exists ompi 2>/dev/null || mpicc --showme:version >/dev/null 2>&1; } && echo 1 || echo 0)
endif
ifeq ($(MPI),1)
  MPI_CFLAGS := $(shell pkg-config --cflags ompi 2>/dev/null || mpicc --showme:compile)
  MPI_LIBS   := $(shell pkg-config --libs ompi 2>/dev/null || mpicc --showme:link)
  $(BUILD)/cli/mpi_comm.o: CFLAGS += -DTN_MPI=1 $(MPI_CFLAGS)
endif

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC  := $(sort $(wildcard cli/*.c))
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
# Finite-difference tests need float64, so they always run from a DOUBLE=1
# build (build-double, or build-san-double under SANITIZE=1).
FD_SRC   := tests/test_nn.c tests/test_schnet.c tests/test_nn_vector.c tests/test_painn.c \
            tests/test_acsf.c tests/test_bpnn.c tests/test_n2p2_import.c tests/test_classify_mlp.c \
            tests/test_sensitivity.c
TEST_SRC := $(filter-out $(FD_SRC),$(sort $(wildcard tests/test_*.c)))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
ifeq ($(DOUBLE),1)
  FD_BUILD := $(BUILD)
else
  FD_BUILD := $(BUILD)-double
endif
FD_BIN   := $(FD_SRC:tests/%.c=$(FD_BUILD)/tests/%)
TEST_PY  := $(sort $(wildcard tests/test_*.py))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 20

.PHONY: all lib test fd-tests bench demo fuzz format format-check clean
.SECONDARY:
all: lib $(BUILD)/tanne
lib: $(BUILD)/libtanne.a $(BUILD)/libtanne.so

$(BUILD)/%.o: %.c $(wildcard include/*.h src/*/*.h cli/*.h tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libtanne.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libtanne.so: $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tanne: $(CLI_OBJ) $(BUILD)/libtanne.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libtanne.a $(LDLIBS) $(MPI_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/tests/harness.o $(BUILD)/tests/configs.o \
                  $(BUILD)/libtanne.a
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libtanne.a $(LDLIBS)

# The finite-difference tests also link the checks they share: model physics
# (tests/model_checks.c) and op-level finite differences (tests/fd_checks.c).
$(FD_BIN): $(FD_BUILD)/tests/model_checks.o $(FD_BUILD)/tests/fd_checks.o

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libtanne.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libtanne.a $(LDLIBS)

# Tests run from the repository root, so data is at ../shared/data (or
# $TANNE_DATA); those that need it skip with a message where it is absent.
test: all $(TEST_BIN) fd-tests
	@sh tests/run.sh $(BUILD) $(TEST_BIN) $(FD_BIN) $(TEST_PY)

# The float64 build's tanne and libtanne.a come along: tests/test_kim_lammps.py
# compares LAMMPS (the KIM driver linked with that library) against that
# tanne, since float32 rounding alone reaches 1e-6 of the forces there.
ifeq ($(DOUBLE),1)
fd-tests: $(FD_BIN) $(BUILD)/tanne $(BUILD)/libtanne.a
else
fd-tests:
	@$(MAKE) --no-print-directory DOUBLE=1 fd-tests
endif

# bench_models links its helpers (bench/models_*.c) and a copy of nn_gemm
# built with flop and time counters (TN_GEMM_STATS), which takes the place of
# the library's. Its output folder then feeds bench/torch_models.py, which
# times the same networks in PyTorch (skipped, with the reason, without it).
BENCH_OUT ?= $(BUILD)/bench-out
BENCH_MODELS_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard bench/models_*.c))) \
                    $(BUILD)/bench/gemm_stats.o
$(BUILD)/bench/bench_models.o $(BENCH_MODELS_OBJ): $(wildcard bench/*.h)
$(BUILD)/bench/gemm_stats.o: src/nn/gemm.c $(wildcard include/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DTN_GEMM_STATS -c $< -o $@
$(BUILD)/bench/bench_models: $(BUILD)/bench/bench_models.o $(BENCH_MODELS_OBJ) $(BUILD)/libtanne.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The float64 agreement check needs the DOUBLE=1 build's outputs (no timing).
ifeq ($(DOUBLE),1)
  BENCH_F64 := $(BUILD)/bench/bench_models
else
  BENCH_F64 := $(BUILD)-double/bench/bench_models
endif
bench: $(BENCH_BIN)
	@$(MAKE) --no-print-directory DOUBLE=1 $(BENCH_F64)
	@mkdir -p $(BENCH_OUT)
	@for b in $(BENCH_BIN); do TANNE_BENCH_OUT=$(BENCH_OUT) $$b || exit 1; done
	@sh bench/md_vs_lammps.sh $(BENCH_OUT)
	@TANNE_BENCH_OUT=$(BENCH_OUT)-float64 $(BENCH_F64) --inputs-only > /dev/null
	@if [ -x /usr/bin/python3 ]; then \
	  /usr/bin/python3 bench/torch_models.py $(BENCH_OUT) $(BENCH_OUT)-float64 || exit 1; \
	else echo "torch comparison skipped: /usr/bin/python3 is absent"; fi

demo: all
	./$(BUILD)/tanne demo

# libFuzzer targets, built with clang against the library sources.
FUZZ_BUILD := $(BUILD_ROOT)-fuzz
fuzz:
	@mkdir -p $(FUZZ_BUILD)
	@for f in $(FUZZ_SRC); do \
	  n=$$(basename $$f .c); \
	  clang -std=c11 -g -O1 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude $(PKG_CFLAGS) \
	    -fsanitize=fuzzer,address,undefined -o $(FUZZ_BUILD)/$$n $$f $(LIB_SRC) $(LDLIBS) || exit 1; \
	  mkdir -p $(FUZZ_BUILD)/corpus-$$n; \
	  echo "fuzzing $$n for $(FUZZ_SECONDS) s"; \
	  ./$(FUZZ_BUILD)/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    $(FUZZ_BUILD)/corpus-$$n fuzz/corpus/$${n#fuzz_} > $(FUZZ_BUILD)/$$n.log 2>&1 \
	    || { tail -40 $(FUZZ_BUILD)/$$n.log; exit 1; }; \
	  tail -1 $(FUZZ_BUILD)/$$n.log; \
	done

FORMAT_FILES = $(wildcard include/*.h src/*/*.c src/*/*.h cli/*.c cli/*.h tests/*.c tests/*.h \
                 bench/*.c fuzz/*.c kim/*/*.c kim/*/*.h)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD_ROOT) $(BUILD_ROOT)-san $(BUILD_ROOT)-double $(BUILD_ROOT)-san-double $(FUZZ_BUILD)
