/* verify_num.h — arbitrary-precision integers and rationals for the exact step of the value
 * comparison (spec/verifier.md §6.4 rule 1), with the work limits of §6.5.
 *
 * A vbig is a sign and a little-endian array of base-10^9 limbs (schoolbook algorithms:
 * Knuth, TAOCP vol. 2, §4.3.1). A vrat is a reduced fraction num/den with den > 0. The limbs are
 * malloc'd (not arena): Euclid's gcd and repeated squaring create many short-lived values.
 * Every variable must be vbig_init / vrat_init'ed and later vbig_free / vrat_free'd; results
 * may alias operands (each operation computes into a temporary and swaps it in).
 *
 * Every operation charges its limb operations to ctx->limb_ops and checks the limits BEFORE it
 * works (sizes are estimated first):
 *   VNUM_TOOBIG  a size limit (20,000 digits per value, |n| <= 10,000 for a^n, n <= 5,000 for
 *                n!, n <= 10,000 for binomials): the subtree is "inexact"; numeric evaluation
 *                may still decide (§6.5). ctx->limit names the limit.
 *   VNUM_ABORT   5e7 limb operations per call, or out of memory: the comparison is UNDECIDED.
 *   VNUM_DOMAIN  no rational value (division by zero, (-1)!, a non-integer factorial).
 *   VNUM_NOTRAT  (used by the evaluator) the tree is not built from rational operations. */
#ifndef SVS_VERIFY_NUM_H
#define SVS_VERIFY_NUM_H

#include <stddef.h>
#include <stdint.h>

#include "verify_dd.h"
#include "verify_internal.h"

typedef enum { VNUM_OK = 0, VNUM_NOTRAT, VNUM_DOMAIN, VNUM_TOOBIG, VNUM_ABORT } vnum_status;

#define VBIG_BASE 1000000000u /* 10^9 per limb */

typedef struct vbig {
    uint32_t *d; /* limbs, least significant first; n == 0 means zero */
    size_t n, cap;
    int neg;     /* 1 if negative (never for zero) */
} vbig;

typedef struct vrat {
    vbig num, den; /* gcd(num, den) = 1, den > 0 */
} vrat;

void vbig_init(vbig *a);
void vbig_free(vbig *a);
void vbig_swap(vbig *a, vbig *b);
int vbig_is_zero(const vbig *a);
size_t vbig_digits(const vbig *a);                        /* decimal digits of |a| (1 for 0) */
int vbig_set_i64(verify_ctx *ctx, vbig *r, int64_t v);
int vbig_copy(verify_ctx *ctx, vbig *r, const vbig *a);
int vbig_to_i64(const vbig *a, int64_t *v);               /* 1 if |a| < 2^62 */
int vbig_cmp(const vbig *a, const vbig *b);
int vbig_cmp_abs(const vbig *a, const vbig *b);
int vbig_add(verify_ctx *ctx, vbig *r, const vbig *a, const vbig *b);
int vbig_sub(verify_ctx *ctx, vbig *r, const vbig *a, const vbig *b);
int vbig_mul(verify_ctx *ctx, vbig *r, const vbig *a, const vbig *b);
int vbig_muladd_small(verify_ctx *ctx, vbig *r, uint32_t m, uint32_t add); /* r = r*m + add */
/* Truncated division: q = trunc(a/b), rem = a - q b (sign of a). q or rem may be NULL. */
int vbig_divmod(verify_ctx *ctx, vbig *q, vbig *rem, const vbig *a, const vbig *b);
int vbig_gcd(verify_ctx *ctx, vbig *r, const vbig *a, const vbig *b);   /* >= 0 */
int vbig_pow(verify_ctx *ctx, vbig *r, const vbig *a, uint32_t n);
int vbig_fact(verify_ctx *ctx, vbig *r, int64_t n);
int vbig_binom(verify_ctx *ctx, vbig *r, int64_t n, int64_t k);
/* Digits of one number in base 2..36 (0-9, a-z, A-Z); DOMAIN on a digit >= base. */
int vbig_from_digits(verify_ctx *ctx, vbig *r, const char *s, size_t n, int base);
vwd vbig_to_wd(const vbig *a);                            /* nearest wide double-double */

void vrat_init(vrat *r);
void vrat_free(vrat *r);
int vrat_set_i64(verify_ctx *ctx, vrat *r, int64_t v);
int vrat_copy(verify_ctx *ctx, vrat *r, const vrat *a);
int vrat_is_int(const vrat *a);
int vrat_is_zero(const vrat *a);
int vrat_sign(const vrat *a);
int vrat_equal(const vrat *a, const vrat *b);             /* both reduced */
int vrat_cmp(verify_ctx *ctx, const vrat *a, const vrat *b, int *out); /* *out = -1, 0, +1 */
void vrat_neg(vrat *r);
void vrat_abs(vrat *r);
int vrat_add(verify_ctx *ctx, vrat *r, const vrat *a, const vrat *b);
int vrat_sub(verify_ctx *ctx, vrat *r, const vrat *a, const vrat *b);
int vrat_mul(verify_ctx *ctx, vrat *r, const vrat *a, const vrat *b);
int vrat_div(verify_ctx *ctx, vrat *r, const vrat *a, const vrat *b);   /* DOMAIN if b == 0 */
int vrat_pow(verify_ctx *ctx, vrat *r, const vrat *a, int64_t n);       /* n may be < 0 */
int vrat_floor(verify_ctx *ctx, vrat *r, const vrat *a);
int vrat_pow10(verify_ctx *ctx, vrat *r, int64_t k);                    /* 10^k, k may be < 0 */
/* "0.0000672", "12.50", "123" -> exact value; DOMAIN if the text is not digits[.digits]. */
int vrat_parse_decimal(verify_ctx *ctx, vrat *r, const char *s);
/* Rounds to `places` decimals, halves away from zero. */
int vrat_round(verify_ctx *ctx, vrat *r, const vrat *a, int places);
vwd vrat_to_wd(const vrat *a);

#endif
