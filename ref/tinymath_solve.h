/* tinymath_solve.h — a solver for the tiny-math world: reads a question written in any of the
 * generator's templates (ref/tinymath_families.c) and computes its exact answer from the text
 * alone, in the generator's answer format ("14", "-3", "\frac{5}{6}", "-\frac{1}{6}").
 *
 * It is used to audit synthesis (`svs tinymath --audit-trace`): does the new problem a model
 * wrote really have the answer of the solution it was given? (data/tiny/README.md, "Solving and
 * auditing tiny-math problems").
 *
 * Rule for texts that are not tiny-math problems: the solver never guesses. A text that matches
 * no template, or matches one but is inconsistent, is "not recognized" (0). Inconsistent means:
 *   - a word problem whose sentences change the person or the items ("Ben has 14 coins. Amy
 *     sells 6 eggs."), name a helper equal to the person, use a name or item outside the
 *     generator's lists, give away more than the person has, share a count that does not divide
 *     exactly, share before the last step, or ask "each friend" without a sharing step;
 *   - a sequence whose shown terms are not arithmetic (constant difference), or "term 0";
 *   - a linear equation where x cancels out; a division by zero; a price going down by > 100%;
 *   - an expression with no operator at all ("What is 59?" states its answer: not a problem);
 *   - any number above TM_SOLVE_NUM_MAX, or an intermediate result that overflows;
 *   - a text longer than TM_SOLVE_TEXT_MAX characters.
 * Leading and trailing whitespace is ignored; everything else must match a template exactly
 * (spaces and punctuation included). The arithmetic and fraction templates accept any
 * expression over integers with + - * / and parentheses (the generator writes a subset). */
#ifndef SVS_TINYMATH_SOLVE_H
#define SVS_TINYMATH_SOLVE_H

#include <stddef.h>

#include "tinymath.h"

#define TM_SOLVE_TEXT_MAX 1000        /* longer texts are not recognized */
#define TM_SOLVE_NUM_MAX 1000000000LL /* larger numbers in the text are not recognized */

/* Solves `question`. Returns 1 and writes the answer into answer[cap] (and the family into
 * *family when family != NULL) when the text is a tiny-math problem; 0 when it is not
 * (answer = ""); -1 on an invalid call (NULL question or answer, or cap too small for the
 * answer: TM_ANSWER_MAX is always enough). */
int tm_solve(const char *question, char *answer, size_t cap, tm_family *family);

#endif
