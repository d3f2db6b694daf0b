/* cmd_convert.c — `svs convert`: writes any checkpoint svs can load (an HF folder, a sharded
 * index, a .safetensors file, or a GGUF with quantized weights) as an HF folder: config.json +
 * model.safetensors in F32, which HF transformers loads with from_pretrained. A GGUF's Llama
 * Q/K rows are already in the HF layout after loading (docs/checkpoints.md). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_model.h"
#include "model/model_config.h"
#include "model/tensorset.h"

static const char *HELP =
    "usage: svs convert --model PATH --out DIR\n\n"
    "Loads PATH (HF folder with config.json + model.safetensors or a sharded index, a\n"
    ".safetensors file beside its config.json, or a .gguf file: F32/F16/BF16/Q8_0/Q4_0/Q4_1,\n"
    "dequantized) and writes DIR/config.json + DIR/model.safetensors (F32), which HF\n"
    "transformers loads with AutoModelForCausalLM.from_pretrained(DIR). DIR is created if needed.\n";

static void write_text(const char *path, const char *text, size_t n) {
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) cli_die("%s: cannot create", tmp);
    if (fwrite(text, 1, n, f) != n || fclose(f) != 0) cli_die("%s: write error", tmp);
    if (rename(tmp, path) != 0) cli_die("%s: cannot rename to %s", tmp, path);
}

int cmd_convert(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) { fputs(HELP, stdout); return 0; }
        else if (!strcmp(argv[i], "--model")) in = cli_value(argc, argv, &i);
        else if (!strcmp(argv[i], "--out")) out = cli_value(argc, argv, &i);
        else cli_die("convert: unknown option \"%s\" (svs convert --help)", argv[i]);
    }
    if (!in || !out) cli_die("convert: --model and --out are required (svs convert --help)");
    if (strlen(out) > 4000) cli_die("convert: --out path too long");
    model *m = cli_load_model(in);
    if (mkdir(out, 0755) != 0) {
        struct stat st;
        if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode)) cli_die("%s: cannot create the directory", out);
    }
    svs_err err = {{0}};
    tensorset ts;
    tensorset_init(&ts);
    svs_buf cfg = {0};
    char path[4200];
    if (model_to_tensorset(m, &ts, &err)) cli_die_err(&err);
    snprintf(path, sizeof path, "%s/model.safetensors", out);
    const char *meta[] = {"format", "pt"}; /* transformers expects format=pt */
    if (safetensors_write(path, &ts, meta, 1, SAFETENSORS_SORTED, &err)) cli_die_err(&err);
    if (model_config_to_json(&m->cfg, &cfg, &err)) cli_die_err(&err);
    snprintf(path, sizeof path, "%s/config.json", out);
    write_text(path, cfg.data, cfg.len);
    fprintf(stderr, "svs convert: wrote %s/config.json and %s/model.safetensors (%zu tensors)\n", out, out, ts.n);
    svs_buf_free(&cfg);
    tensorset_free(&ts);
    model_free(m);
    return 0;
}
