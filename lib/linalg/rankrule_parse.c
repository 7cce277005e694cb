/* rankrule_parse.c — rule strings "NAME:VALUE" ⇄ rk_rank_rule, with errors that name the rule. */
#include "linalg/rankrule.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FORMS "fixed:R, energy:F, sv_fro:F, sv_cumulative:F, sv_ratio:X, eps:E, gd, budget:P"

const char *rk_rule_forms(void)
{
    return FORMS;
}

/* What each rule's parameter is, for the messages. */
static const char *const wants[RK_RULE_COUNT_] = {
    "R, an integer >= 1 (the rank)",
    "F, a number in [0, 1] (the share of sum sigma_i^2 to keep)",
    "F, a number in [0, 1] (the share of ||dW||_F to keep)",
    "F, a number in [0, 1] (the share of sum sigma_i to keep)",
    "X, a number >= 1 (keep sigma_i >= sigma_1 / X)",
    "E, a number >= 0 (keep sigma_i > E)",
    "no parameter",
    "P, an integer >= 1 (parameters of all modules together)",
};

/* A whole string as a finite decimal number (no hex, inf or nan). */
static int parse_number(const char *s, double *out)
{
    if (!*s || strpbrk(s, "xXnN") || *s == ' ' || *s == '\t')
        return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

/* A whole string of decimal digits as an integer ≥ 1. */
static int parse_count(const char *s, size_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return 0;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno || v < 1 || v > (unsigned long long)SIZE_MAX)
        return 0;
    *out = (size_t)v;
    return 1;
}

static int in_range(rk_rule_kind kind, double v)
{
    switch (kind) {
    case RK_RULE_ENERGY:
    case RK_RULE_SV_FRO:
    case RK_RULE_SV_CUMULATIVE:
        return v >= 0 && v <= 1;
    case RK_RULE_SV_RATIO:
        return v >= 1;
    default: /* eps */
        return v >= 0;
    }
}

static rk_status parse_param(const char *text, rk_rule_kind kind, const char *arg, rk_rank_rule *r,
                             rk_err *err)
{
    const char *name = rk_rule_name(kind);
    if (kind == RK_RULE_GD) {
        if (arg)
            return rk_err_set(err, RK_EINVAL, "rule '%s': gd takes no parameter (write 'gd')", text);
        return RK_OK;
    }
    if (!arg || !*arg)
        return rk_err_set(err, RK_EINVAL, "rule '%s': %s needs a parameter, %s:%s", text, name, name,
                          wants[kind]);
    if (kind == RK_RULE_FIXED || kind == RK_RULE_BUDGET) {
        if (!parse_count(arg, &r->count))
            return rk_err_set(err, RK_EINVAL, "rule '%s': '%s' is not %s", text, arg, wants[kind]);
        return RK_OK;
    }
    if (!parse_number(arg, &r->param))
        return rk_err_set(err, RK_EINVAL, "rule '%s': '%s' is not a number; %s wants %s", text, arg,
                          name, wants[kind]);
    if (!in_range(kind, r->param))
        return rk_err_set(err, RK_EINVAL, "rule '%s': %s is out of range; %s wants %s", text, arg, name,
                          wants[kind]);
    return RK_OK;
}

rk_status rk_rule_parse(const char *text, rk_rank_rule *rule, rk_err *err)
{
    if (!text || !rule)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    const char *colon = strchr(text, ':');
    size_t len = colon ? (size_t)(colon - text) : strlen(text);
    rk_rule_kind kind = RK_RULE_COUNT_;
    for (int i = 0; i < RK_RULE_COUNT_; i++) {
        const char *name = rk_rule_name((rk_rule_kind)i);
        if (strlen(name) == len && !strncmp(text, name, len))
            kind = (rk_rule_kind)i;
    }
    if (kind == RK_RULE_COUNT_)
        return rk_err_set(err, RK_EINVAL, "unknown rank rule '%.*s'; the accepted forms are %s", (int)len,
                          text, FORMS);
    rk_rank_rule r = { .kind = kind };
    rk_status st = parse_param(text, kind, colon ? colon + 1 : NULL, &r, err);
    if (st == RK_OK)
        *rule = r;
    return st;
}
