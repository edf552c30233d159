# trainset: `make` builds the library and the tool, `make check` runs every
# test, `make demo` runs the whole loop on Fashion-MNIST. Each installs the
# Debian packages it needs first (scripts/setup.sh).

PREFIX ?= /usr/local
SANITIZE ?=
CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif

BUILD := build$(if $(SANITIZE),-san)
PKGS := libturbojpeg libjpeg libpng libwebp expat libarchive libxxhash zlib openblas

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wpedantic
ifeq ($(CI),true)
WARN += -Werror
endif
OPT ?= -O2 -g
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -Iinclude -Isrc $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(PKG_LIBS) -lpthread -lm $(LDLIBS)
ifneq ($(SANITIZE),)
CFLAGS_ALL += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

LIB_SRC := $(sort $(wildcard src/*/*.c))
LIB_SRC := $(filter-out src/cli/%,$(LIB_SRC))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/*.c tests/*/*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

LIB_A := $(BUILD)/libtrainset.a
LIB_SO := $(BUILD)/libtrainset.so
BIN := $(BUILD)/trainset
TEST_BIN := $(BUILD)/unit-tests

.PHONY: all setup check demo bench fuzz install clean
all: $(BIN) $(LIB_SO)

setup:
	@bash scripts/setup.sh

# Pixel kernels are written to be vectorised: -O3 there.
$(BUILD)/src/aug/%.o $(BUILD)/src/image/%.o: OPT := $(subst -O2,-O3,$(OPT))

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(OPT) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIB_SO): $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS) $(LDLIBS_ALL)

$(BIN): $(CLI_OBJ) $(LIB_A)
	$(CC) -o $@ $(CLI_OBJ) -Wl,--whole-archive $(LIB_A) -Wl,--no-whole-archive $(LDFLAGS) $(LDLIBS_ALL)

$(TEST_BIN): $(TEST_OBJ) $(LIB_A)
	$(CC) -o $@ $(TEST_OBJ) -Wl,--whole-archive $(LIB_A) -Wl,--no-whole-archive $(LDFLAGS) $(LDLIBS_ALL)

# The test command of the README: unit tests, CLI tests and the interop
# suite, closing with one "N passed, N failed" line.
check: setup
	@$(MAKE) --no-print-directory $(BIN) $(TEST_BIN) $(LIB_SO)
	@BUILD=$(BUILD) bash tests/run_all.sh

demo: setup
	@$(MAKE) --no-print-directory $(BIN)
	@BUILD=$(BUILD) bash scripts/demo.sh

bench: setup
	@$(MAKE) --no-print-directory $(BIN)
	@BUILD=$(BUILD) bash bench/run.sh

# libFuzzer targets (clang), each seeded from the test fixtures:
# `make fuzz` builds them into build-fuzz/; `bash fuzz/run.sh SECONDS` runs each.
FUZZ_DIR := build-fuzz
# UBSan aborts (no recovery), so undefined behaviour fails a run like a crash
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -Iinclude -Isrc $(PKG_CFLAGS) -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_OBJ := $(LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(FUZZ_DIR)/%)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@

$(FUZZ_DIR)/libtrainset-fuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_DIR)/libtrainset-fuzz.a
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< -Wl,--whole-archive $(FUZZ_DIR)/libtrainset-fuzz.a -Wl,--no-whole-archive $(PKG_LIBS) -lpthread -lm

fuzz: setup
	@$(MAKE) --no-print-directory $(FUZZ_BIN)

install: $(BIN) $(LIB_SO) $(LIB_A)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/trainset
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/trainset
	install -m 644 $(LIB_A) $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/trainset.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/trainset/*.h $(DESTDIR)$(PREFIX)/include/trainset/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@PKGS@|$(PKGS)|' scripts/trainset.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/trainset.pc

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(wildcard $(FUZZ_DIR)/obj/*/*/*.d)
