/* seqlen_balance.h — verl's token-budget micro-batches (`use_dynamic_bsz=True`,
 * `ppo_max_token_len_per_gpu`): the Karmarkar–Karp (largest differencing) balanced partition and
 * the micro-batch split built on it, ported from verl 0.9.1 `verl/utils/seqlen_balancing.py`
 * (`karmarkar_karp`, `get_seqlen_balanced_partitions`, `rearrange_micro_batches`), with the
 * same tie-breaking, so the partitions are the same groups in the same order as verl's
 * (golden/gen_seqlen_balance.py, tests/test_seqlen_balance.c). Used by rl_update (ref/rl_loop.c;
 * docs/rl.md "Token-budget micro-batches"; spec/grpo-conventions.md §5.2,
 * spec/svs-algorithm.md §2.10 and Q12).
 *
 * A partition list is CSR-shaped: partition p holds idx[start[p] .. start[p+1]). */
#ifndef SVS_SEQLEN_BALANCE_H
#define SVS_SEQLEN_BALANCE_H

#include <stdint.h>

#include "common.h"

typedef struct seqlen_parts {
    int k;      /* number of partitions */
    int n;      /* number of items */
    int *start; /* [k + 1] */
    int *idx;   /* [n] item indices */
} seqlen_parts;

void seqlen_parts_free(seqlen_parts *p);

/* verl karmarkar_karp(vals, k, equal_size): partitions in KK's order (sets by decreasing sum,
 * items in merge order). equal_size needs n % k == 0. */
int seqlen_karmarkar_karp(const int64_t *vals, int n, int k, int equal_size, seqlen_parts *out, svs_err *err);

/* verl get_seqlen_balanced_partitions: the KK partitions with each one's indices sorted
 * ascending; errors (verl's asserts) if n < k or a partition is empty. */
int seqlen_balanced_partitions(const int64_t *vals, int n, int k, int equal_size, seqlen_parts *out,
                               svs_err *err);

/* verl 0.9.1 rearrange_micro_batches(batch, max_token_len) for one rank (no DP group, no
 * virtual-pipeline rounding, no minimum count, force_group_size 1): lens[i] = row i's
 * prompt + response tokens (attention_mask.sum). k = min(n, ceil(Σ lens / max_token_len)),
 * partition of the workloads 24576·len + len², k raised by one until every micro-batch's token
 * sum is within the budget, then (balance != 0, verl's default use_dynamic_bsz_balance) the
 * micro-batches ordered by workload. Error when a row alone exceeds the budget. */
int seqlen_rearrange(const int *lens, int n, int64_t max_token_len, int balance, seqlen_parts *out,
                     svs_err *err);

/* The older verl of the SvS fork (spec/svs-algorithm.md §2.10): k = min(n, ceil(Σ lens /
 * max_token_len)), one balanced partition of the token counts themselves, in KK's order (a
 * micro-batch may exceed the budget). */
int seqlen_rearrange_by_length(const int *lens, int n, int64_t max_token_len, seqlen_parts *out,
                               svs_err *err);

/* Fixed-size micro-batches: ceil(n / rows) partitions of consecutive indices (verl's
 * use_dynamic_bsz=False split). */
int seqlen_fixed_rows(int n, int rows, seqlen_parts *out, svs_err *err);

#endif
