/**
 * @file
 * @ingroup core
 * rng.h — a seedable random number generator with explicit state.
 *
 * There is no global generator: every function that draws random numbers
 * takes an rk_rng*. The generator is xoshiro256** (Blackman & Vigna), seeded
 * through splitmix64, so any 64-bit seed gives a well-mixed state and the
 * same seed gives the same stream on every machine.
 */
#ifndef RK_CORE_RNG_H
#define RK_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Generator state. Copy it to fork a stream; never share one across threads. */
typedef struct rk_rng {
    uint64_t s[4];      /**< xoshiro256** state, never all zero */
    double spare;       /**< second normal deviate of the last polar pair */
    int has_spare;      /**< 1 when spare is valid */
} rk_rng;

/** Seed @p rng from @p seed (any value, 0 included). */
void rk_rng_seed(rk_rng *rng, uint64_t seed);

/** Next 64 uniformly distributed bits. */
uint64_t rk_rng_u64(rk_rng *rng);

/** Uniform double in [0, 1), 53 random bits. */
double rk_rng_uniform(rk_rng *rng);

/** Uniform double in [lo, hi). */
double rk_rng_uniform_range(rk_rng *rng, double lo, double hi);

/** Standard normal N(0, 1) deviate (Marsaglia's polar method). */
double rk_rng_normal(rk_rng *rng);

/** Uniform integer in [0, n) without modulo bias; 0 when n is 0. */
uint64_t rk_rng_below(rk_rng *rng, uint64_t n);

/** Fisher–Yates shuffle of @p n indices in place. */
void rk_rng_shuffle(rk_rng *rng, size_t *idx, size_t n);

#ifdef __cplusplus
}
#endif

#endif
