/*
 * hostile.h - helpers of the C reliability test and bench to read
 * cchostile's counters (GET /stats) over a plain socket. Header-only: each
 * program includes it once.
 */
#ifndef CC_TESTS_HOSTILE_H
#define CC_TESTS_HOSTILE_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"


/* hostile_get fetches path from cchostile at hostport into out (the body). */
static int hostile_get(const char *hostport, const char *path, char *out, size_t outlen) {
    char host[64];
    int port;
    if (sscanf(hostport, "%63[^:]:%d", host, &port) != 2) return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { close(fd); return -1; }
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, hostport);
    if (write(fd, req, n) != n) { close(fd); return -1; }
    char buf[4096];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0) got += r;
    buf[got] = 0;
    close(fd);
    const char *b = strstr(buf, "\r\n\r\n");
    snprintf(out, outlen, "%s", b ? b + 4 : "");
    return 0;
}

/* hostile_stat reads one counter of GET /stats (-1 when unreadable). */
static long hostile_stat(const char *hostport, const char *key) {
    char body[1024], pat[64];
    if (hostile_get(hostport, "/stats", body, sizeof body) != 0) return -1;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(body, pat);
    return p ? atol(p + strlen(pat)) : -1;
}

#endif
