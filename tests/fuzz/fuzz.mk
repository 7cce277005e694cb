# fuzz.mk — build the libFuzzer harnesses tests/fuzz/fuzz_*.c with clang,
# independently of meson. Included by the root Makefile (`make fuzz`,
# `make fuzz-replay`, `make fuzz-build`); see tests/fuzz/README.md.
#
# The library sources of lib/core, lib/io and lib/linalg are compiled once
# into $(FUZZ_DIR)/obj with coverage instrumentation (fuzzer-no-link) and the
# same sanitizers, then linked into every harness. Header dependencies are
# tracked (-MMD), so a second `make fuzz-build` rebuilds only what changed.

FUZZ_DIR     ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_PKGS     = lapacke openblas jansson zlib
FUZZ_SAN      = address,undefined
FUZZ_CFLAGS   = -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L \
                -DRK_HAVE_OPENBLAS=1 -fno-sanitize-recover=all -fno-omit-frame-pointer \
                -I$(FUZZ_DIR)/gen -Ilib $(shell pkg-config --cflags $(FUZZ_PKGS))
# core/version.h is generated from lib/core/version.h.in (meson does it for
# the main build); the fuzz build makes its own copy.
FUZZ_VERSION_H = $(FUZZ_DIR)/gen/core/version.h
FUZZ_LIBS     = $(shell pkg-config --libs $(FUZZ_PKGS)) -lm
FUZZ_LIB_SRC  = $(wildcard lib/core/*.c lib/io/*.c lib/linalg/*.c)
FUZZ_LIB_OBJ  = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_LIB_SRC))
FUZZ_SRC      = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS     = $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRC))

.PHONY: fuzz-build
.SECONDARY: $(FUZZ_LIB_OBJ)

fuzz-build: $(FUZZ_BINS)

$(FUZZ_VERSION_H): lib/core/version.h.in
	@mkdir -p $(dir $@)
	sed -e 's/@VERSION@/0.0.0-fuzz/' -e 's/@MAJOR@/0/' -e 's/@MINOR@/0/' -e 's/@PATCH@/0/' $< >$@

$(FUZZ_DIR)/obj/%.o: %.c $(FUZZ_VERSION_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -MMD -MP -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -MMD -MP -MF $@.d \
	  $< $(FUZZ_LIB_OBJ) $(FUZZ_LIBS) -o $@

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_BINS:=.d)
