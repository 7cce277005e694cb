"""rank_rules.py — the rank rules of lib/linalg/rankrule.h written again in
plain Python (no code shared with rankrule.c), for test_rules.sh and
test_extract_rules.sh: the rank a rule picks from the whole spectrum s
(non-increasing) of an m x n matrix, and budget:P's greedy ranks.
"""


def smallest(vals, want):
    acc = 0.0
    for r, v in enumerate(vals, 1):
        acc += v
        if acc >= want * (1 - 1e-12):
            return r
    return len(vals)


def rule_rank(rule, s, m, n):
    """The rank RULE picks for the whole spectrum s of an m x n matrix (budget aside)."""
    k = len(s)
    name, _, par = rule.partition(":")
    if name == "fixed":
        return min(int(par), k)
    if k == 0 or s[0] == 0:
        return 0
    sq = [x * x for x in s]
    if name == "energy":
        r = smallest(sq, float(par) * sum(sq))
    elif name == "sv_fro":
        r = smallest(sq, float(par) ** 2 * sum(sq))
    elif name == "sv_cumulative":
        r = smallest(s, float(par) * sum(s))
    elif name == "sv_ratio":
        r = sum(1 for x in s if x >= s[0] / float(par))
    elif name == "eps":
        r = sum(1 for x in s if x > float(par))
    elif name == "gd":
        asc = sorted(s)
        med = asc[k // 2] if k % 2 else (asc[k // 2 - 1] + asc[k // 2]) / 2
        b = k / max(m, n)
        r = sum(1 for x in s if x > (0.56 * b ** 3 - 0.95 * b ** 2 + 1.82 * b + 1.43) * med)
    else:
        raise ValueError(rule)
    return max(r, 1)


def budget_ranks(spectra, shapes, p, cap):
    """Greedy by sigma^2 / (m + n), ties by matrix then index; a refusal closes the matrix."""
    order = sorted(((-(x * x) / (m + n), j, i) for j, (s, (m, n)) in enumerate(zip(spectra, shapes))
                    for i, x in enumerate(s) if x > 0), key=lambda t: (t[0], t[1], t[2]))
    ranks, closed, spent = [0] * len(spectra), set(), 0
    for _, j, i in order:
        m, n = shapes[j]
        if j in closed or (cap and ranks[j] >= cap):
            continue
        if spent + m + n > p:
            closed.add(j)
            continue
        ranks[j] += 1
        spent += m + n
    return ranks, spent


def default_rules(s, m, n):
    """Every rule at its default parameter, as `ranklab svd --rules` shows them."""
    return {r: rule_rank(r, s, m, n) for r in ("energy:0.9", "sv_fro:0.9", "sv_cumulative:0.9", "sv_ratio:10", "gd")}
