/* test_ops_on_opt.c — the reference's own op test (tests/test_ops.c: finite differences against
 * a double re-implementation, the hand vectors, KV cache vs full attention, RoPE by hand) run
 * on the opt backend, with the reference's thresholds (tighter than test_ops_opt.c's NMSE
 * limits: each is a max error relative to the tensor's largest entry). opt registers itself
 * from a constructor in opt/ops_opt.c; $SVS_OPS_BACKEND still overrides the backend. */
#define TEST_OPS_BACKEND "opt"
#include "test_ops.c"
