/*
 * test_cli_text.c — the text the tools print about what they read: names
 * from files with their control characters escaped (cli_escape, cli_name),
 * and a JSON document that cannot be built because of a NaN or Inf reported
 * as such, not as "out of memory" (cli_json_real, cli_json_cause).
 */
#include <math.h>
#include <string.h>

#include "testutil.h"

#include "../../tools/cli.h"

static void test_escape(void **state)
{
    (void)state;
    char buf[64];
    cli_escape(buf, sizeof buf, "a\x1b[31mb\x07\nc\x7f.weight");
    assert_string_equal(buf, "a\\x1b[31mb\\x07\\x0ac\\x7f.weight");
    cli_escape(buf, sizeof buf, NULL);
    assert_string_equal(buf, "");
    /* cut short, never in the middle of an escape, always terminated */
    cli_escape(buf, 7, "ab\x1b\x1b");
    assert_string_equal(buf, "ab\\x1b");
    cli_escape(buf, 1, "abc");
    assert_string_equal(buf, "");
    /* UTF-8 passes through */
    assert_string_equal(cli_name("ΔW σ₁"), "ΔW σ₁");
    /* four names in one printf stay distinct */
    const char *n1 = cli_name("one\t"), *n2 = cli_name("two"), *n3 = cli_name("3"), *n4 = cli_name("4");
    assert_string_equal(n1, "one\\x09");
    assert_string_equal(n2, "two");
    assert_string_equal(n3, "3");
    assert_string_equal(n4, "4");
}

static void test_json_nonfinite(void **state)
{
    (void)state;
    json_t *ok = json_real(1.5);
    assert_non_null(ok);
    json_decref(ok);
    assert_int_equal(cli_json_cause(), RK_ENOMEM);   /* nothing non-finite seen yet */
    json_t *o = json_object();
    int bad = json_object_set_new(o, "x", json_real(NAN));   /* jansson: NULL for NaN */
    assert_true(bad != 0);
    json_decref(o);
    assert_int_equal(cli_json_cause(), RK_ENONFINITE);
    assert_int_equal(cli_json_print("svd", NULL), RK_EXIT_RUNTIME);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_json_nonfinite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
