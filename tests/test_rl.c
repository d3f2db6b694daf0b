/* test_rl.c — the pieces of the RLVR loop that the end-to-end tests/test_rl.sh cannot see:
 * the dataset readers (gold answers of the four formats, the math instruction, error messages
 * naming line and field), the chat-template prompt, and the verifier reward. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rl_data.h"
#include "rl_loop.h"
#include "testlib.h"

static const char *write_tmp(const char *text) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/test_rl_%d.jsonl", (int)getpid());
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
    return path;
}

static void formats(void) {
    const char *p = write_tmp(
        "{\"question\": \"What is 2 plus 3?\", \"answer\": \"5\", \"data_source\": \"ours\"}\n"
        "{\"question\": \"Q2\", \"ref_answer\": \"\\\\frac{1}{2}\"}\n"
        "{\"question\": \"Q3\", \"answer\": \"2 + 2 = 4\\n#### 1,234\"}\n"
        "{\"prompt\": [{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"U\"}],"
        " \"reward_model\": {\"ground_truth\": 7}, \"data_source\": \"verl\"}\n");
    rl_dataset ds;
    svs_err err = {{0}};
    CHECK(rl_data_load(p, &ds, &err) == 0, "load: %s", err.msg);
    if (ds.n != 4) { CHECK(0, "expected 4 problems, got %zu", ds.n); return; }
    CHECK(!strcmp(ds.p[0].answer, "5") && !strcmp(ds.p[0].data_source, "ours"), "ours row");
    CHECK(!strcmp(ds.p[0].contents[0], "What is 2 plus 3?" RL_MATH_INSTRUCTION), "question + MP: %s", ds.p[0].contents[0]);
    CHECK(!strcmp(ds.p[1].answer, "\\frac{1}{2}") && !strcmp(ds.p[1].data_source, "unknown"), "ref_answer row");
    CHECK(!strcmp(ds.p[2].answer, "1,234"), "GSM8K gold: \"%s\"", ds.p[2].answer);
    CHECK(ds.p[3].n_msgs == 2 && !strcmp(ds.p[3].roles[0], "system") && !strcmp(ds.p[3].contents[1], "U"),
          "verl messages kept as given");
    CHECK(!strcmp(ds.p[3].answer, "7") && !strcmp(ds.p[3].data_source, "verl"), "verl ground truth");
    tok_tokenizer *tok = NULL;
    const char *tp = "golden/tokenizer/ours_tokenizer.json";
    if (tok_load(tp, &tok, &err) == 0) {
        CHECK(rl_data_encode(&ds, tok, TOK_CHAT_QWEN2_5, &err) == 0, "encode: %s", err.msg);
        char *text = NULL;
        size_t n;
        CHECK(tok_decode(tok, ds.p[0].ids, (size_t)ds.p[0].n_ids, 0, &text, &n, &err) == 0, "decode");
        const char *want = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
                           "assistant.<|im_end|>\n<|im_start|>user\nWhat is 2 plus 3?" RL_MATH_INSTRUCTION
                           "<|im_end|>\n<|im_start|>assistant\n";
        CHECK(text && !strcmp(text, want), "ChatML prompt: %s", text ? text : "(null)");
        free(text);
        tok_free(tok);
    } else CHECK(0, "%s: %s", tp, err.msg);
    rl_data_free(&ds);
}

static void bad(const char *line2, const char *want) {
    char buf[512];
    snprintf(buf, sizeof buf, "{\"question\": \"q\", \"answer\": \"1\"}\n%s\n", line2);
    const char *p = write_tmp(buf);
    rl_dataset ds;
    svs_err err = {{0}};
    int rc = rl_data_load(p, &ds, &err);
    CHECK(rc == -1 && strstr(err.msg, ":2: ") && strstr(err.msg, want), "bad line %s: rc %d, \"%s\"", line2, rc, err.msg);
}

static void rewards(void) {
    CHECK(rl_reward(RL_REWARD_VERIFY, "5", "2 + 3 = 5, so the answer is \\boxed{5}.", NULL, 0) == 1.0f, "boxed 5");
    CHECK(rl_reward(RL_REWARD_VERIFY, "5", "the answer is \\boxed{6}.", NULL, 0) == 0.0f, "boxed 6");
    CHECK(rl_reward(RL_REWARD_VERIFY, "\\frac{1}{2}", "\\boxed{0.5}", NULL, 0) == 1.0f, "1/2 = 0.5");
    int32_t ids[3] = {1, 2, 3}, odd[2] = {1, 2};
    CHECK(rl_reward(RL_REWARD_TEST_EVEN, "x", "", ids, 3) == 1.0f && rl_reward(RL_REWARD_TEST_EVEN, "x", "", odd, 2) == 0.0f,
          "test-even reward");
}

int main(void) {
    formats();
    bad("{\"question\": \"q\"}", "field \"answer\"");
    bad("{\"question\": 1, \"answer\": \"1\"}", "field \"question\"");
    bad("{\"question\": \"q\", \"answer\": []}", "field \"answer\"");
    bad("{\"prompt\": \"x\", \"reward_model\": {\"ground_truth\": \"1\"}}", "field \"prompt\"");
    bad("{\"prompt\": [{\"role\": \"user\", \"content\": \"x\"}], \"reward_model\": {}}", "field \"reward_model.ground_truth\"");
    bad("{\"question\": \"q\", \"answer\": \"1\", \"data_source\": 3}", "field \"data_source\"");
    bad("[1, 2]", "expected a JSON object");
    bad("{\"question\": ", "");
    rewards();
    unlink(write_tmp(""));
    return test_summary();
}
