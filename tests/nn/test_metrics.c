/*
 * test_metrics.c — confusion counts, accuracy, per-class accuracy, wrong
 * counts, the worst class and the accuracy on the other classes on
 * predictions made by hand.
 */
#include "testutil.h"

#include <math.h>
#include <string.h>

/*
 * 12 examples, 3 classes. By hand:
 *   truth 0: predicted 0 0 1 0      → row (3, 1, 0), accuracy 3/4
 *   truth 1: predicted 1 2 2 1 0    → row (1, 2, 2), accuracy 2/5
 *   truth 2: predicted 2 2 2        → row (0, 0, 3), accuracy 3/3
 *   overall 8/12; worst class 1 with 3 wrong.
 */
static const unsigned char truth[12] = { 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2 };
static const unsigned char pred[12] = { 0, 0, 1, 0, 1, 2, 2, 1, 0, 2, 2, 2 };

static void test_confusion_by_hand(void **state)
{
    (void)state;
    size_t counts[9] = { 0 };
    assert_status(rk_metrics_confusion_add(counts, 3, truth, pred, 12), RK_OK);
    const size_t want[9] = { 3, 1, 0, 1, 2, 2, 0, 0, 3 };
    assert_memory_equal(counts, want, sizeof want);
    assert_int_equal(rk_metrics_total(counts, 3), 12);
    assert_true(rk_metrics_accuracy(counts, 3) == 8.0 / 12.0);
    double acc[3];
    rk_metrics_per_class(counts, 3, acc);
    assert_true(acc[0] == 0.75 && acc[1] == 0.4 && acc[2] == 1.0);
    assert_int_equal(rk_metrics_class_wrong(counts, 3, 0), 1);
    assert_int_equal(rk_metrics_class_wrong(counts, 3, 1), 3);
    assert_int_equal(rk_metrics_class_wrong(counts, 3, 2), 0);
    size_t worst = 99;
    assert_status(rk_metrics_worst_class(counts, 3, &worst), RK_OK);
    assert_int_equal(worst, 1);
}

static void test_confusion_accumulates_in_batches(void **state)
{
    (void)state;
    size_t whole[9] = { 0 }, parts[9] = { 0 };
    assert_status(rk_metrics_confusion_add(whole, 3, truth, pred, 12), RK_OK);
    for (size_t i = 0; i < 12; i += 5)
        assert_status(rk_metrics_confusion_add(parts, 3, truth + i, pred + i, i + 5 <= 12 ? 5 : 12 - i), RK_OK);
    assert_memory_equal(whole, parts, sizeof whole);
    /* a label outside 0..K-1 adds nothing */
    unsigned char bad[2] = { 1, 3 };
    assert_status(rk_metrics_confusion_add(parts, 3, bad, pred, 2), RK_ERANGE);
    assert_status(rk_metrics_confusion_add(parts, 3, pred, bad, 2), RK_ERANGE);
    assert_memory_equal(whole, parts, sizeof whole);
}

static void test_empty_classes_and_ties(void **state)
{
    (void)state;
    size_t counts[16] = { 0 };
    assert_true(isnan(rk_metrics_accuracy(counts, 4)));
    size_t worst = 99;
    assert_status(rk_metrics_worst_class(counts, 4, &worst), RK_ENOTFOUND);
    assert_int_equal(worst, 99);
    /* class 0: 1/2, class 1: none, class 2: 1/2, class 3: 1/1 → tie 0 and 2, smallest wins */
    const unsigned char t[5] = { 0, 0, 2, 2, 3 }, p[5] = { 0, 3, 2, 1, 3 };
    assert_status(rk_metrics_confusion_add(counts, 4, t, p, 5), RK_OK);
    double acc[4];
    rk_metrics_per_class(counts, 4, acc);
    assert_true(acc[0] == 0.5 && isnan(acc[1]) && acc[2] == 0.5 && acc[3] == 1.0);
    assert_status(rk_metrics_worst_class(counts, 4, &worst), RK_OK);
    assert_int_equal(worst, 0);
    assert_true(rk_metrics_accuracy(counts, 4) == 3.0 / 5.0);
}

/* rk_eval_others_accuracy on the counts above: every class but c. */
static void test_others_accuracy(void **state)
{
    (void)state;
    size_t counts[9] = { 0 };
    double acc[3];
    assert_status(rk_metrics_confusion_add(counts, 3, truth, pred, 12), RK_OK);
    rk_metrics_per_class(counts, 3, acc);
    rk_eval ev = { .n_classes = 3, .n = 12, .correct = 8, .per_class = acc, .confusion = counts };
    assert_true(rk_eval_others_accuracy(&ev, 0) == 5.0 / 8.0);  /* (2 + 3) / (5 + 3) */
    assert_true(rk_eval_others_accuracy(&ev, 1) == 6.0 / 7.0);  /* (3 + 3) / (4 + 3) */
    assert_true(rk_eval_others_accuracy(&ev, 2) == 5.0 / 9.0);  /* (3 + 2) / (4 + 5) */
    assert_true(rk_eval_class_accuracy(&ev, 1) == 0.4);
    assert_true(isnan(rk_eval_others_accuracy(&ev, 3)) && isnan(rk_eval_others_accuracy(&ev, -1)));
    assert_true(isnan(rk_eval_others_accuracy(NULL, 0)));
    size_t one[4] = { 2, 1, 0, 0 };         /* 2 classes, class 1 without examples */
    rk_eval ev1 = { .n_classes = 2, .n = 3, .correct = 2, .confusion = one };
    assert_true(isnan(rk_eval_others_accuracy(&ev1, 0)));
    assert_true(rk_eval_others_accuracy(&ev1, 1) == 2.0 / 3.0);
    rk_eval none = { 0 };                   /* not evaluated */
    assert_true(isnan(rk_eval_others_accuracy(&none, 0)));
}

static void test_argmax(void **state)
{
    (void)state;
    const float logits[4 * 3] = {
        0.1f, 0.9f, -1.0f,   /* 1 */
        -5.0f, -6.0f, -4.5f, /* 2 */
        2.0f, 2.0f, 1.0f,    /* tie: first wins, 0 */
        -INFINITY, 0.0f, 0.0f, /* 1 */
    };
    unsigned char out[4];
    rk_metrics_argmax(logits, 4, 3, out);
    const unsigned char want[4] = { 1, 2, 0, 1 };
    assert_memory_equal(out, want, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_confusion_by_hand),
        cmocka_unit_test(test_confusion_accumulates_in_batches),
        cmocka_unit_test(test_empty_classes_and_ties),
        cmocka_unit_test(test_others_accuracy),
        cmocka_unit_test(test_argmax),
    };
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
