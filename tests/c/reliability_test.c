/*
 * reliability_test.c - regression tests of the C ABI against a hostile server
 * (cmd/cchostile): use after free of async user_data, the event callback's
 * replacement, free while a handshake is stalled, async_max, statuses of
 * HTTP and TLS failures, secrets, UTF-8, and the poll queue's accounting.
 * Run by tests/c/run.sh under AddressSanitizer: a callback touching freed
 * user_data aborts the run. HOSTILE_ADDR and HOSTILE_TLS_ADDR name cchostile.
 * Prints "N passed, N failed" last.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cloudcc.h"
#include "hostile.h"

static const char *addr, *tls_addr;


/* valid_utf8 checks s is well-formed UTF-8 (no overlongs, no surrogates). */
static int valid_utf8(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = 0;
        unsigned c = *p;
        if (c < 0x80) { p++; continue; }
        if (c >= 0xc2 && c <= 0xdf) n = 1;
        else if (c >= 0xe0 && c <= 0xef) n = 2;
        else if (c >= 0xf0 && c <= 0xf4) n = 3;
        else return 0;
        unsigned cp = c & (0x3f >> n);
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        p += n + 1;
    }
    return 1;
}

static long stat_of(const char *key) { return hostile_stat(addr, key); }

/* wait_stat waits (bounded) until a counter of cchostile reaches min. */
static int wait_stat(const char *key, long min, int timeout_ms) {
    double end = now_ms() + timeout_ms;
    while (now_ms() < end) {
        if (stat_of(key) >= min) return 1;
        usleep(2000);
    }
    return 0;
}

/* a port nothing listens on */
static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t len = sizeof sa;
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

/* client_for makes a client; its configured token lets requests go before a
 * check-in (the session refuses them locally without one). */
static cc_client_t *client_for(const char *ws_url, const char *extra) {
    char cfg[2048];
    snprintf(cfg, sizeof cfg,
             "{\"ws_url\":\"%s\",\"company_code\":\"c1\",\"agent_id\":\"c1_1\",\"ext_id\":\"c1_1\",\"language\":\"en-US\","
             "\"heartbeat_interval_ms\":-1,\"log_level\":\"off\",\"token\":\"cfg-token-0042\"%s%s}",
             ws_url, extra && extra[0] ? "," : "", extra ? extra : "");
    cc_client_t *c = NULL;
    char *err = NULL;
    int st = cc_client_new(cfg, &c, &err);
    if (st != CC_OK) fprintf(stderr, "cc_client_new %s: %d %s\n", cfg, st, err ? err : "");
    cc_string_free(err);
    return c;
}

/* ---- 1. async reply vs cc_client_free: user_data freed after free ---- */

typedef struct {
    uint32_t magic;
    atomic_int calls;
} async_ud;

static void CC_CALLBACK on_async(void *ud, int st, const char *json) {
    async_ud *u = ud;
    (void)st;
    (void)json;
    /* After cc_client_free returned, u is freed: ASan aborts right here. */
    if (u->magic != 0xC0FFEE) abort();
    atomic_fetch_add(&u->calls, 1);
}

static void test_async_then_free(void) {
    char refused[128], echo[256];
    snprintf(refused, sizeof refused, "ws://127.0.0.1:%d/ws", closed_port());
    snprintf(echo, sizeof echo, "ws://%s/echo", addr);
    int ran_once = 0, tries = 2000;
    for (int i = 0; i < tries; i++) {
        cc_client_t *c = client_for(i % 2 ? echo : refused, "\"reconnect\":false");
        async_ud *u = malloc(sizeof *u);
        u->magic = 0xC0FFEE;
        atomic_init(&u->calls, 0);
        int st = cc_client_request_async(c, "{\"msg_type\":\"ping\"}", 2000, on_async, u);
        cc_client_free(c);
        int calls = atomic_load(&u->calls);
        if (st == CC_OK && calls == 1) ran_once++;
        else if (ran_once == i) fprintf(stderr, "try %d: submit %d, %d callbacks before free returned\n", i, st, calls);
        u->magic = 0;
        free(u); /* the header says free waited for the callback */
    }
    CHECK(ran_once == tries, "the reply callback ran exactly once before cc_client_free returned in %d of %d tries",
          ran_once, tries);
}

/* ---- 2. free while the WebSocket handshake is stalled ---- */

static void test_free_during_stalled_handshake(void) {
    char url[256];
    snprintf(url, sizeof url, "ws://%s/stall", addr);
    double worst = 0, total = 0;
    const int n = 5;
    for (int i = 0; i < n; i++) {
        long before = stat_of("stalled");
        cc_client_t *c = client_for(url, "\"dial_timeout_ms\":20000");
        async_ud *u = malloc(sizeof *u);
        u->magic = 0xC0FFEE;
        atomic_init(&u->calls, 0);
        CHECK(cc_client_request_async(c, "{\"msg_type\":\"ping\"}", 30000, on_async, u) == CC_OK, "submit");
        CHECK(wait_stat("stalled", before + 1, 5000), "the handshake reached the stalling server");
        double t0 = now_ms();
        cc_client_free(c);
        double took = now_ms() - t0;
        total += took;
        if (took > worst) worst = took;
        CHECK(atomic_load(&u->calls) == 1, "the pending request's callback ran before free returned");
        free(u);
    }
    printf("free during a stalled handshake (dial_timeout_ms 20000): mean %.1f ms, worst %.1f ms over %d\n", total / n,
           worst, n);
    CHECK(worst < 2000, "cc_client_free took %.0f ms with a stalled handshake (dial timeout 20 s)", worst);
}

/* ---- 3. async_max ---- */

static void test_async_max(void) {
    char url[256];
    snprintf(url, sizeof url, "ws://%s/stall", addr);
    cc_client_t *c = client_for(url, "\"async_max\":5,\"dial_timeout_ms\":20000");
    async_ud *u = malloc(sizeof *u);
    u->magic = 0xC0FFEE;
    atomic_init(&u->calls, 0);
    for (int i = 0; i < 5; i++) CHECK(cc_client_request_async(c, "{\"msg_type\":\"ping\"}", 30000, on_async, u) == CC_OK, "submit %d", i);
    CHECK(cc_client_request_async(c, "{\"msg_type\":\"ping\"}", 30000, on_async, u) == CC_ERR_BUSY, "the 6th is refused");
    CHECK(strcmp(cc_status_str(CC_ERR_BUSY), "CC_ERR_BUSY") == 0 && strcmp(cc_status_str(CC_ERR_TLS), "CC_ERR_TLS") == 0,
          "status names");
    cc_client_free(c);
    CHECK(atomic_load(&u->calls) == 5, "5 callbacks before free returned: %d", atomic_load(&u->calls));
    free(u);
}

/* ---- 4. replacing the event callback ---- */

typedef struct {
    uint32_t magic;
    atomic_long calls;
} event_ud;

static void CC_CALLBACK on_event_slow(void *ud, const char *json) {
    event_ud *e = ud;
    (void)json;
    if (e->magic != 0xE7E7) abort(); /* freed user_data: ASan aborts first */
    atomic_fetch_add(&e->calls, 1);
    usleep(50); /* widen the window a replacement races with */
}

typedef struct {
    cc_client_t *c;
    event_ud *next;
    atomic_int swapped;
} self_swap;

static void CC_CALLBACK on_event_swap_self(void *ud, const char *json) {
    self_swap *s = ud;
    (void)json;
    /* Replacing itself from inside: must not wait for itself. */
    if (!atomic_exchange(&s->swapped, 1)) cc_client_set_event_callback(s->c, on_event_slow, s->next);
}

static void test_replace_event_callback(void) {
    char url[256];
    snprintf(url, sizeof url, "ws://%s/echo?events=300000&size=64", addr);
    cc_client_t *c = client_for(url, NULL);
    event_ud *cur = malloc(sizeof *cur);
    cur->magic = 0xE7E7;
    atomic_init(&cur->calls, 0);
    cc_client_set_event_callback(c, on_event_slow, cur);
    char *rep = NULL;
    CHECK(cc_client_request(c, "{\"msg_type\":\"ping\"}", 5000, &rep) == CC_OK, "ping starts the flood: %s", rep);
    cc_string_free(rep);
    long total = 0;
    int swaps = 0;
    double end = now_ms() + 3000;
    while (now_ms() < end && swaps < 2000) {
        long seen = atomic_load(&cur->calls);
        if (seen == 0) { usleep(100); continue; } /* until this pair has been called */
        event_ud *next = malloc(sizeof *next);
        next->magic = 0xE7E7;
        atomic_init(&next->calls, 0);
        cc_client_set_event_callback(c, on_event_slow, next);
        total += atomic_load(&cur->calls);
        cur->magic = 0;
        free(cur); /* promised: no call of the old pair runs or starts now */
        cur = next;
        swaps++;
    }
    CHECK(swaps > 100, "%d replacements while events flowed (%ld events to replaced pairs)", swaps, total);
    printf("event callback replaced %d times under a flood; no call reached a freed user_data\n", swaps);

    self_swap *s = calloc(1, sizeof *s);
    s->c = c;
    s->next = malloc(sizeof *s->next);
    s->next->magic = 0xE7E7;
    atomic_init(&s->next->calls, 0);
    cc_client_set_event_callback(c, on_event_swap_self, s);
    double deadline = now_ms() + 5000;
    while (atomic_load(&s->next->calls) == 0 && now_ms() < deadline) usleep(1000);
    CHECK(atomic_load(&s->swapped) && atomic_load(&s->next->calls) > 0, "a callback replaced itself from inside");
    cc_client_free(c);
    free(cur);
    free(s->next);
    free(s);
}

/* ---- 5. statuses: HTTP refused, TLS, and the TLS settings on https ---- */

static void test_statuses(void) {
    char cfg[512], *rep = NULL;
    snprintf(cfg, sizeof cfg, "\"http_url\":\"http://127.0.0.1:%d\"", closed_port());
    cc_client_t *c = client_for("ws://127.0.0.1:1/ws", cfg);
    int st = cc_client_http(c, "get-skill-service-list", NULL, 3000, &rep);
    CHECK(st == CC_ERR_NOT_CONNECTED && contains(rep, "\"code\":\"-4\""), "HTTP to a closed port: %d %s", st, rep);
    cc_string_free(rep);
    cc_client_free(c);

    /* https with a certificate nobody trusts, ws:// for the CTI link */
    snprintf(cfg, sizeof cfg, "\"http_url\":\"https://%s/http/forbidden\"", tls_addr);
    c = client_for("ws://127.0.0.1:1/ws", cfg);
    st = cc_client_http(c, "get-token", "{\"agent_pwd\":\"pw-123456\"}", 3000, &rep);
    CHECK(st == CC_ERR_TLS && contains(rep, "\"code\":\"-9\""), "untrusted certificate: %d %s", st, rep);
    cc_string_free(rep);
    cc_client_free(c);

    /* tls_insecure applies to it even though ws_url is ws:// ; the server
     * refuses with HTTP 200 {"code":403,"message":...} */
    snprintf(cfg, sizeof cfg, "\"http_url\":\"https://%s/http/forbidden\",\"tls_insecure\":true", tls_addr);
    c = client_for("ws://127.0.0.1:1/ws", cfg);
    st = cc_client_http(c, "get-token", "{\"agent_pwd\":\"pw-123456\"}", 3000, &rep);
    CHECK(st == CC_OK && contains(rep, "\"code\":\"403\"") && contains(rep, "\"msg\":\"鉴权不通过!\""),
          "403 refusal over https with tls_insecure: %d %s", st, rep);
    cc_string_free(rep);
    cc_client_free(c);

    /* wss:// to the same server: the CTI link fails on TLS too */
    char url[256];
    snprintf(url, sizeof url, "wss://%s/echo", tls_addr);
    c = client_for(url, "\"reconnect\":false");
    st = cc_client_request(c, "{\"msg_type\":\"ping\"}", 3000, &rep);
    CHECK(st == CC_ERR_TLS && contains(rep, "\"code\":\"-9\""), "wss with an untrusted certificate: %d %s", st, rep);
    cc_string_free(rep);
    cc_client_free(c);
}

/* ---- 6. secrets ---- */

#define PWD "Agent-Pwd-4242"
#define TOKEN "0123456789abcdef0123456789abcdef" /* cchostile's */
#define EXTPWD "Ext-Secret-9876"                 /* cchostile's */

static int leaks(const char *s) { return contains(s, PWD) || contains(s, TOKEN) || contains(s, EXTPWD); }

static void test_secrets(void) {
    char url[256], cfg[512], *rep = NULL, *ev = NULL;
    /* request 3 is dropped: the link comes back and the session is restored */
    snprintf(url, sizeof url, "ws://%s/echo?echo_secret=1&drop_every=3", addr);
    snprintf(cfg, sizeof cfg, "\"http_url\":\"http://%s/http/echo-page\",\"log_level\":\"trace\","
             "\"reconnect_min_ms\":10,\"reconnect_max_ms\":50", addr);
    cc_client_t *c = client_for(url, cfg);
    int st = cc_client_request(c, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"" PWD "\"}", 5000, &rep);
    CHECK(st == CC_OK && contains(rep, "\"token\":\"" TOKEN "\"") && contains(rep, "\"ext_pwd\":\"" EXTPWD "\""),
          "checkin's reply hands over token and ext_pwd: %s", rep);
    /* ...in its documented fields only: not in msg, raw, or the echo */
    const char *raw = rep ? strstr(rep, "\"raw\"") : NULL;
    CHECK(raw && !leaks(raw) && !contains(rep, PWD), "raw and msg redacted: %s", rep);
    cc_string_free(rep);
    CHECK(cc_client_request(c, "{\"msg_type\":\"ping\"}", 5000, &rep) == CC_OK, "ping");
    cc_string_free(rep);
    st = cc_client_request(c, "{\"msg_type\":\"ping\"}", 5000, &rep); /* dropped: CONNECTION_LOST */
    CHECK(st == CC_ERR_CONNECTION_LOST, "dropped ping: %d %s", st, rep);
    cc_string_free(rep);
    /* HTTP error pages that echo the password and the token */
    st = cc_client_http(c, "get-token", "{\"agent_pwd\":\"" PWD "\"}", 3000, &rep);
    CHECK(st == CC_ERR_HTTP && contains(rep, "\"http_status\":500") && !leaks(rep), "HTTP 500 echo page: %d %s", st, rep);
    cc_string_free(rep);
    st = cc_client_http(c, "get-skill-service-list", NULL, 3000, &rep);
    CHECK(st == CC_ERR_HTTP && !leaks(rep), "HTTP 500 page echoing SDK-TOKEN: %d %s", st, rep);
    cc_string_free(rep);
    /* Every event, log lines at trace level (frames) included. */
    int n = 0, restored = 0, leaked = 0, notices = 0;
    double end = now_ms() + 10000;
    while (now_ms() < end && !restored) {
        if (cc_client_poll_event(c, 200, &ev) != CC_OK) continue;
        n++;
        if (leaks(ev)) {
            leaked++;
            fprintf(stderr, "secret in event: %s\n", ev);
        }
        if (contains(ev, "\"msg_type\":\"session_restored\"")) restored = 1;
        if (contains(ev, "\"msg_type\":\"notice\"")) notices++;
        cc_string_free(ev);
    }
    CHECK(restored && notices > 0 && leaked == 0, "%d events, session_restored %d, notices %d: %d carried a secret", n,
          restored, notices, leaked);
    cc_client_free(c);
}

/* ---- 7. invalid UTF-8 never leaves the library ---- */

static void test_utf8(void) {
    char url[256], *rep = NULL, *ev = NULL;
    snprintf(url, sizeof url, "ws://%s/echo?badutf8=1", addr);
    cc_client_t *c = client_for(url, "\"log_level\":\"trace\"");
    int st = cc_client_request(c, "{\"msg_type\":\"ping\"}", 5000, &rep);
    CHECK(st == CC_OK && valid_utf8(rep) && contains(rep, "\"raw\":{"), "reply with invalid bytes: %d %s", st, rep);
    cc_string_free(rep);
    int callins = 0, bad = 0, n = 0;
    double end = now_ms() + 5000;
    while (now_ms() < end && !callins) {
        if (cc_client_poll_event(c, 200, &ev) != CC_OK) continue;
        n++;
        if (!valid_utf8(ev)) bad++;
        if (contains(ev, "\"msg_type\":\"callin\"") && contains(ev, "\"raw\":{")) callins++;
        cc_string_free(ev);
    }
    CHECK(callins == 1 && bad == 0, "%d events (callin %d): %d not valid UTF-8", n, callins, bad);
    cc_client_free(c);
}

/* ---- 8. poll queue accounting: no event lost without being counted ---- */

static void test_poll_accounting(void) {
    char url[256], *rep = NULL, *ev = NULL;
    const int flood = 3000;
    snprintf(url, sizeof url, "ws://%s/echo?events=%d&size=2000", addr, flood);
    cc_client_t *c = client_for(url, "\"event_queue_max\":20,\"event_queue_max_bytes\":20000");
    long before = stat_of("events");
    CHECK(cc_client_request(c, "{\"msg_type\":\"ping\"}", 5000, &rep) == CC_OK, "ping starts the flood");
    cc_string_free(rep);
    CHECK(wait_stat("events", before + flood, 10000), "the server sent the flood");
    long got = 0, dropped = 0;
    double end = now_ms() + 10000;
    while (got + dropped < flood && now_ms() < end) {
        if (cc_client_poll_event(c, 200, &ev) != CC_OK) continue;
        if (contains(ev, "\"msg_type\":\"events_dropped\"")) {
            const char *p = strstr(ev, "\"dropped\":");
            dropped += p ? atol(p + 10) : 0;
        } else if (contains(ev, "\"msg_type\":\"flood\"")) {
            got++;
        }
        cc_string_free(ev);
    }
    printf("poll queue (20 events / 20000 bytes): %ld flood events polled, %ld counted as dropped\n", got, dropped);
    CHECK(got + dropped == flood, "polled %ld + dropped %ld != %d sent: an event was lost uncounted", got, dropped, flood);
    cc_client_free(c);
}

static const struct {
    const char *name;
    void (*fn)(void);
} tests[] = {
    {"async_then_free", test_async_then_free},
    {"free_during_stalled_handshake", test_free_during_stalled_handshake},
    {"async_max", test_async_max},
    {"replace_event_callback", test_replace_event_callback},
    {"statuses", test_statuses},
    {"secrets", test_secrets},
    {"utf8", test_utf8},
    {"poll_accounting", test_poll_accounting},
};

/* reliability_test [NAME...]: runs the named tests, or all. */
int main(int argc, char **argv) {
    addr = getenv("HOSTILE_ADDR");
    tls_addr = getenv("HOSTILE_TLS_ADDR");
    if (!addr || !tls_addr) {
        fprintf(stderr, "HOSTILE_ADDR / HOSTILE_TLS_ADDR are not set\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        int run = argc < 2;
        for (int a = 1; a < argc; a++) run |= strcmp(argv[a], tests[i].name) == 0;
        if (run) tests[i].fn();
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
