# xpnn — top-level build. `make help` lists the targets.
#
# Knobs (override on the command line: make test SEED=7):
OPT      ?= -O2
CFLAGS   ?= -g
BUILD    ?= build
SEED     ?= 1
THREADS  ?= 2
PYTHON   ?= python3
DEPS     ?= 1# 0: do not run scripts/deps.sh (you installed the packages yourself)

.DELETE_ON_ERROR:
.SUFFIXES:
PHONY_EXTRA := proto-mutants protodoc protocol-indep
.PHONY: $(PHONY_EXTRA) differential all test lint bench bench-ir clean help vectors deps check-vectors indep mutants sanitize demo results

ifneq ($(filter-out 0 1,$(DEPS)),)
$(error DEPS=$(DEPS): must be 0 or 1)
endif
ifeq ($(shell [ "$(THREADS)" -ge 1 ] 2>/dev/null && echo ok),)
$(error THREADS=$(THREADS): must be a positive integer)
endif

ARCH := $(shell uname -m)
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
XCFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(OPT) $(CFLAGS) $(WARN) -Icmodel -pthread
LDLIBS := -pthread

CMODEL_SRC := cmodel/xp_chip.c cmodel/xp_run.c cmodel/xp_frame.c cmodel/xp_board.c
CMODEL_HDR := cmodel/xp_cmodel.h cmodel/xp_cmodel_impl.h cmodel/xp_board.h cmodel/xp_crc_tables.h
KERNELS := generic
K_FLAGS_generic :=
ifeq ($(ARCH),x86_64)
KERNELS += avx2 avx512vnni
K_FLAGS_avx2 := -mavx2 -mfma
K_FLAGS_avx512vnni := -mavx2 -mfma -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni
XCFLAGS += -DXP_HAVE_X86_KERNELS
endif

# Mutants: the same model with one spec rule altered (see cmodel/xp_cmodel_impl.h).
MUTANTS := 1 2 3 4 5 6
PROTO_MUTANTS := 7 8 9# the board engine's (make proto-mutants)

VECTORS := $(sort $(wildcard tests/vectors/*.xpv))
CMOCKA_TESTS := test_numerics test_cmodel test_vectors
TEST_BINS := $(CMOCKA_TESTS:%=$(BUILD)/%)
TOOLS := $(BUILD)/xpnn-genvec $(BUILD)/xpnn-replay $(BUILD)/bench-cmodel $(BUILD)/bench-link \
  $(BUILD)/xpnn-protodoc $(BUILD)/xpnn $(BUILD)/xpnn-conform $(BUILD)/xpnn-protofuzz \
  $(BUILD)/bench-twin
HOST_TESTS := test_link test_files test_twin

all: $(BUILD)/libxpcmodel.a $(BUILD)/libxpnn.a $(TOOLS) $(TEST_BINS) $(HOST_TESTS:%=$(BUILD)/%)

help:
	@echo "make            build the C model, tools and tests into $(BUILD)/"
	@echo "make test       install missing packages, build, run every test (SEED=$(SEED))"
	@echo "make cosim      the RTL (and the HX8K's synthesised netlist) against the C model under Verilator (rtl/README.md); WAVES=1: FST"
	@echo "make lint       -Werror build, cppcheck, RTL lint (verilator -Wall), yosys synth and the iCE40 memory mapping"
	@echo "make sanitize   unit tests and replay under ASan + UBSan, threaded runs under TSan"
	@echo "make demo       train, compile, load onto the model board, evaluate (Fashion-MNIST)"
	@echo "make results    hardware-in-the-loop methods compared on the model board (docs/results.md)"
	@echo "make bench      C model, link, twin/deployment, virtual-board and UART line-rate benchmarks (THREADS=$(THREADS))"
	@echo "make bitstream BOARD=icebreaker|hx8k   yosys + nextpnr + icepack -> $(BUILD)/BOARD/xpnn.bin and report.json (docs/boards.md)"
	@echo "make program BOARD=icebreaker|hx8k [FLASH=1]   load it onto an attached board (openFPGALoader)"
	@echo "make synth-check  both boards synthesised, their area within 10 % of constraints/*.synth-baseline.json"
	@echo "make area-report BOARD=icebreaker|hx8k [AREA_N=40] [AREA_BY=register|block]   where its logic goes (scripts/area_cones.py)"
	@echo "make bench-ir   instructions per inference under callgrind (repeatable)"
	@echo "make vectors    regenerate tests/vectors/ (only with a numerics spec version bump)"
	@echo "make protodoc   regenerate the byte-level examples in docs/protocol.md (only with a protocol change)"
	@echo "build/xpnn      the CLI (xpnn --help); build/xpnn-conform --port PORT: protocol conformance"
	@echo "make clean      remove $(BUILD)/"

# ---- packages ----
$(BUILD)/.deps.stamp: scripts/deps.sh
	@mkdir -p $(BUILD)
ifeq ($(DEPS),1)
	bash scripts/deps.sh
endif
	@touch $@
deps: $(BUILD)/.deps.stamp

# ---- the C model library: one archive per variant (real model, mutants) ----
# $(call cmodel_lib,dir,extra-cflags)
define cmodel_lib
$(1)/libxpcmodel.a: $(patsubst cmodel/%.c,$(1)/%.o,$(CMODEL_SRC)) $(KERNELS:%=$(1)/xp_kernel_%.o)
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/%.o: cmodel/%.c $(CMODEL_HDR)
	@mkdir -p $$(@D)
	$(CC) $(XCFLAGS) -O3 $(2) -c $$< -o $$@
$(1)/xp_kernel_%.o: cmodel/xp_kernel.c $(CMODEL_HDR)
	@mkdir -p $$(@D)
	$(CC) $(XCFLAGS) -O3 $(2) -DXP_KSUFFIX=$$* $$(K_FLAGS_$$*) -c $$< -o $$@
endef
$(eval $(call cmodel_lib,$(BUILD)))
$(foreach m,$(MUTANTS) $(PROTO_MUTANTS),$(eval $(call cmodel_lib,$(BUILD)/mut$(m),-DXP_MUTANT=$(m))))

# ---- libxpnn (host/) and the xpnn CLI ----
HOST_CFLAGS = $(XCFLAGS) -D_DEFAULT_SOURCE -Ihost
LIBXPNN_SRC := $(filter-out host/xpnn_cli%.c,$(wildcard host/*.c))
CLI_OBJ := $(BUILD)/host/xpnn_cli.o $(BUILD)/host/xpnn_cli_nn.o $(BUILD)/host/xpnn_cli_hil.o
LIBXPNN_HDR := host/xpnn.h host/util.h host/dataset.h host/safetensors.h host/twin.h host/train.h \
  host/compile.h host/cli.h host/meta.h host/hil.h $(CMODEL_HDR)
# libftdi1's flags: pkg-config's, or Debian's paths when the Makefile is read before
# scripts/deps.sh has installed libftdi1-dev (a fresh machine's first make)
FTDI_LIBS := $(or $(shell pkg-config --libs libftdi1 2>/dev/null),-lftdi1)
FTDI_CFLAGS := $(or $(shell pkg-config --cflags libftdi1 2>/dev/null),-I/usr/include/libftdi1)
HOST_LDLIBS := -ljansson -lz -lopenblas -lm $(FTDI_LIBS) $(LDLIBS)

$(BUILD)/host/%.o: host/%.c $(LIBXPNN_HDR) | $(BUILD)/.deps.stamp
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c $< -o $@
# INFO's build_hash: the commit the model board was built from (0 outside a git checkout).
GIT_HASH := $(shell git rev-parse --short=8 HEAD 2>/dev/null | grep -E '^[0-9a-f]{8}$$' || echo 00000000)
$(shell mkdir -p $(BUILD) && (echo $(GIT_HASH) | cmp -s - $(BUILD)/.buildhash || echo $(GIT_HASH) > $(BUILD)/.buildhash))
$(BUILD)/host/tr_model.o: $(BUILD)/.buildhash
$(BUILD)/host/tr_model.o: HOST_CFLAGS += -DXPNN_BUILD_HASH=0x$(GIT_HASH)u
$(BUILD)/libxpnn.a: $(patsubst host/%.c,$(BUILD)/host/%.o,$(LIBXPNN_SRC))
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/xpnn: $(CLI_OBJ) $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ $(HOST_LDLIBS)
# The CLI with a deliberately wrong restore (hil.c, XPNN_HIL_MUTANT_RESTORE): tests/test_hil.sh
# shows that its kill/resume identity check catches it. The mutant object comes before the
# archive, so the archive's hil.o is never linked.
$(BUILD)/host/hil_mutant.o: host/hil.c $(LIBXPNN_HDR) | $(BUILD)/.deps.stamp
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -DXPNN_HIL_MUTANT_RESTORE -c $< -o $@
$(BUILD)/xpnn-hil-mutant: $(CLI_OBJ) $(BUILD)/host/hil_mutant.o $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ $(HOST_LDLIBS)
$(BUILD)/xpnn-conform: $(BUILD)/t_conform.o $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ $(HOST_LDLIBS)
$(BUILD)/t_conform.o: tests/conform.c $(LIBXPNN_HDR) | $(BUILD)/.deps.stamp
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -c $< -o $@

$(BUILD)/test_link: $(BUILD)/t_test_link.o $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ -lcmocka $(HOST_LDLIBS)
$(BUILD)/t_test_link.o: tests/test_link.c tests/testrng.h $(LIBXPNN_HDR) | $(BUILD)/.deps.stamp
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -c $< -o $@
$(BUILD)/test_files: $(BUILD)/t_test_files.o $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ -lcmocka $(HOST_LDLIBS)
$(BUILD)/t_test_files.o: tests/test_files.c tests/testrng.h tests/testrun.h $(LIBXPNN_HDR) | $(BUILD)/.deps.stamp
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -c $< -o $@
$(BUILD)/test_twin: $(BUILD)/t_test_twin.o $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ -lcmocka $(HOST_LDLIBS)
$(BUILD)/t_test_twin.o: tests/test_twin.c tests/testrng.h tests/testrun.h $(LIBXPNN_HDR) | $(BUILD)/.deps.stamp
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -c $< -o $@
$(BUILD)/bench-link: $(BUILD)/t_bench_link.o $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ $(HOST_LDLIBS)
$(BUILD)/t_bench_link.o: tests/bench_link.c tests/benchutil.h tests/testrng.h $(LIBXPNN_HDR) | $(BUILD)/.deps.stamp
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -c $< -o $@
$(BUILD)/bench-twin: $(BUILD)/t_bench_twin.o $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ $(HOST_LDLIBS)
$(BUILD)/t_bench_twin.o: tests/bench_twin.c tests/benchutil.h $(LIBXPNN_HDR) | $(BUILD)/.deps.stamp
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -c $< -o $@
$(BUILD)/xpnn-protofuzz: $(BUILD)/t_protofuzz.o $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ $(HOST_LDLIBS)
$(BUILD)/mut%/xpnn-protofuzz: $(BUILD)/t_protofuzz.o $(BUILD)/libxpnn.a $(BUILD)/mut%/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ $(HOST_LDLIBS)
$(BUILD)/t_protofuzz.o: tests/protofuzz.c tests/testrng.h $(LIBXPNN_HDR)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -c $< -o $@
$(BUILD)/xpnn-protodoc: $(BUILD)/t_protodoc.o $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ $(HOST_LDLIBS)
$(BUILD)/t_protodoc.o: tests/protodoc.c $(LIBXPNN_HDR)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -c $< -o $@

# ---- ftdi:// transport (host/tr_ftdi.c) and its fake device (tests/fake_ftdi.c) ----
# tr_ftdi.o is the only object that needs libftdi's headers. The fake FT2232H replaces every
# libftdi call tr_ftdi.c makes (link-time --wrap: FTDI_WRAP), so test_ftdi and
# xpnn-conform-ftdi run the real transport code against the C board engine, no USB device
# needed (fault knobs: tests/fake_ftdi.h). Their link step refuses a tr_ftdi.o that calls an
# ftdi_* function FTDI_FUNCS does not list: it would reach the real library with a fake context.
FTDI_FUNCS := ftdi_new ftdi_free ftdi_get_error_string ftdi_set_interface \
  ftdi_usb_open_desc_index ftdi_usb_close ftdi_tcioflush ftdi_set_line_property \
  ftdi_set_baudrate ftdi_setflowctrl ftdi_get_latency_timer ftdi_set_latency_timer \
  ftdi_read_data_set_chunksize ftdi_write_data_set_chunksize ftdi_read_data ftdi_write_data
FTDI_WRAP := $(foreach f,$(FTDI_FUNCS),-Wl,--wrap=$(f))
FTDI_CHECK_WRAP = @unwrapped=$$(nm -u $(BUILD)/host/tr_ftdi.o | awk '$$2 ~ /^ftdi_/ { print $$2 }' | \
  grep -vxF $(FTDI_FUNCS:%=-e %)); [ -z "$$unwrapped" ] || { echo "host/tr_ftdi.c calls \
  $$unwrapped: add it to FTDI_FUNCS and wrap it in tests/fake_ftdi.c"; exit 1; }
$(BUILD)/host/tr_ftdi.o: HOST_CFLAGS += $(FTDI_CFLAGS)
$(BUILD)/t_fake_ftdi.o: tests/fake_ftdi.c tests/fake_ftdi.h $(CMODEL_HDR) | $(BUILD)/.deps.stamp
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(FTDI_CFLAGS) -Itests -c $< -o $@
$(BUILD)/t_test_ftdi.o: tests/test_ftdi.c tests/fake_ftdi.h tests/testrng.h $(LIBXPNN_HDR) | $(BUILD)/.deps.stamp
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -c $< -o $@
$(BUILD)/test_ftdi: $(BUILD)/t_test_ftdi.o $(BUILD)/t_fake_ftdi.o $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a $(BUILD)/host/tr_ftdi.o
	$(FTDI_CHECK_WRAP)
	$(CC) $(XCFLAGS) $(filter-out %/tr_ftdi.o,$^) -o $@ $(FTDI_WRAP) -lcmocka $(HOST_LDLIBS)
$(BUILD)/xpnn-conform-ftdi: $(BUILD)/t_conform.o $(BUILD)/t_fake_ftdi.o $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a $(BUILD)/host/tr_ftdi.o
	$(FTDI_CHECK_WRAP)
	$(CC) $(XCFLAGS) $(filter-out %/tr_ftdi.o,$^) -o $@ $(FTDI_WRAP) $(HOST_LDLIBS)
HOST_TESTS += test_ftdi
all: $(BUILD)/test_ftdi $(BUILD)/xpnn-conform-ftdi
# make sanitize runs test_ftdi (a HOST_TESTS member) and this: the suite through the faulty fake
sanitize-ftdi:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan CFLAGS="$(SAN_FLAGS)" DEPS=0 $(BUILD)/asan/xpnn-conform-ftdi
	@XPNN_FAKE_FTDI=short=3,zero=5,seed=$(SEED) $(BUILD)/asan/xpnn-conform-ftdi --seed $(SEED) \
	  --port ftdi://0403:6010/B > $(BUILD)/asan/conform-ftdi.log 2>&1 || { cat $(BUILD)/asan/conform-ftdi.log; exit 1; }
	@echo "ftdi (fake, ASan+UBSan): $$(grep '^conform:' $(BUILD)/asan/conform-ftdi.log)"
sanitize: sanitize-ftdi
.PHONY: sanitize-ftdi

# ---- tools and tests ----
TEST_CFLAGS = $(XCFLAGS) -Itests
XPV_OBJ := $(BUILD)/t_xpv.o

$(BUILD)/t_%.o: tests/%.c tests/xpv.h tests/testrng.h tests/benchutil.h $(CMODEL_HDR)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/xpnn-genvec: $(BUILD)/t_genvec.o $(XPV_OBJ) $(BUILD)/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ $(LDLIBS)
$(BUILD)/xpnn-replay: $(BUILD)/t_replay.o $(XPV_OBJ) $(BUILD)/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ $(LDLIBS)
$(BUILD)/mut%/xpnn-replay: $(BUILD)/t_replay.o $(XPV_OBJ) $(BUILD)/mut%/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ $(LDLIBS)
$(BUILD)/mut%/xpnn-genvec: $(BUILD)/t_genvec.o $(XPV_OBJ) $(BUILD)/mut%/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ $(LDLIBS)
$(BUILD)/bench-cmodel: $(BUILD)/t_bench_cmodel.o $(BUILD)/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ -lz $(LDLIBS)

$(BUILD)/test_numerics: $(BUILD)/t_test_numerics.o $(BUILD)/libxpcmodel.a | $(BUILD)/.deps.stamp
	$(CC) $(XCFLAGS) $^ -o $@ -lcmocka $(LDLIBS)
$(BUILD)/test_cmodel: $(BUILD)/t_test_cmodel.o $(BUILD)/libxpcmodel.a | $(BUILD)/.deps.stamp
	$(CC) $(XCFLAGS) $^ -o $@ -lcmocka $(LDLIBS)
$(BUILD)/test_vectors: $(BUILD)/t_test_vectors.o $(XPV_OBJ) $(BUILD)/libxpcmodel.a | $(BUILD)/.deps.stamp
	$(CC) $(XCFLAGS) $^ -o $@ -lcmocka $(LDLIBS)
$(BUILD)/t_test_%.o: | $(BUILD)/.deps.stamp
$(BUILD)/t_bench_cmodel.o: | $(BUILD)/.deps.stamp

# ---- test ----
# Steps (scripts/run-tests.sh keeps going after a failure and closes with "N passed, N failed"):
# unit tests; the checked-in vectors equal a fresh generation and replay on the model; the
# independent Python implementation replays them too and catches a corrupted expectation;
# every mutant of the model fails the replay; the -Werror build and cppcheck; both boards
# synthesised within their area baselines, and the HX8K's bitstream built (placed, routed,
# its timing met, within constraints/hx8k.baseline.json: about 4 minutes); a benchmark
# smoke run (no timing is asserted).
TEST_STEPS = \
  $(foreach t,$(CMOCKA_TESTS) $(HOST_TESTS),"$(t)=XP_SEED=$(SEED) $(BUILD)/$(t)") \
  "protodoc=$(BUILD)/xpnn-protodoc --check docs/protocol.md" \
  "cli=bash tests/test_cli.sh $(BUILD)" \
  "cli-nn=bash tests/test_cli_nn.sh $(BUILD)" \
  "hil=$(MAKE) --no-print-directory DEPS=0 $(BUILD)/xpnn-hil-mutant && bash tests/test_hil.sh $(BUILD) $(SEED)" \
  "demo-smoke=EPOCHS=1 bash scripts/demo.sh $(BUILD) $(BUILD)/demo-smoke" \
  "conform=bash tests/run_conform.sh $(BUILD) $(SEED)" \
  "conform-ftdi=set -o pipefail; XPNN_FAKE_FTDI=short=3,zero=5,seed=$(SEED) $(BUILD)/xpnn-conform-ftdi --seed $(SEED) --port ftdi://0403:6010/B | grep -v '^ok - '" \
  "tty=bash tests/test_tty.sh $(BUILD) $(SEED)" \
  "boards=bash tests/test_boards.sh $(BUILD)" \
  "fpga-synth=$(MAKE) --no-print-directory -j2 DEPS=0 synth-check && $(MAKE) --no-print-directory DEPS=0 area-report BOARD=icebreaker AREA_N=8" \
  "fpga-hx8k=$(MAKE) --no-print-directory DEPS=0 bitstream BOARD=hx8k" \
  "proto-mutants=$(MAKE) --no-print-directory DEPS=0 proto-mutants" \
  "protocol-indep=$(MAKE) --no-print-directory DEPS=0 protocol-indep" \
  "vectors=$(MAKE) --no-print-directory DEPS=0 check-vectors" \
  "indep=$(MAKE) --no-print-directory DEPS=0 indep" \
  "differential=$(MAKE) --no-print-directory DEPS=0 differential" \
  "mutants=$(MAKE) --no-print-directory DEPS=0 mutants" \
  "cosim=$(MAKE) --no-print-directory DEPS=0 cosim" \
  "vboard=$(MAKE) --no-print-directory DEPS=0 $(BUILD)/xpnn-vboard && bash tests/test_vboard.sh $(BUILD)" \
  "vboard-uart=$(MAKE) --no-print-directory DEPS=0 $(BUILD)/xpnn-vboard-uart && bash tests/test_vboard_uart.sh $(BUILD)" \
  "lint=$(MAKE) --no-print-directory DEPS=0 lint" \
  "sanitizers=$(MAKE) --no-print-directory DEPS=0 sanitize" \
  "bench-smoke=$(BUILD)/bench-cmodel --quick --threads $(THREADS) && $(BUILD)/bench-link --quick --threads $(THREADS) && $(BUILD)/bench-twin --quick --threads $(THREADS)"

test: $(BUILD)/.deps.stamp all
	@bash scripts/run-tests.sh $(TEST_STEPS)

check-vectors: $(BUILD)/xpnn-genvec $(BUILD)/xpnn-replay
	@echo "== golden vectors: regenerate and compare with tests/vectors/"
	@rm -rf $(BUILD)/vec-check && mkdir -p $(BUILD)/vec-check
	@$(BUILD)/xpnn-genvec --quiet $(BUILD)/vec-check
	@diff -r tests/vectors $(BUILD)/vec-check >/dev/null || { \
	  echo "tests/vectors/ differs from what the C model generates now:"; \
	  diff -rq tests/vectors $(BUILD)/vec-check; \
	  echo "HINT: the model's arithmetic changed. If the spec changed, bump XP_NUMERICS_VERSION, update docs/numerics.md and run 'make vectors'; otherwise fix the model."; \
	  exit 1; }
	@$(BUILD)/xpnn-replay $(VECTORS)

indep:
	@echo "== independent Python implementation of docs/numerics.md"
	@$(PYTHON) tests/indep/xpnn_numerics.py --selftest $(VECTORS)
	@mkdir -p $(BUILD)
	@$(PYTHON) -c 'import sys, zlib; b = bytearray(open(sys.argv[1], "rb").read()); b[-9] ^= 1; \
	  b[-4:] = zlib.crc32(bytes(b[:-8])).to_bytes(4, "little"); open(sys.argv[2], "wb").write(b)' \
	  tests/vectors/net_reference.xpv $(BUILD)/corrupt.xpv
	@if $(PYTHON) tests/indep/xpnn_numerics.py $(BUILD)/corrupt.xpv > $(BUILD)/corrupt.log 2>&1; then \
	  echo "the independent replay accepted a corrupted expectation"; exit 1; fi
	@grep -q 'expected' $(BUILD)/corrupt.log || { cat $(BUILD)/corrupt.log; exit 1; }
	@echo "corrupted expectation caught: $$(grep -m1 expected $(BUILD)/corrupt.log)"

# Random boards, networks and scripts (xpnn-genvec --random) generated by the C model's _ref
# path, replayed on its optimised path and on the independent Python implementation.
RANDOM_N ?= 20
RANDOM_SEEDS = $(shell seq -s, $$(( $(SEED) * 1000 + 1 )) $$(( $(SEED) * 1000 + $(RANDOM_N) )))
differential: $(BUILD)/xpnn-genvec $(BUILD)/xpnn-replay
	@echo "== differential: $(RANDOM_N) random boards, seeds $(RANDOM_SEEDS) (reproduce: make differential SEED=$(SEED))"
	@rm -rf $(BUILD)/random && $(BUILD)/xpnn-genvec --quiet --random $(RANDOM_SEEDS) $(BUILD)/random
	@$(BUILD)/xpnn-replay --quiet $(BUILD)/random/*.xpv
	@$(PYTHON) tests/indep/xpnn_numerics.py $(BUILD)/random/*.xpv | grep -v '^OK '

# Each mutant must fail both gates: the golden-vector replay, and the differential test (its
# random scripts, generated by the mutated model, must disagree with the Python implementation).
# The mutants' seeds are fixed, so that whether a gate bites does not depend on SEED.
MUTANT_SEEDS = 501,502,503,504,505,506,507,508
mutants: $(MUTANTS:%=$(BUILD)/mut%/xpnn-replay) $(MUTANTS:%=$(BUILD)/mut%/xpnn-genvec)
	@echo "== mutation check: each deliberately altered model must fail the replay and the differential test"
	@for m in $(MUTANTS); do \
	  if $(BUILD)/mut$$m/xpnn-replay --quiet $(VECTORS) > $(BUILD)/mut$$m/replay.log 2>&1; then \
	    echo "mutant $$m PASSED the replay: the golden vectors do not bite"; exit 1; fi; \
	  grep -q 'mismatch' $(BUILD)/mut$$m/replay.log || { echo "mutant $$m failed without a mismatch report:"; cat $(BUILD)/mut$$m/replay.log; exit 1; }; \
	  echo "mutant $$m caught by $$(grep -c '^FAIL' $(BUILD)/mut$$m/replay.log) of $(words $(VECTORS)) files, first: $$(grep -m1 mismatch $(BUILD)/mut$$m/replay.log)"; \
	  rm -rf $(BUILD)/mut$$m/random && $(BUILD)/mut$$m/xpnn-genvec --quiet --random $(MUTANT_SEEDS) $(BUILD)/mut$$m/random || exit 1; \
	  if $(PYTHON) tests/indep/xpnn_numerics.py $(BUILD)/mut$$m/random/*.xpv > $(BUILD)/mut$$m/indep.log 2>&1; then \
	    echo "mutant $$m PASSED the differential test: it does not bite"; exit 1; fi; \
	  echo "mutant $$m differential: Python disagrees on $$(sed -n 's/^indep: [0-9]* passed, \([0-9]*\) failed$$/\1/p' $(BUILD)/mut$$m/indep.log) of 8 random scripts"; \
	done

# Each mutant of the board engine (cmodel/xp_cmodel_impl.h, 7 … 9) must fail the protocol
# conformance suite: the suite bites.
$(BUILD)/mut%/xpnn-conform: $(BUILD)/t_conform.o $(BUILD)/libxpnn.a $(BUILD)/mut%/libxpcmodel.a
	$(CC) $(XCFLAGS) $^ -o $@ $(HOST_LDLIBS)
proto-mutants: $(PROTO_MUTANTS:%=$(BUILD)/mut%/xpnn-conform)
	@echo "== mutation check: each deliberately altered board engine must fail the conformance suite"
	@for m in $(PROTO_MUTANTS); do \
	  if $(BUILD)/mut$$m/xpnn-conform --port model > $(BUILD)/mut$$m/conform.log 2>&1; then \
	    echo "board-engine mutant $$m PASSED the conformance suite: it does not bite"; exit 1; fi; \
	  echo "board-engine mutant $$m caught: $$(grep -c '^FAIL' $(BUILD)/mut$$m/conform.log) checks fail, first: $$(grep -m1 '^FAIL' $(BUILD)/mut$$m/conform.log | cut -c1-150)"; \
	done

# An independent Python implementation of docs/protocol.md (tests/indep/xpnn_protocol.py, written
# from the spec alone) must answer random byte streams to random boards (xpnn-protofuzz) with the
# C engine's bytes; a corrupted answer must be reported; and the streams of every board-engine
# mutant must disagree with it (fixed seeds, so whether the gate bites does not depend on SEED).
PROTO_N ?= 60
PROTO_SEEDS = $(shell seq -s, $$(( $(SEED) * 1000 + 1 )) $$(( $(SEED) * 1000 + $(PROTO_N) )))
PROTO_MUTANT_SEEDS = $(shell seq -s, 501 540)
protocol-indep: $(BUILD)/xpnn-protofuzz $(PROTO_MUTANTS:%=$(BUILD)/mut%/xpnn-protofuzz)
	@echo "== independent Python implementation of docs/protocol.md"
	@$(PYTHON) tests/indep/xpnn_protocol.py --selftest | grep -v '^OK '
	@echo "$(PROTO_N) random boards and streams, seeds $(SEED)001 … (reproduce: make protocol-indep SEED=$(SEED))"
	@rm -rf $(BUILD)/proto && mkdir -p $(BUILD)/proto
	@$(BUILD)/xpnn-protofuzz --quiet $(PROTO_SEEDS) $(BUILD)/proto
	@$(PYTHON) tests/indep/xpnn_protocol.py --quiet $(BUILD)/proto/*.cfg
	@$(PYTHON) -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[len(b) // 2] ^= 1; \
	  open(sys.argv[2], "wb").write(b)' $(BUILD)/proto/proto_$(SEED)001.out $(BUILD)/proto/corrupt.out
	@cp $(BUILD)/proto/proto_$(SEED)001.cfg $(BUILD)/proto/corrupt.cfg
	@cp $(BUILD)/proto/proto_$(SEED)001.in $(BUILD)/proto/corrupt.in
	@if $(PYTHON) tests/indep/xpnn_protocol.py $(BUILD)/proto/corrupt.cfg > $(BUILD)/proto/corrupt.log 2>&1; then \
	  echo "the independent protocol replay accepted a corrupted answer"; exit 1; fi
	@echo "corrupted answer caught: $$(grep -m1 FAIL $(BUILD)/proto/corrupt.log | cut -c1-120)"
	@for m in $(PROTO_MUTANTS); do \
	  rm -rf $(BUILD)/mut$$m/proto && mkdir -p $(BUILD)/mut$$m/proto && \
	  $(BUILD)/mut$$m/xpnn-protofuzz --quiet $(PROTO_MUTANT_SEEDS) $(BUILD)/mut$$m/proto || exit 1; \
	  if $(PYTHON) tests/indep/xpnn_protocol.py --quiet $(BUILD)/mut$$m/proto/*.cfg > $(BUILD)/mut$$m/proto.log 2>&1; then \
	    echo "board-engine mutant $$m PASSED the independent protocol replay: it does not bite"; exit 1; fi; \
	  echo "board-engine mutant $$m: Python disagrees on $$(sed -n 's/^protocol-indep: [0-9]* passed, \([0-9]*\) failed$$/\1/p' $(BUILD)/mut$$m/proto.log) of 40 streams"; \
	done

vectors: $(BUILD)/xpnn-genvec
	$(BUILD)/xpnn-genvec tests/vectors

protodoc: $(BUILD)/xpnn-protodoc
	$(BUILD)/xpnn-protodoc --write docs/protocol.md

# ---- RTL unit co-simulation (Verilator; docs in rtl/README.md) ----
# Each unit U has tests/cosim/U.mk (COSIM_TOP_U: top module, COSIM_RTL_U: Verilog files,
# COSIM_ARGS_U: the harness's arguments, COSIM_VFLAGS_U: extra Verilator flags) and
# tests/cosim/tb_U.cpp (or COSIM_TB_U), a C++ harness that drives the Verilated module and compares it with the
# C model (build/libxpcmodel.a). A mutant unit (COSIM_EXPECT_FAIL_U = 1, an RTL altered by a
# +define+XP_MUTANT_…) must fail its harness: the gate is shown to bite.
VERILATOR ?= verilator
VFLAGS := -Wall --x-assign unique --x-initial unique -O2 --assert
# WAVES=1: the harnesses that support it (tb_board) write an FST waveform of the run
# (COSIM_DIR/U/waves.fst; gtkwave opens it); built apart, in build/cosim-waves/
WAVES ?= 0
ifeq ($(WAVES),1)
COSIM_DIR := $(BUILD)/cosim-waves
VFLAGS += --trace-fst
else
COSIM_DIR := $(BUILD)/cosim
endif
# $(call fpga_synth,BOARD,TOP): the FPGA flow's synthesis (below), shared with the gate-level
# units — synth_ice40 to its coarse step, the comparisons with a constant as logic
# (scripts/ice40_cmpconst.v: 4.7 % fewer logic cells on the UP5K, 5 % on the HX8K), then the rest
# of synth_ice40 with its options (FPGA_SYNTH_<board>)
FPGA_FLOW_DEPS := scripts/abc9.abc scripts/ice40_cmpconst.v
fpga_synth = scratchpad -set abc9.script $(abspath scripts/abc9.abc); \
  synth_ice40 $(FPGA_SYNTH_$(1)) -top $(2) -run :coarse; \
  proc; opt_expr; opt_clean; opt -nodffe -nosdff; wreduce; opt_clean; \
  techmap -map $(abspath scripts/ice40_cmpconst.v); opt_expr; opt_clean; \
  synth_ice40 $(FPGA_SYNTH_$(1)) -top $(2) -run coarse:
-include $(wildcard tests/cosim/*.mk)
COSIM_UNITS := $(patsubst tests/cosim/%.mk,%,$(wildcard tests/cosim/*.mk))
define cosim_unit
COSIM_TB_$(1) ?= tests/cosim/tb_$(1).cpp
$(COSIM_DIR)/$(1)/Vtb: $$(COSIM_TB_$(1)) tests/cosim/$(1).mk $$(COSIM_RTL_$(1)) $$(wildcard tests/cosim/*.h) $(BUILD)/libxpcmodel.a | $(BUILD)/.deps.stamp
	@mkdir -p $$(@D)
	env -u MAKEFLAGS -u MAKEOVERRIDES -u MFLAGS -u DEPS $(VERILATOR) --cc --exe --build -j 2 \
	  $(VFLAGS) $$(COSIM_VFLAGS_$(1)) --top-module $$(COSIM_TOP_$(1)) \
	  --Mdir $$(abspath $$(@D)) -o Vtb -CFLAGS "-std=c++17 -O2 -I$$(abspath cmodel) -I$$(abspath tests/cosim)" \
	  $$(abspath $$(COSIM_TB_$(1)) $$(COSIM_RTL_$(1)) $(BUILD)/libxpcmodel.a) -LDFLAGS -pthread >$$(@D)/build.log 2>&1 \
	  || { cat $$(@D)/build.log; exit 1; }
cosim-$(1): $(COSIM_DIR)/$(1)/Vtb
ifeq ($$(COSIM_EXPECT_FAIL_$(1)),1)
	@echo "== cosim $(1): a deliberately altered RTL ($$(COSIM_VFLAGS_$(1))) must fail"
	@if XP_SEED=$(SEED) XP_UNIT=$(1) $(COSIM_DIR)/$(1)/Vtb $$(COSIM_ARGS_$(1)) >$(COSIM_DIR)/$(1)/run.log 2>&1; then \
	  echo "mutant $(1) PASSED the co-simulation: the gate does not bite"; exit 1; fi
	@echo "mutant $(1) caught: $$$$(grep -m1 MISMATCH $(COSIM_DIR)/$(1)/run.log | cut -c1-150)"
else
	@echo "== cosim $(1): $$(COSIM_TOP_$(1)) against the C model (SEED=$(SEED))"
	@XP_SEED=$(SEED) XP_UNIT=$(1) XP_WAVES=$(COSIM_DIR)/$(1)/waves.fst XP_COVERAGE=$(COSIM_DIR)/$(1)/coverage.dat \
	  $(COSIM_DIR)/$(1)/Vtb $$(COSIM_ARGS_$(1))
ifneq ($$(COSIM_POST_$(1)),)
	@$$(COSIM_POST_$(1))
endif
endif
.PHONY: cosim-$(1)
endef
$(foreach u,$(COSIM_UNITS),$(eval $(call cosim_unit,$(u))))
# (units listed in COSIM_ON_DEMAND are left to be run by hand: make cosim-U)
cosim: $(addprefix cosim-,$(filter-out $(COSIM_ON_DEMAND),$(COSIM_UNITS)))
.PHONY: cosim

# The virtual board: the Verilated xp_board served on TCP by libxpnn's xpnn_serve.
# the virtual board has the reference board's frame limits (64 KiB, 1,024 vectors a RUN)
VBOARD_RTL := $(COSIM_RTL_board)
$(BUILD)/xpnn-vboard: sim/vboard.cpp $(VBOARD_RTL) $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a | $(BUILD)/.deps.stamp
	@mkdir -p $(BUILD)/vboard
	env -u MAKEFLAGS -u MAKEOVERRIDES -u MFLAGS -u DEPS $(VERILATOR) --cc --exe --build -j 2 \
	  -Wall -O2 --top-module xp_board --Mdir $(abspath $(BUILD)/vboard) -o xpnn-vboard \
	  -GMAX_REQUEST=65536 -GMAX_REPLY=65536 -GMAX_BATCH=1024 \
	  -CFLAGS "-std=c++17 -O2 -I$(abspath cmodel) -I$(abspath host)" \
	  $(abspath sim/vboard.cpp $(VBOARD_RTL) $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a) \
	  -LDFLAGS "$(HOST_LDLIBS)" >$(BUILD)/vboard/build.log 2>&1 || { cat $(BUILD)/vboard/build.log; exit 1; }
	cp $(BUILD)/vboard/xpnn-vboard $@
# the same with FST tracing (xpnn-vboard-trace --trace F.fst); slower, not built by default
$(BUILD)/xpnn-vboard-trace: sim/vboard.cpp $(VBOARD_RTL) $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a | $(BUILD)/.deps.stamp
	@mkdir -p $(BUILD)/vboard-trace
	env -u MAKEFLAGS -u MAKEOVERRIDES -u MFLAGS -u DEPS $(VERILATOR) --cc --exe --build -j 2 \
	  -Wall -O2 --top-module xp_board --Mdir $(abspath $(BUILD)/vboard-trace) -o xpnn-vboard-trace --trace-fst \
	  -GMAX_REQUEST=65536 -GMAX_REPLY=65536 -GMAX_BATCH=1024 \
	  -CFLAGS "-std=c++17 -O2 -I$(abspath cmodel) -I$(abspath host)" \
	  $(abspath sim/vboard.cpp $(VBOARD_RTL) $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a) \
	  -LDFLAGS "$(HOST_LDLIBS)" >$(BUILD)/vboard-trace/build.log 2>&1 || { cat $(BUILD)/vboard-trace/build.log; exit 1; }
	cp $(BUILD)/vboard-trace/xpnn-vboard-trace $@

# ---- FPGA bitstreams (docs/boards.md): make bitstream BOARD=icebreaker|hx8k ----
# yosys synth_ice40 → nextpnr-ice40 (fixed seed, the target clock, --report) → icepack →
# $(BUILD)/<board>/xpnn.bin; scripts/fpga_report.py writes $(BUILD)/<board>/report.json and
# compares it with constraints/<board>.baseline.json (Fmax below the target, or more than 10 %
# growth of LUTs/FFs/EBR/SPRAM/DSP, fails).
BOARD ?= icebreaker
BOARDS := icebreaker hx8k
PNR_SEED ?= 1
# per board: nextpnr device, synth_ice40 options, clock (MHz), baud, the top's parameters
FPGA_DEV_icebreaker := --up5k --package sg48
# -abc9: Yosys's timing-driven LUT mapper (HX8K 7 %, UP5K 2 % fewer logic cells than the
# default abc), with the script scripts/abc9.abc: Yosys 0.23's own script (&dch -f) stops on
# this design with "Boxes are not in a topological order", and so does plain &dch on some
# versions of it; the script leaves the choice computation (&dch) out. Not area mapping (&if -a,
# three passes: 1.2 % fewer logic cells on the UP5K, 1 % on the HX8K, whose Fmax fell from 37.1
# to 26.1 MHz). Not -dff (flip-flops
# through ABC too: 2.4 % fewer logic cells on the HX8K, 1.6 % on the UP5K): in the gate-level
# units its HX8K netlist did not answer its first frame, its UP5K one did not finish in four
# times the usual time (cosim-gate_hx8k, cosim-gate_icebreaker).
FPGA_SYNTH_icebreaker := -abc9 -spram -dsp
FPGA_MHZ_icebreaker := 24
FPGA_BAUD_icebreaker := 3000000
FPGA_PARAMS_icebreaker := ROWS=128 COLS=64 TILES=8 MAX_REQUEST=1024 MAX_REPLY=1024 MAX_BATCH=16 \
  MAX_WIDTH=1024 MACS_PER_CYCLE=4 CLKS_PER_BIT=8
FPGA_DEV_hx8k := --hx8k --package ct256
FPGA_SYNTH_hx8k := -abc9
FPGA_MHZ_hx8k := 12
FPGA_BAUD_hx8k := 1000000
FPGA_PARAMS_hx8k := ROWS=64 COLS=32 TILES=2 MAX_REQUEST=256 MAX_REPLY=256 MAX_BATCH=4 \
  MAX_WIDTH=128 MACS_PER_CYCLE=1 CLKS_PER_BIT=12
# its top multiplies serially (SERIAL_MAC = 1): a cell takes 1 + (bits of x) cycles, at most 9
FPGA_MACS_hx8k := 0.111
FPGA_RTL := $(sort $(wildcard rtl/*.v)) $(sort $(wildcard rtl/boards/*.v))
ifneq ($(filter bitstream bitstream-baseline synth-baseline program area-report,$(MAKECMDGOALS)),)
ifeq ($(filter $(BOARD),$(BOARDS)),)
$(error BOARD=$(BOARD): must be one of $(BOARDS))
endif
endif
fpga_param = $(patsubst $(1)=%,%,$(filter $(1)=%,$(FPGA_PARAMS_$(2))))
# what scripts/fpga_report.py is told of board $(1): device, clock, baud, geometry, limits
fpga_report_args = device=$(patsubst --%,%,$(firstword $(FPGA_DEV_$(1)))) target_mhz=$(FPGA_MHZ_$(1)) \
  baud=$(FPGA_BAUD_$(1)) macs_per_cycle=$(or $(FPGA_MACS_$(1)),$(call fpga_param,MACS_PER_CYCLE,$(1))) \
  rows=$(call fpga_param,ROWS,$(1)) cols=$(call fpga_param,COLS,$(1)) tiles=$(call fpga_param,TILES,$(1)) \
  max_request=$(call fpga_param,MAX_REQUEST,$(1)) max_reply=$(call fpga_param,MAX_REPLY,$(1)) \
  max_batch=$(call fpga_param,MAX_BATCH,$(1)) max_width=$(call fpga_param,MAX_WIDTH,$(1)) \
  $(FPGA_REPORT_FLAGS)
define fpga_board
$(BUILD)/$(1)/xpnn.json: $(FPGA_RTL) $(FPGA_FLOW_DEPS) Makefile $(BUILD)/.buildhash | $(BUILD)/.deps.stamp
	@mkdir -p $$(@D)
	@echo "== yosys synth_ice40 $(FPGA_SYNTH_$(1)): xp_top_$(1) ($(FPGA_PARAMS_$(1)))"
	@yosys -q -l $$(@D)/yosys.log -p "read_verilog $(FPGA_RTL); \
	  $(foreach p,$(FPGA_PARAMS_$(1)) BUILD_HASH=32'h$(GIT_HASH),chparam -set $(firstword $(subst =, ,$(p))) $(lastword $(subst =, ,$(p))) xp_top_$(1);) \
	  $(call fpga_synth,$(1),xp_top_$(1)) -json $$@.tmp; tee -q -o $$(@D)/yosys-stat.txt stat; \
	  select -assert-none t:\$$$$dlatch t:\$$$$_DLATCH_*" >/dev/null 2>$$(@D)/yosys.stderr \
	  || { echo "yosys failed (log: $$(@D)/yosys.log)"; tail -20 $$(@D)/yosys.log; exit 1; }
	@mv $$@.tmp $$@
$(BUILD)/$(1)/xpnn.asc: $(BUILD)/$(1)/xpnn.json constraints/$(1).pcf
	@echo "== nextpnr-ice40 $(FPGA_DEV_$(1)) --freq $(FPGA_MHZ_$(1)) --seed $(PNR_SEED)"
	@nextpnr-ice40 -q $(FPGA_DEV_$(1)) --pcf constraints/$(1).pcf --json $$< --asc $$@.tmp \
	  --freq $(FPGA_MHZ_$(1)) --seed $(PNR_SEED) --report $$(@D)/nextpnr-report.json \
	  -l $$(@D)/nextpnr.log >/dev/null 2>&1 \
	  || { grep -E "ERROR|Info: Device utilisation" -A12 $$(@D)/nextpnr.log | head -30; \
	       echo "nextpnr failed (log: $$(@D)/nextpnr.log)"; \
	       grep -q "no BELs remaining" $$(@D)/nextpnr.log && echo "HINT: the design does not fit the \
	       device (utilisation above); docs/boards.md, 'Status', has the figures and the plan"; exit 1; }
	@mv $$@.tmp $$@
$(BUILD)/$(1)/xpnn.bin: $(BUILD)/$(1)/xpnn.asc
	icepack $$< $$@.tmp && mv $$@.tmp $$@
fpga-report-$(1): $(BUILD)/$(1)/xpnn.bin
	@python3 scripts/fpga_report.py $(1) $(BUILD)/$(1) constraints/$(1).baseline.json \
	  $(call fpga_report_args,$(1))
.PHONY: fpga-report-$(1)
# the area gate on the synthesis alone (no placement): runs while the design does not fit
fpga-synth-$(1): $(BUILD)/$(1)/xpnn.json
	@python3 scripts/fpga_report.py $(1) $(BUILD)/$(1) constraints/$(1).synth-baseline.json --synth-only \
	  $(call fpga_report_args,$(1))
.PHONY: fpga-synth-$(1)
endef
$(foreach b,$(BOARDS),$(eval $(call fpga_board,$(b))))
bitstream: fpga-report-$(BOARD)
bitstream-baseline: $(BUILD)/$(BOARD)/xpnn.bin
	@$(MAKE) --no-print-directory fpga-report-$(BOARD) FPGA_REPORT_FLAGS=--update-baseline
bitstreams: $(BOARDS:%=fpga-report-%)
# make test: both boards synthesised (about 3 minutes each), their SB_LUT4, flip-flops, EBR,
# SPRAM and DSPs within 10 % of constraints/<board>.synth-baseline.json
synth-check: $(BOARDS:%=fpga-synth-%)
synth-baseline: $(BUILD)/$(BOARD)/xpnn.json
	@$(MAKE) --no-print-directory fpga-synth-$(BOARD) FPGA_REPORT_FLAGS=--update-baseline
# where the synthesised design's LUTs and carries go, by the register or memory they feed (or
# summed by instance path: AREA_BY=block); the method is in scripts/area_cones.py
AREA_N ?= 40
AREA_BY ?= register
area-report: $(BUILD)/$(BOARD)/xpnn.json
	@python3 scripts/area_cones.py $< -n $(AREA_N) --by $(AREA_BY)
.PHONY: area-report
FLASH ?= 0
program: $(BUILD)/$(BOARD)/xpnn.bin
	@bash scripts/program.sh $(BOARD) $< $(if $(filter 1,$(FLASH)),flash,sram)
.PHONY: bitstream bitstream-baseline bitstreams program synth-check synth-baseline

# The virtual board behind its UART pins (sim/vboard.cpp with -DXPNN_VBOARD_UART): top
# xp_board_uart at the iCEBreaker's configuration (FPGA_PARAMS_icebreaker: its geometry and
# frame limits are xp_board_uart's defaults; MACS_PER_CYCLE and MAX_WIDTH set here), bytes as 8N1 bits.
# $(call vboard_uart,NAME,CLKS_PER_BIT): xpnn-vboard-uart is the board's 3 Mbaud at 24 MHz
# (8 clocks a bit); bench_uart.sh also builds the 1 Mbaud variant (24 clocks a bit).
VBOARD_UART_RTL := $(VBOARD_RTL) rtl/xp_board_uart.v rtl/xp_uart_rx.v rtl/xp_uart_tx.v
define vboard_uart
$(BUILD)/$(1): sim/vboard.cpp $(VBOARD_UART_RTL) $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a | $(BUILD)/.deps.stamp
	@mkdir -p $(BUILD)/$(1).d
	env -u MAKEFLAGS -u MAKEOVERRIDES -u MFLAGS -u DEPS $(VERILATOR) --cc --exe --build -j 2 \
	  -Wall -O2 --top-module xp_board_uart --Mdir $(abspath $(BUILD)/$(1).d) -o $(1) \
	  -GMACS_PER_CYCLE=$(call fpga_param,MACS_PER_CYCLE,icebreaker) \
	  -GMAX_WIDTH=$(call fpga_param,MAX_WIDTH,icebreaker) -GCLKS_PER_BIT=$(2) \
	  -CFLAGS "-std=c++17 -O2 -DXPNN_VBOARD_UART -DCLKS_PER_BIT=$(2) -I$(abspath cmodel) -I$(abspath host)" \
	  $(abspath sim/vboard.cpp $(sort $(VBOARD_UART_RTL)) $(BUILD)/libxpnn.a $(BUILD)/libxpcmodel.a) \
	  -LDFLAGS "$(HOST_LDLIBS)" >$(BUILD)/$(1).d/build.log 2>&1 || { cat $(BUILD)/$(1).d/build.log; exit 1; }
	rm -f $$@ && cp $(BUILD)/$(1).d/$(1) $$@
endef
$(eval $(call vboard_uart,xpnn-vboard-uart,8))
$(eval $(call vboard_uart,xpnn-vboard-uart-1m,24))

# ---- lint ----
# RTL: every module (file name = module name) linted by Verilator -Wall as a top, and
# synthesised by Yosys (generic synth) with no latches and no check warnings.
RTL_SRC := $(sort $(wildcard rtl/*.v))
RTL_MODULES := $(basename $(notdir $(RTL_SRC)))
# Tops whose memories (the conductances: 64 Ki words; the memory templates' default 16 Ki
# words) a generic synthesis would map to flip-flops for many minutes: their check stops after
# the coarse passes (proc, where latches would appear; memories kept as such); the FPGA flow
# maps them to SPRAM/EBR. xp_board itself is synthesised by lint-ice40 (through proc, with the
# same latch check), so it is not synthesised twice.
RTL_COARSE := xp_board_uart xp_ram_sp xp_ram_dp
RTL_YOSYS_ELSEWHERE := xp_board
lint-rtl: $(BUILD)/.deps.stamp
	@echo "== RTL lint: verilator --lint-only -Wall, yosys synth (no latches): $(RTL_MODULES)"
	@for m in $(RTL_MODULES); do \
	  $(VERILATOR) --lint-only -Wall --top-module $$m $(RTL_SRC) || exit 1; \
	  case " $(RTL_YOSYS_ELSEWHERE) " in *" $$m "*) continue;; esac; \
	  run=; case " $(RTL_COARSE) " in *" $$m "*) run="-run :fine";; esac; \
	  yosys -q -l $(BUILD)/yosys_$$m.log -p "read_verilog $(RTL_SRC); synth -top $$m $$run; \
	    select -assert-none t:\$$dlatch t:\$$_DLATCH_*; check -assert" >/dev/null 2>&1 || \
	    { echo "yosys: $$m failed (log: $(BUILD)/yosys_$$m.log)"; tail -20 $(BUILD)/yosys_$$m.log; exit 1; }; \
	done
	@echo "== RTL lint of the board tops (rtl/boards/; the iCEBreaker's PLL primitive left out: -DXP_NO_PLL)"
	@for m in $(basename $(notdir $(wildcard rtl/boards/*.v))); do \
	  $(VERILATOR) --lint-only -Wall -DXP_NO_PLL --top-module $$m $(RTL_SRC) $(wildcard rtl/boards/*.v) || exit 1; \
	done
.PHONY: lint-rtl

# iCE40 memory mapping (scripts/ice40_mem.sh): xp_board synthesised for the iCE40UP5K up to the
# memory mapping (no latches allowed), at 4 cells a cycle — the four SPRAMs' 4 × 16 bits a cycle (the default 8 needs
# 8 × 16: eight SPRAMs); the conductance banks must land in SPRAM and every memory template in
# block RAM. The check must also reject a template with an asynchronous read (the mutant).
ICE40_CHECK_RTL := rtl/xp_ram_sp.v rtl/xp_ram_dp.v tests/lint/xp_ram_check.v
lint-ice40: $(BUILD)/.deps.stamp
	@echo "== iCE40 memory mapping: xp_board with MACS_PER_CYCLE=4 (synth_ice40 -spram -dsp, to map_ffram)"
	@bash scripts/ice40_mem.sh $(BUILD)/ice40-mem/board xp_board "MACS_PER_CYCLE=4" $(RTL_SRC)
	@bash scripts/ice40_mem.sh $(BUILD)/ice40-mem/check xp_ram_check "" $(ICE40_CHECK_RTL)
	@if bash scripts/ice40_mem.sh $(BUILD)/ice40-mem/mutant xp_ram_check "" -DXP_MUTANT_ASYNC_RAM \
	    $(ICE40_CHECK_RTL) >$(BUILD)/ice40-mem/mutant.txt 2>&1; then \
	  cat $(BUILD)/ice40-mem/mutant.txt; echo "lint-ice40: the mutant (asynchronous read) passed: the check does not bite"; exit 1; \
	else echo "lint-ice40: the mutant (xp_ram_sp with an asynchronous read) is rejected, as it must be"; fi
.PHONY: lint-ice40

# The flow's comparisons with a constant (scripts/ice40_cmpconst.v): proven equivalent to Yosys's
# own on tests/synth/cmpconst_check.v (a SAT proof over a miter of the two), and a mutant of the
# mapping (x < C as x ≤ C) must fail the proof
cmpconst_proof = read_verilog tests/synth/cmpconst_check.v; hierarchy -top cmpconst_check; proc; \
  opt_clean; tee -q -o $(BUILD)/cmpconst/count.txt select -count t:$$lt t:$$le t:$$gt t:$$ge; \
  design -save gold; techmap $(1) -map scripts/ice40_cmpconst.v; opt_clean; \
  select -assert-none t:$$lt t:$$le t:$$gt t:$$ge; design -stash gate; \
  design -copy-from gold -as gold cmpconst_check; design -copy-from gate -as gate cmpconst_check; \
  miter -equiv -flatten -make_assert gold gate miter; hierarchy -top miter; \
  sat -verify -prove-asserts miter
lint-cmpconst: $(BUILD)/.deps.stamp
	@echo "== scripts/ice40_cmpconst.v: equivalent to Yosys's comparisons (SAT proof), its mutant is not"
	@mkdir -p $(BUILD)/cmpconst
	@yosys -q -l $(BUILD)/cmpconst/proof.log -p '$(call cmpconst_proof,)' >/dev/null 2>&1 || { \
	  tail -20 $(BUILD)/cmpconst/proof.log; echo "lint-cmpconst: the mapping is not equivalent"; exit 1; }
	@yosys -q -l $(BUILD)/cmpconst/mutant.log -p '$(call cmpconst_proof,-D XP_MUTANT_CMPCONST)' \
	  >/dev/null 2>&1; grep -q 'proof did fail' $(BUILD)/cmpconst/mutant.log || { \
	  tail -5 $(BUILD)/cmpconst/mutant.log; echo "lint-cmpconst: the mutant was not caught by the proof"; exit 1; }
	@echo "lint-cmpconst: $$(grep -o '[0-9]* objects' $(BUILD)/cmpconst/count.txt | sed 's/objects/comparisons/')" \
	  "proven equivalent; the mutant's proof fails, as it must"
.PHONY: lint-cmpconst

lint: $(BUILD)/.deps.stamp lint-rtl lint-ice40 lint-cmpconst
	@echo "== -Werror build"
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/lint CFLAGS="$(CFLAGS) -Werror" DEPS=0 \
	  $(BUILD)/lint/libxpcmodel.a $(BUILD)/lint/xpnn-genvec $(BUILD)/lint/xpnn-replay $(BUILD)/lint/bench-cmodel \
	  $(CMOCKA_TESTS:%=$(BUILD)/lint/%) $(HOST_TESTS:%=$(BUILD)/lint/%) $(MUTANTS:%=$(BUILD)/lint/mut%/libxpcmodel.a) \
	  $(BUILD)/lint/libxpnn.a $(BUILD)/lint/xpnn $(BUILD)/lint/xpnn-conform $(BUILD)/lint/xpnn-protodoc \
	  $(BUILD)/lint/bench-link $(BUILD)/lint/xpnn-protofuzz $(BUILD)/lint/bench-twin
	@echo "== cppcheck"
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --std=c11 --inline-suppr -Icmodel -Ihost -Itests -DXP_KSUFFIX=generic \
	  --suppress=missingIncludeSystem cmodel host tests

# ---- sanitizers: the unit tests and the replay under AddressSanitizer + UndefinedBehavior-
# Sanitizer; the multi-threaded runs under ThreadSanitizer ----
SAN_FLAGS := -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
sanitize:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan CFLAGS="$(SAN_FLAGS)" DEPS=0 \
	  $(CMOCKA_TESTS:%=$(BUILD)/asan/%) $(HOST_TESTS:%=$(BUILD)/asan/%) $(BUILD)/asan/xpnn-replay \
	  $(BUILD)/asan/xpnn-conform $(BUILD)/asan/xpnn $(BUILD)/asan/xpnn-hil-mutant
	@for t in $(CMOCKA_TESTS) $(HOST_TESTS); do XP_SEED=$(SEED) $(BUILD)/asan/$$t || exit 1; done
	@$(BUILD)/asan/xpnn-replay --quiet $(VECTORS)
	@bash tests/run_conform.sh $(BUILD)/asan $(SEED) > $(BUILD)/asan/conform.log 2>&1 || \
	  { cat $(BUILD)/asan/conform.log; exit 1; }
	@grep '^conform:' $(BUILD)/asan/conform.log
	@bash tests/test_cli.sh $(BUILD)/asan > $(BUILD)/asan/cli.log 2>&1 || { cat $(BUILD)/asan/cli.log; exit 1; }
	@tail -1 $(BUILD)/asan/cli.log
	@bash tests/test_cli_nn.sh $(BUILD)/asan > $(BUILD)/asan/cli_nn.log 2>&1 || { cat $(BUILD)/asan/cli_nn.log; exit 1; }
	@tail -1 $(BUILD)/asan/cli_nn.log
	@bash tests/test_hil.sh $(BUILD)/asan $(SEED) > $(BUILD)/asan/hil.log 2>&1 || { cat $(BUILD)/asan/hil.log; exit 1; }
	@tail -1 $(BUILD)/asan/hil.log
	@bash tests/test_tty.sh $(BUILD)/asan $(SEED) > $(BUILD)/asan/tty.log 2>&1 || { cat $(BUILD)/asan/tty.log; exit 1; }
	@tail -1 $(BUILD)/asan/tty.log
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/tsan CFLAGS="-g -fsanitize=thread" DEPS=0 $(BUILD)/tsan/test_cmodel
	@TSAN_OPTIONS=halt_on_error=1 XP_TEST_FILTER='test_run_*' XP_SEED=$(SEED) $(BUILD)/tsan/test_cmodel

# ---- bench ----
bench: $(BUILD)/bench-cmodel $(BUILD)/bench-link $(BUILD)/bench-twin $(BUILD)/xpnn $(BUILD)/xpnn-vboard \
  $(BUILD)/xpnn-vboard-uart $(BUILD)/xpnn-vboard-uart-1m
	$(BUILD)/bench-cmodel --threads $(THREADS)
	$(BUILD)/bench-link --threads $(THREADS)
	$(BUILD)/bench-twin --threads $(THREADS)
	bash scripts/bench_hil.sh $(BUILD)
	bash scripts/bench_vboard.sh $(BUILD)
	bash scripts/bench_uart.sh $(BUILD)

# Instructions per inference, counted by callgrind inside xp_chip_run: repeatable on a noisy
# machine. valgrind has no AVX-512, so this counts the kernel it leaves the CPU (avx2 here).
IR_N ?= 2048
bench-ir: $(BUILD)/bench-cmodel
	@valgrind --tool=callgrind --toggle-collect=xp_chip_run --callgrind-out-file=$(BUILD)/callgrind.out \
	  $(BUILD)/bench-cmodel --fixed $(IR_N) 2>$(BUILD)/callgrind.log | sed 's/^/  /'
	@ir=$$(sed -n 's/^summary: //p' $(BUILD)/callgrind.out); \
	  echo "bench-ir: $$ir instructions in xp_chip_run for $(IR_N) inferences = $$((ir / $(IR_N))) per inference"

# The README's main command: train, compile, load onto the model board, evaluate
# (scripts/demo.sh; EPOCHS= and SEED= pass through).
demo: $(BUILD)/.deps.stamp $(BUILD)/xpnn
	@bash scripts/demo.sh $(BUILD)

# docs/results.md: the hardware-in-the-loop comparison and its acceptance targets (about 1 min)
results: $(BUILD)/.deps.stamp $(BUILD)/xpnn
	@bash scripts/results.sh $(BUILD)

clean:
	rm -rf $(BUILD)
