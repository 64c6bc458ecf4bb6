/* test_common.c -- cmocka tests of src/common: logfmt quoting (log.c),
 * UTF-8 checks, number parsing, bounded copies and the test clock (util.c),
 * the growable buffer (sbuf.c), password hashing, tokens and SHA-256
 * (secret.c), the configuration parser (config.c) and the worker pool
 * (workq.c).
 *
 * Each test is independent; config tests write their files into a private
 * temporary directory made by the group setup and removed by its teardown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/config.h"
#include "common/log.h"
#include "common/sbuf.h"
#include "common/secret.h"
#include "common/util.h"
#include "common/workq.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];

/* ---- log_kv_str ----------------------------------------------------------- */

static void test_log_kv_bare(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(log_kv_str(out, sizeof out, "plain"), "plain");
    assert_string_equal(log_kv_str(out, sizeof out, "/api/v1/users?x"), "/api/v1/users?x");
    assert_string_equal(log_kv_str(out, sizeof out, "汉字"), "汉字"); /* UTF-8 passes as is */
}

static void test_log_kv_quoted(void **state)
{
    (void)state;
    char out[128];
    assert_string_equal(log_kv_str(out, sizeof out, ""), "\"\"");
    assert_string_equal(log_kv_str(out, sizeof out, NULL), "\"\"");
    assert_string_equal(log_kv_str(out, sizeof out, "two words"), "\"two words\"");
    assert_string_equal(log_kv_str(out, sizeof out, "k=v"), "\"k=v\"");
    assert_string_equal(log_kv_str(out, sizeof out, "say \"hi\""), "\"say \\\"hi\\\"\"");
    assert_string_equal(log_kv_str(out, sizeof out, "back\\slash"), "\"back\\\\slash\"");
    assert_string_equal(log_kv_str(out, sizeof out, "a\nb"), "\"a\\nb\"");
    assert_string_equal(log_kv_str(out, sizeof out, "a\rb\tc\x1b"), "\"a\\x0db\\x09c\\x1b\"");
    assert_string_equal(log_kv_str(out, sizeof out, "del\x7f"), "\"del\\x7f\"");
}

static void test_log_kv_forgery(void **state)
{
    (void)state;
    char out[256];
    /* a newline cannot start a new log line, a quote cannot end the value */
    const char *evil = "x\nts=1 level=error msg=forged\" user=root";
    log_kv_str(out, sizeof out, evil);
    assert_null(strchr(out, '\n'));
    assert_int_equal(out[0], '"');
    assert_int_equal(out[strlen(out) - 1], '"');
    for (const char *p = out + 1; p < out + strlen(out) - 1; p++)
        if (*p == '"')
            assert_int_equal(p[-1], '\\');
}

static void test_log_kv_truncation(void **state)
{
    (void)state;
    char out[16], big[200];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    log_kv_str(out, sizeof out, big);
    assert_true(strlen(out) < sizeof out);
    assert_int_equal(out[0], '"');
    assert_non_null(strstr(out, "\xe2\x80\xa6\"")); /* ends in …" */
    /* escapes are never cut in half */
    char q[200];
    for (size_t i = 0; i < sizeof q - 1; i++)
        q[i] = '"';
    q[sizeof q - 1] = '\0';
    log_kv_str(out, sizeof out, q);
    assert_true(strlen(out) < sizeof out);
    assert_non_null(strstr(out, "\xe2\x80\xa6\""));
    char tiny[4] = "xyz";
    log_kv_str(tiny, sizeof tiny, "hello");
    assert_string_equal(tiny, ""); /* too small to say anything */
}

static void test_log_level_parse(void **state)
{
    (void)state;
    assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
    assert_int_equal(log_level_parse("INFO"), LOG_INFO);
    assert_int_equal(log_level_parse("warn"), LOG_WARN);
    assert_int_equal(log_level_parse("error"), LOG_ERROR);
    assert_int_equal(log_level_parse("loud"), -1);
    assert_int_equal(log_level_parse(""), -1);
    assert_int_equal(log_level_parse(NULL), -1);
}

/* ---- util ------------------------------------------------------------------ */

static bool valid(const char *s) { return util_utf8_valid(s, strlen(s)); }

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(valid(""));
    assert_true(valid("ascii text"));
    assert_true(valid("tab\tnewline\ncr\r"));
    assert_true(valid("caf\xc3\xa9"));                  /* é */
    assert_true(valid("\xe6\xb1\x89\xe5\xad\x97"));     /* 汉字 */
    assert_true(valid("\xf0\x9f\x9a\x80"));             /* 🚀 */
    assert_true(valid("\xf4\x8f\xbf\xbf"));             /* U+10FFFF */
    assert_false(valid("\xc3"));                        /* truncated */
    assert_false(valid("\xe6\xb1"));
    assert_false(valid("\xf0\x9f\x9a"));
    assert_false(valid("\xc3\x28"));                    /* bad continuation */
    assert_false(valid("\x80"));                        /* lone continuation */
    assert_false(valid("\xc0\xaf"));                    /* overlong / */
    assert_false(valid("\xe0\x80\xaf"));                /* overlong */
    assert_false(valid("\xf0\x80\x80\xaf"));            /* overlong */
    assert_false(valid("\xed\xa0\x80"));                /* surrogate U+D800 */
    assert_false(valid("\xf4\x90\x80\x80"));            /* > U+10FFFF */
    assert_false(valid("\xf8\x88\x80\x80\x80"));        /* 5-byte form */
    assert_false(valid("\xff"));
    assert_false(valid("bell\a"));                      /* C0 control */
    assert_false(valid("esc\x1b[0m"));
    assert_false(valid("del\x7f"));
    assert_false(util_utf8_valid("a\0b", 3));           /* NUL inside */
    assert_true(util_utf8_valid("abc\xff", 3));          /* only len bytes are read */
}

static void test_utf8_len(void **state)
{
    (void)state;
    assert_int_equal(util_utf8_len(""), 0);
    assert_int_equal(util_utf8_len("abc"), 3);
    assert_int_equal(util_utf8_len("caf\xc3\xa9"), 4);
    assert_int_equal(util_utf8_len("\xe6\xb1\x89\xe5\xad\x97"), 2);
    assert_int_equal(util_utf8_len("\xf0\x9f\x9a\x80!"), 2);
}

static void test_parse_i64(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_true(util_parse_i64("0", &v));
    assert_int_equal(v, 0);
    assert_true(util_parse_i64("42", &v));
    assert_int_equal(v, 42);
    assert_true(util_parse_i64("-7", &v));
    assert_int_equal(v, -7);
    assert_true(util_parse_i64("9223372036854775807", &v));
    assert_true(v == INT64_MAX);
    assert_true(util_parse_i64("-9223372036854775808", &v));
    assert_true(v == INT64_MIN);
    v = 5;
    const char *bad[] = {"", " 1", "1 ", "+1", "-", "--1", "1a", "0x10", "1.5", "1e3",
                         "9223372036854775808", "-9223372036854775809", "\t1", NULL};
    for (const char **b = bad; *b; b++) {
        if (util_parse_i64(*b, &v))
            fail_msg("\"%s\" was accepted", *b);
    }
    assert_false(util_parse_i64(NULL, &v));
}

static void test_strcpy(void **state)
{
    (void)state;
    char buf[4];
    assert_int_equal(util_strcpy(buf, sizeof buf, "abc"), 0);
    assert_string_equal(buf, "abc");
    assert_int_equal(util_strcpy(buf, sizeof buf, "abcd"), -1);
    assert_string_equal(buf, ""); /* nothing half-copied */
    assert_int_equal(util_strcpy(buf, 0, "a"), -1);
}

static void test_clock_offset(void **state)
{
    (void)state;
    int64_t before = util_now();
    util_set_clock_offset(3600);
    int64_t later = util_now();
    assert_int_equal(util_clock_offset(), 3600);
    assert_true(later - before >= 3600 && later - before <= 3602);
    util_set_clock_offset(0);
    assert_true(util_now() - before <= 2);
    double m1 = util_mono_ms(), m2 = util_mono_ms();
    assert_true(m2 >= m1);
}

/* ---- sbuf ------------------------------------------------------------------ */

static void test_sbuf_basic(void **state)
{
    (void)state;
    sbuf b = SBUF_INIT;
    assert_string_equal(sbuf_str(&b), "");
    assert_int_equal(sbuf_puts(&b, "hello"), 0);
    assert_int_equal(sbuf_putc(&b, ' '), 0);
    assert_int_equal(sbuf_printf(&b, "%s #%d", "world", 7), 0);
    assert_string_equal(sbuf_str(&b), "hello world #7");
    assert_int_equal(b.len, 14);
    assert_int_equal(sbuf_append(&b, "\0x", 2), 0); /* binary safe */
    assert_int_equal(b.len, 16);
    assert_int_equal(b.data[b.len], '\0');
    assert_false(sbuf_failed(&b));
    sbuf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void test_sbuf_growth(void **state)
{
    (void)state;
    sbuf b;
    sbuf_init(&b);
    for (int i = 0; i < 10000; i++)
        sbuf_printf(&b, "%04d,", i % 10000);
    assert_false(sbuf_failed(&b));
    assert_int_equal(b.len, 50000);
    assert_true(b.cap > b.len);
    assert_memory_equal(b.data + 49995, "9999,", 5);
    char *s = sbuf_steal(&b);
    assert_non_null(s);
    assert_int_equal(strlen(s), 50000);
    assert_null(b.data); /* reset */
    free(s);
    char *empty = sbuf_steal(&b);
    assert_string_equal(empty, "");
    free(empty);
}

static void test_sbuf_sticky_failure(void **state)
{
    (void)state;
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "abc");
    /* more than the 1 GiB cap: refused without allocating */
    assert_int_equal(sbuf_append(&b, "x", (size_t)1 << 31), -1);
    assert_true(sbuf_failed(&b));
    assert_int_equal(sbuf_puts(&b, "more"), -1); /* sticky */
    assert_int_equal(sbuf_printf(&b, "%d", 1), -1);
    assert_string_equal(sbuf_str(&b), "abc");
    assert_null(sbuf_steal(&b)); /* a failed buffer gives nothing */
    assert_null(b.data);
    sbuf_free(&b);
}

/* ---- secret ---------------------------------------------------------------- */

static void test_secret_hash_verify(void **state)
{
    (void)state;
    char h1[SECRET_HASH_MAX], h2[SECRET_HASH_MAX];
    assert_int_equal(secret_password_hash("correct horse", h1), 0);
    assert_int_equal(strncmp(h1, "$argon2id$", 10), 0);
    assert_true(secret_password_verify(h1, "correct horse"));
    assert_false(secret_password_verify(h1, "correct horsf"));
    assert_false(secret_password_verify(h1, ""));
    assert_int_equal(secret_password_hash("correct horse", h2), 0);
    assert_string_not_equal(h1, h2); /* salted */
    assert_true(secret_password_verify(h2, "correct horse"));
    /* non-ASCII passwords */
    assert_int_equal(secret_password_hash("密码🚀", h2), 0);
    assert_true(secret_password_verify(h2, "密码🚀"));
    /* anything but an argon2id hash never verifies */
    assert_false(secret_password_verify(NULL, "x"));
    assert_false(secret_password_verify(h1, NULL));
    assert_false(secret_password_verify("", ""));
    assert_false(secret_password_verify("plaintext", "plaintext"));
    assert_false(secret_password_verify("$argon2i$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA", "x"));
    h1[strlen(h1) - 2] ^= 1; /* tampered */
    assert_false(secret_password_verify(h1, "correct horse"));
}

static void test_secret_sha256(void **state)
{
    (void)state;
    char out[SECRET_HEX_MAX];
    secret_sha256_hex("abc", out);
    assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    secret_sha256_hex("", out);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    secret_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", out);
    assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_secret_random(void **state)
{
    (void)state;
    char a[SECRET_HEX_MAX], b[SECRET_HEX_MAX];
    secret_random_hex(a, 32);
    secret_random_hex(b, 32);
    assert_int_equal(strlen(a), 64);
    assert_int_equal(strspn(a, "0123456789abcdef"), 64);
    assert_string_not_equal(a, b);
    char pw[17];
    secret_random_password(pw, 16);
    assert_int_equal(strlen(pw), 16);
    /* no look-alikes: 0 O 1 l I */
    assert_null(strpbrk(pw, "0O1lI"));
    for (const char *p = pw; *p; p++)
        assert_true((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '2' && *p <= '9'));
}

static void test_secret_equal(void **state)
{
    (void)state;
    assert_true(secret_equal("", ""));
    assert_true(secret_equal("abc", "abc"));
    assert_false(secret_equal("abc", "abd"));
    assert_false(secret_equal("abc", "ab"));
    assert_false(secret_equal("ab", "abc"));
    assert_false(secret_equal("", "a"));
}

/* ---- config ---------------------------------------------------------------- */

static int load(config *c, char *err, size_t errlen, ...)
{
    char *argv[32] = {"cairnd"};
    int argc = 1;
    va_list ap;
    va_start(ap, errlen);
    for (char *a; argc < 31 && (a = va_arg(ap, char *)); )
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    err[0] = '\0';
    return config_load(c, argc, argv, err, errlen);
}

static const char *write_conf(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_config_defaults(void **state)
{
    (void)state;
    config c;
    char err[256];
    assert_int_equal(load(&c, err, sizeof err, NULL), 0);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8000);
    assert_string_equal(c.data_dir, "./var");
    assert_string_equal(c.db_url, "");
    assert_int_equal(c.body_limit, 1 << 20);
    assert_int_equal(c.workers, 4);
    assert_int_equal(c.db_pool, 8);
    assert_int_equal(c.log_level, LOG_INFO);
    assert_int_equal(c.ansible_sandbox, 1);
    assert_false(c.show_help);
    assert_false(c.show_version);
}

static void test_config_flags(void **state)
{
    (void)state;
    config c;
    char err[256];
    assert_int_equal(load(&c, err, sizeof err, "--listen", "0.0.0.0:9000", "--data=/srv/cairn",
                          "--db", "postgresql://db/cairn", "--workers", "2", "--body-limit=2048",
                          "--log-level", "debug", "--ansible-sandbox", "0", "--version", NULL), 0);
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.listen_port, 9000);
    assert_string_equal(c.data_dir, "/srv/cairn");
    assert_string_equal(c.db_url, "postgresql://db/cairn");
    assert_int_equal(c.workers, 2);
    assert_int_equal(c.body_limit, 2048);
    assert_int_equal(c.log_level, LOG_DEBUG);
    assert_int_equal(c.ansible_sandbox, 0);
    assert_true(c.show_version);
    assert_int_equal(load(&c, err, sizeof err, "-h", NULL), 0);
    assert_true(c.show_help);
}

static void test_config_file_then_flags(void **state)
{
    (void)state;
    config c;
    char err[256];
    const char *f = write_conf("a.conf", "# comment\n; also a comment\n\n  listen = 10.0.0.1:81  \n"
                                         "log_level = warn\nbody_limit=4096\ndb-pool = 3\nansible_sandbox = 0\n");
    assert_int_equal(load(&c, err, sizeof err, "--config", f, NULL), 0);
    assert_string_equal(c.listen_host, "10.0.0.1");
    assert_int_equal(c.listen_port, 81);
    assert_int_equal(c.log_level, LOG_WARN);
    assert_int_equal(c.body_limit, 4096);
    assert_int_equal(c.db_pool, 3);
    assert_int_equal(c.ansible_sandbox, 0);
    /* flags win over the file, wherever --config stands */
    assert_int_equal(load(&c, err, sizeof err, "--listen", "127.0.0.1:82", "--config", f, "--db-pool=5", NULL), 0);
    assert_int_equal(c.listen_port, 82);
    assert_int_equal(c.db_pool, 5);
    assert_int_equal(c.log_level, LOG_WARN); /* from the file */
    char with_eq[200];
    snprintf(with_eq, sizeof with_eq, "--config=%s", f);
    assert_int_equal(load(&c, err, sizeof err, with_eq, NULL), 0);
    assert_int_equal(c.listen_port, 81);
}

static void expect_error(const char *want, ...)
{
    config c;
    char err[512];
    char *argv[16] = {"cairnd"};
    int argc = 1;
    va_list ap;
    va_start(ap, want);
    for (char *a; argc < 15 && (a = va_arg(ap, char *)); )
        argv[argc++] = a;
    va_end(ap);
    err[0] = '\0';
    if (config_load(&c, argc, argv, err, sizeof err) != -1)
        fail_msg("accepted: %s", argv[1]);
    if (!strstr(err, want))
        fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void test_config_bad_flags(void **state)
{
    (void)state;
    expect_error("unknown setting \"colour\"", "--colour", "red", NULL);
    expect_error("needs a value", "--listen", NULL);
    expect_error("listen: expected ADDR:PORT", "--listen", "8000", NULL);
    expect_error("listen: expected ADDR:PORT", "--listen", ":8000", NULL);
    expect_error("listen: expected ADDR:PORT", "--listen", "h:0", NULL);
    expect_error("listen: expected ADDR:PORT", "--listen", "h:65536", NULL);
    expect_error("listen: expected ADDR:PORT", "--listen", "h: 80", NULL);
    expect_error("workers: expected a number from 1", "--workers", "0", NULL);
    expect_error("db-pool: expected a number from 1", "--db-pool", "-3", NULL);
    expect_error("threads: expected a number", "--threads", "four", NULL);
    expect_error("max-connections", "--max-connections", "0", NULL);
    expect_error("body-limit: expected bytes", "--body-limit", "100", NULL);
    expect_error("body-limit: expected bytes", "--body-limit", "1k", NULL);
    expect_error("log-level: expected debug, info, warn or error", "--log-level", "verbose", NULL);
    expect_error("ansible-sandbox: expected a number from 0 to 1", "--ansible-sandbox", "2", NULL);
    expect_error("ansible-sandbox: expected a number from 0 to 1", "--ansible-sandbox", "off", NULL);
    expect_error("trusted-proxies: \"10.0.0.0/33\" is not an IP address", "--trusted-proxies", "10.0.0.0/33", NULL);
    expect_error("trusted-proxies: \"nginx\" is not an IP address", "--trusted-proxies", "127.0.0.1,nginx", NULL);
    expect_error("unexpected argument \"serve\"", "serve", NULL);
    expect_error("unexpected argument \"-x\"", "-x", NULL);
    char longpath[CONFIG_PATH_MAX + 10];
    memset(longpath, 'x', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    expect_error("data: value too long", "--data", longpath, NULL);
}

static void test_config_bad_files(void **state)
{
    (void)state;
    char missing[128];
    snprintf(missing, sizeof missing, "%s/none.conf", tmpdir);
    expect_error("No such file", "--config", missing, NULL);
    expect_error(":2: expected key = value", "--config", write_conf("b1.conf", "workers = 2\nnonsense\n"), NULL);
    expect_error(":1: unknown setting \"colour\"", "--config", write_conf("b2.conf", "colour = red\n"), NULL);
    expect_error(":3: workers: expected a number", "--config",
                 write_conf("b3.conf", "# c\n\nworkers = lots\n"), NULL);
    char longline[3000];
    memset(longline, 'a', sizeof longline - 2);
    longline[sizeof longline - 2] = '\n';
    longline[sizeof longline - 1] = '\0';
    expect_error(":1: line too long", "--config", write_conf("b4.conf", longline), NULL);
    /* the file is checked even when a flag sets the same key */
    expect_error("unknown setting", "--config", write_conf("b5.conf", "bogus = 1\n"), "--workers", "2", NULL);
}

static void test_config_usage(void **state)
{
    (void)state;
    const char *u = config_usage();
    assert_non_null(strstr(u, "usage: cairnd"));
    for (const char *const *o = (const char *const[]){"--listen", "--data", "--db", "--web", "--threads",
                                                        "--workers", "--db-pool", "--max-connections",
                                                        "--body-limit", "--log-level", "--config",
                                                        "--version", "--help", NULL};
         *o; o++)
        if (!strstr(u, *o))
            fail_msg("%s missing from the usage", *o);
}

/* ---- workq ----------------------------------------------------------------- */

static atomic_int ran;

static void job(void *arg)
{
    (void)arg;
    usleep(100);
    atomic_fetch_add(&ran, 1);
}

static void test_workq_runs_everything(void **state)
{
    (void)state;
    atomic_store(&ran, 0);
    workq *q = workq_new(3);
    assert_non_null(q);
    for (int i = 0; i < 200; i++)
        assert_int_equal(workq_push(q, job, NULL), 0);
    workq_free(q); /* finishes what is queued */
    assert_int_equal(atomic_load(&ran), 200);
    workq_free(NULL);
}

/* ---- main ------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cairn-unit-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    log_set_level(LOG_ERROR);
    return secret_init();
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_kv_bare),
        cmocka_unit_test(test_log_kv_quoted),
        cmocka_unit_test(test_log_kv_forgery),
        cmocka_unit_test(test_log_kv_truncation),
        cmocka_unit_test(test_log_level_parse),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_len),
        cmocka_unit_test(test_parse_i64),
        cmocka_unit_test(test_strcpy),
        cmocka_unit_test(test_clock_offset),
        cmocka_unit_test(test_sbuf_basic),
        cmocka_unit_test(test_sbuf_growth),
        cmocka_unit_test(test_sbuf_sticky_failure),
        cmocka_unit_test(test_secret_hash_verify),
        cmocka_unit_test(test_secret_sha256),
        cmocka_unit_test(test_secret_random),
        cmocka_unit_test(test_secret_equal),
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_flags),
        cmocka_unit_test(test_config_file_then_flags),
        cmocka_unit_test(test_config_bad_flags),
        cmocka_unit_test(test_config_bad_files),
        cmocka_unit_test(test_config_usage),
        cmocka_unit_test(test_workq_runs_everything),
    };
    return cmocka_run_group_tests_name("common", tests, group_setup, group_teardown);
}
