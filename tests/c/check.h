/*
 * check.h - the C tests' CHECK and its counters, and two small helpers.
 * Header-only: each program includes it once (directly or through
 * simtest.h / hostile.h).
 */
#ifndef CC_TESTS_CHECK_H
#define CC_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>
#include <time.h>

__attribute__((unused)) static int passed, failed;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (cond) {                                                             \
            passed++;                                                           \
        } else {                                                                \
            failed++;                                                           \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

__attribute__((unused)) static int contains(const char *s, const char *part) { return s && strstr(s, part) != NULL; }

__attribute__((unused)) static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#endif
