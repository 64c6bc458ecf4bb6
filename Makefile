# Cairn build. `make` builds release binaries in build/; `make run` starts
# cairnd on embedded SQLite; `make test` runs every test (unit, integration on
# SQLite and PostgreSQL, UI in headless Chromium) under ASan and UBSan.
#
# Sources are found by wildcard: a new .c file under src/<module>/ is built
# without editing this file. src/cairnd.c holds main(); unit tests link every
# other object.

CC      ?= gcc
PKGS    := libmicrohttpd jansson sqlite3 libpq libsodium librrd zlib libcrypto libssh libgit2
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
WARN    := -std=c17 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral
BASEFLAGS = $(WARN) -D_GNU_SOURCE -DCAIRN_VERSION='"$(VERSION)"' -Isrc -Ibuild/gen \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lwslay -lpthread -lm
# cairn-agent links its own small static libcurl (HTTP(S), mbed TLS, zlib),
# built once per Debian source version by scripts/build-curl.sh from
# Debian's curl source package, the version of the system libcurl: the
# system one maps ~30 libraries and costs ~7 MB RSS. cairnd and the CLI keep
# the system libcurl. jansson and zlib are linked statically too: each
# shared library costs the agent ~100-250 kB RSS, more than the code it uses.
CURL_DEB_VERSION := $(shell dpkg-query -W -f='$${source:Version}' libcurl4-openssl-dev 2>/dev/null)
CURL_MIN   := build/curl-min
CURL_STAMP := $(CURL_MIN)/stamp-$(or $(subst :,_,$(CURL_DEB_VERSION)),current)
AGENT_LIBS := $(CURL_MIN)/lib/libcurl.a -Wl,-Bstatic -lmbedtls -lmbedx509 -lmbedcrypto -ljansson -lz \
              -Wl,-Bdynamic -lpthread
REL_CFLAGS  := -O2 -g
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC   := $(wildcard src/common/*.c src/store/*.c src/http/*.c src/api/*.c src/cmdb/*.c src/monitor/*.c src/exec/*.c src/jobs/*.c)
GEN_SRC   := build/gen/schema_sql.c
MAIN_SRC  := src/cairnd.c
SCHEMA    := $(sort $(wildcard src/store/schema/*.sql))
UNIT_SRC  := $(filter-out tests/unit/test_agent%,$(wildcard tests/unit/test_*.c))
# cairn-agent: its own sources plus the few common modules it needs; it does
# not link the server's database, HTTP or crypto libraries.
AGENT_SRC := $(filter-out src/agent/main.c,$(wildcard src/agent/*.c)) src/common/log.c src/common/sbuf.c src/common/util.c
AGENT_UNIT_SRC := $(wildcard tests/unit/test_agent*.c)
# cairn (the command line): its sources plus the same few common modules.
CLI_PKGS  := jansson libcurl
CLI_LIBS   = $(shell pkg-config --libs $(CLI_PKGS) 2>/dev/null) -lpthread -lm
CLI_SRC   := $(wildcard src/cli/*.c) src/common/log.c src/common/sbuf.c src/common/util.c
CLI_REL_OBJ  := $(patsubst %.c,build/obj/%.o,$(CLI_SRC))
CLI_ASAN_OBJ := $(patsubst %.c,build/asan/obj/%.o,$(CLI_SRC))

REL_OBJ   := $(patsubst %.c,build/obj/%.o,$(LIB_SRC)) build/obj/gen/schema_sql.o
ASAN_OBJ  := $(patsubst %.c,build/asan/obj/%.o,$(LIB_SRC)) build/asan/obj/gen/schema_sql.o
UNIT_BIN  := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRC))
AGENT_REL_OBJ  := $(patsubst %.c,build/obj/%.o,$(AGENT_SRC))
AGENT_ASAN_OBJ := $(patsubst %.c,build/asan/obj/%.o,$(AGENT_SRC))
AGENT_UNIT_BIN := $(patsubst tests/unit/%.c,build/asan/tests/%,$(AGENT_UNIT_SRC))

.PHONY: all deps web run test unit bench clean lint asan fuzz fuzz-build install
all: build/cairnd $(if $(wildcard src/agent/main.c),build/cairn-agent) build/cairn web

deps:
	@scripts/deps.sh

build/gen/schema_sql.c: $(SCHEMA) scripts/embed-sql.sh
	@mkdir -p $(dir $@)
	scripts/embed-sql.sh $(SCHEMA) > $@.tmp && mv $@.tmp $@

build/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(REL_CFLAGS) -MMD -c $< -o $@
build/obj/%.o: %.c | build/gen/schema_sql.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(REL_CFLAGS) -MMD -c $< -o $@
build/asan/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(ASAN_CFLAGS) -MMD -c $< -o $@
build/asan/obj/%.o: %.c | build/gen/schema_sql.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(ASAN_CFLAGS) -MMD -c $< -o $@

build/cairnd: $(REL_OBJ) build/obj/src/cairnd.o
	$(CC) $(REL_CFLAGS) -o $@ $^ $(LIBS)

build/asan/cairnd: $(ASAN_OBJ) build/asan/obj/src/cairnd.o
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LIBS)

$(CURL_STAMP): scripts/build-curl.sh
	+scripts/build-curl.sh $(CURL_MIN) '$(CURL_DEB_VERSION)'
	@touch $@
# Its headers (named in the objects' .d files) come with it.
$(CURL_MIN)/include/curl/%.h: $(CURL_STAMP) ;
# The agent's objects see the small libcurl's headers, and are built after it.
build/obj/src/agent/%.o build/asan/obj/src/agent/%.o: BASEFLAGS += -I$(CURL_MIN)/include
$(filter build/obj/src/agent/% build/asan/obj/src/agent/%,$(AGENT_REL_OBJ) $(AGENT_ASAN_OBJ)) \
  build/obj/src/agent/main.o build/asan/obj/src/agent/main.o: $(CURL_STAMP)

build/cairn-agent: $(AGENT_REL_OBJ) build/obj/src/agent/main.o
	$(CC) $(REL_CFLAGS) -o $@ $(filter %.o,$^) $(AGENT_LIBS)

build/cairn: $(CLI_REL_OBJ)
	$(CC) $(REL_CFLAGS) -o $@ $^ $(CLI_LIBS)

build/asan/cairn: $(CLI_ASAN_OBJ)
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(CLI_LIBS)

build/asan/cairn-agent: $(AGENT_ASAN_OBJ) build/asan/obj/src/agent/main.o
	$(CC) $(ASAN_CFLAGS) -o $@ $(filter %.o,$^) $(AGENT_LIBS)

build/asan/tests/test_agent%: build/asan/obj/tests/unit/test_agent%.o $(AGENT_ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -o $@ $(filter %.o,$^) $(AGENT_LIBS) -lcmocka -lm

build/asan/tests/%: build/asan/obj/tests/unit/%.o $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LIBS) -lcmocka

asan: build/asan/cairnd build/asan/cairn build/cairn $(UNIT_BIN) $(if $(wildcard src/agent/main.c),build/asan/cairn-agent build/cairn-agent $(AGENT_UNIT_BIN))

web:
	@scripts/build-web.sh

# libFuzzer targets (clang): tests/fuzz/fuzz_<name>.c with the sources they
# need listed here. `make fuzz` runs each for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -std=c17 -D_GNU_SOURCE -Isrc
build/fuzz/fuzz_report: tests/fuzz/fuzz_report.c src/monitor/report.c src/common/util.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(shell pkg-config --cflags --libs jansson)
build/fuzz/fuzz_cron: tests/fuzz/fuzz_cron.c src/jobs/cron.c src/jobs/cron_tz.c src/jobs/schedule.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(shell pkg-config --cflags --libs jansson)
fuzz-build: build/fuzz/fuzz_report build/fuzz/fuzz_cron
fuzz: fuzz-build
	@for f in build/fuzz/fuzz_*; do n=$${f##*/fuzz_}; mkdir -p build/fuzz/corpus-$$n; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build/fuzz/corpus-$$n tests/fuzz/corpus/$$n || exit 1; done

# `sudo make install`: programs in $(PREFIX)/lib/cairn, the systemd unit, an
# example /etc/cairn/cairnd.conf and the user `cairn` (scripts/install.sh).
PREFIX ?= /usr/local
install: all
	@PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) scripts/install.sh

run: deps all
	@scripts/run.sh

# `all` too: the release build (-O2) warns where -O1 does not, and `make run`
# must never be the first to find out.
test: deps
	@$(MAKE) --no-print-directory all asan web fuzz-build
	@scripts/test.sh

unit: asan
	@scripts/test.sh unit

bench: deps all
	@for b in bench/*.sh; do echo "== $$b"; bash $$b || exit 1; done

lint:
	cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
	  --suppress=missingIncludeSystem --suppress=missingInclude -Isrc -Ibuild/gen \
	  --include=/usr/include/jansson.h -D__GNUC__ src
	clang-tidy --quiet $(LIB_SRC) $(MAIN_SRC) -- $(BASEFLAGS)

clean:
	rm -rf build

-include $(shell find build -path build/curl-src -prune -o -name '*.d' -print 2>/dev/null)
