/*
 * simtest.h - what the C tests against ccsim share: check.h, ccsim's admin API over a plain socket, a request helper and JSON field readers.
 * Header-only: each test program includes it once and sets addr.
 */
#ifndef CC_TESTS_SIMTEST_H
#define CC_TESTS_SIMTEST_H

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* addr is ccsim's host:port. */
static const char *addr;

/* admin posts JSON to ccsim's admin API with a plain socket; returns the
 * HTTP status and copies the body into out. */
static int admin_req(const char *method, const char *path, const char *body, char *out, size_t outlen) {
    char host[64];
    int port;
    if (sscanf(addr, "%63[^:]:%d", host, &port) != 2) return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { close(fd); return -1; }
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     method, path, addr, strlen(body), body);
    if (write(fd, req, n) != n) { close(fd); return -1; }
    char buf[8192];
    size_t got = 0;
    ssize_t r;
    while ((r = read(fd, buf + got, sizeof buf - 1 - got)) > 0) got += r;
    buf[got] = 0;
    close(fd);
    int status = 0;
    sscanf(buf, "HTTP/1.1 %d", &status);
    const char *b = strstr(buf, "\r\n\r\n");
    if (out && outlen) snprintf(out, outlen, "%s", b ? b + 4 : "");
    return status;
}

static int admin(const char *path, const char *body, char *out, size_t outlen) {
    return admin_req("POST", path, body, out, outlen);
}

static void field(const char *json, const char *key, char *out, size_t n) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    out[0] = 0;
    if (!p) return;
    p += strlen(pat);
    size_t i = 0;
    while (p[i] && p[i] != '"' && i + 1 < n) { out[i] = p[i]; i++; }
    out[i] = 0;
}

/* request sends a request and waits for its reply; the reply goes to
 * *reply (free with cc_string_free) or is freed when reply is NULL. */
__attribute__((unused)) static int request(cc_client_t *c, const char *json, char **reply) {
    char *r = NULL;
    int st = cc_client_request(c, json, 0, &r);
    if (reply) *reply = r; else cc_string_free(r);
    return st;
}

/* num reads a JSON number field of json (-1 when absent). */
__attribute__((unused)) static double num(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    return p ? atof(p + strlen(pat)) : -1;
}

/* wait_until waits up to ms for pred(arg), checked under mu whenever cv
 * is signalled (and every 20 ms); returns pred's last answer. */
__attribute__((unused)) static int wait_until(pthread_mutex_t *mu, pthread_cond_t *cv, int (*pred)(void *), void *arg, int ms) {
    double end = now_ms() + ms;
    pthread_mutex_lock(mu);
    while (!pred(arg) && now_ms() < end) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(cv, mu, &ts);
    }
    int ok = pred(arg);
    pthread_mutex_unlock(mu);
    return ok;
}

#endif
