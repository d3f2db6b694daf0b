/* cli_backend.c — `--backend ref|opt`, `--gemm openblas|onednn` and `--threads N` for every
 * command that runs the model. The optimized backend (opt/) is linked in when the build found
 * OpenBLAS (SVS_HAVE_OPT); it registers itself in the ops registry of ref/ops.h here, and is
 * the default when built. ref/ never includes opt/: only this CLI file does. */
#include <stdlib.h>
#include <string.h>

#include "cli_model.h"
#include "ops.h"
#ifdef SVS_HAVE_OPT
#include "ops_opt.h"
#endif

int cli_backend_option(int argc, char **argv, int *i, cli_backend_opts *o) {
    const char *a = argv[*i];
    if (!strcmp(a, "--backend")) o->backend = cli_value(argc, argv, i);
    else if (!strcmp(a, "--gemm")) o->gemm = cli_value(argc, argv, i);
    else if (!strcmp(a, "--threads")) o->threads = (int)cli_int(a, cli_value(argc, argv, i), 1, 4096);
    else return 0;
    return 1;
}

void cli_backend_apply(model *m, const cli_backend_opts *o) {
    const char *name = o->backend;
#ifdef SVS_HAVE_OPT
    svs_err err = {{0}};
    if (ops_opt_register() < 0) cli_die("cannot register the opt backend");
    if (!name) name = "opt"; /* the default when built */
    if (o->gemm && ops_opt_set_gemm(o->gemm, &err)) cli_die("option --gemm: %s", err.msg);
    if (o->threads && ops_opt_set_threads(o->threads, &err)) cli_die("option --threads: %s", err.msg);
#else
    if (!name) name = "ref";
    if (o->gemm) cli_die("option --gemm: this build has no opt backend (install libopenblas-openmp-dev and rebuild)");
    if (o->threads > 1) cli_die("option --threads: this build has only the single-threaded ref backend");
#endif
    const ops_table *t = ops_find(name);
    if (!t) cli_die("option --backend: unknown backend \"%s\" (this build has: ref%s)", name,
#ifdef SVS_HAVE_OPT
                    ", opt"
#else
                    ""
#endif
    );
    m->ops = t;
}
