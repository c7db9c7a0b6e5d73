/*
 * abi_test.c - tests of the C ABI (include/cloudcc.h) against a running ccsim.
 * Run by tests/c/run.sh (under AddressSanitizer); CCSIM_ADDR names the
 * simulator (host:port). Prints "N passed, N failed" last.
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

#include "simtest.h"

static cc_client_t *make_client(const char *agent, const char *ext) {
    char cfg[1024];
    if (!ext[0]) ext = agent; /* ccsim's demo world binds these agents to an extension of their own id */
    snprintf(cfg, sizeof cfg,
             "{\"ws_url\":\"ws://%s/ws\",\"http_url\":\"http://%s\",\"company_code\":\"090008\","
             "\"agent_id\":\"%s\",\"ext_id\":\"%s\",\"language\":\"en-US\",\"request_timeout_ms\":3000,"
             "\"heartbeat_interval_ms\":-1,\"log_level\":\"off\"}",
             addr, addr, agent, ext);
    cc_client_t *c = NULL;
    char *err = NULL;
    int st = cc_client_new(cfg, &c, &err);
    if (st != CC_OK) fprintf(stderr, "cc_client_new: %d %s\n", st, err ? err : "");
    cc_string_free(err);
    return c;
}

/* req sends a request and returns the status; the reply goes to *reply. */
static int req(cc_client_t *c, const char *json, int timeout, char **reply) {
    char *r = NULL;
    int st = cc_client_request(c, json, timeout, &r);
    if (reply) *reply = r; else cc_string_free(r);
    return st;
}

static int checkin(cc_client_t *c) {
    char *r = NULL;
    int st = req(c, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"919191Aa.\",\"start_status\":\"FREE\"}", 0, &r);
    int ok = st == CC_OK && contains(r, "\"code\":\"0\"");
    if (!ok) fprintf(stderr, "checkin: %d %s\n", st, r ? r : "");
    cc_string_free(r);
    return ok;
}

/* ---- an event recorder ---- */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    char events[256][72]; /* msg_type plus a detail */
    int n;
    cc_client_t *self;
    atomic_int reentrant_ok;
    atomic_int freed_in_callback;
    int free_on_agent_change;
    char last_callin_uuid[128];
} recorder;

static void rec_init(recorder *r) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cond, NULL);
}

static void CC_CALLBACK on_event(void *ud, const char *json) {
    recorder *r = ud;
    char type[32], detail[32];
    field(json, "msg_type", type, sizeof type);
    detail[0] = 0;
    if (strcmp(type, "agent_change") == 0) field(json, "agent_status", detail, sizeof detail);
    if (strcmp(type, "connection_state") == 0) field(json, "state", detail, sizeof detail);
    if (strcmp(type, "callin") == 0) {
        char uuid[128];
        field(json, "uuid", uuid, sizeof uuid);
        /* Re-entrancy: answer the call from inside the callback. */
        char body[256];
        snprintf(body, sizeof body, "{\"msg_type\":\"answer\",\"uuid\":\"%s\"}", uuid);
        char *rep = NULL;
        int st = cc_client_request(r->self, body, 0, &rep);
        if (st == CC_OK && contains(rep, "\"code\":\"0\"")) atomic_store(&r->reentrant_ok, 1);
        cc_string_free(rep);
        snprintf(r->last_callin_uuid, sizeof r->last_callin_uuid, "%s", uuid);
    }
    pthread_mutex_lock(&r->mu);
    if (r->n < 256) snprintf(r->events[r->n++], 72, "%s:%s", type, detail);
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
    if (r->free_on_agent_change && strcmp(type, "agent_change") == 0 && !atomic_load(&r->freed_in_callback)) {
        cc_client_free(r->self); /* must not deadlock */
        atomic_store(&r->freed_in_callback, 1);
    }
}

/* wait_event waits for an event "type:detail" recorded at index >= from;
 * returns its index or -1. */
static int wait_event(recorder *r, const char *want, int from, int timeout_ms) {
    double deadline = now_ms() + timeout_ms;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        for (int i = from; i < r->n; i++)
            if (strcmp(r->events[i], want) == 0) { pthread_mutex_unlock(&r->mu); return i; }
        if (now_ms() > deadline) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000;
        if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&r->cond, &r->mu, &ts);
    }
    pthread_mutex_unlock(&r->mu);
    return -1;
}

/* ---- tests ---- */

static void test_version_and_status(void) {
    CHECK(strcmp(cc_version(), CC_VERSION) == 0, "runtime %s vs header %s", cc_version(), CC_VERSION);
    CHECK(strcmp(cc_status_str(CC_ERR_TIMEOUT), "CC_ERR_TIMEOUT") == 0, "%s", cc_status_str(CC_ERR_TIMEOUT));
    CHECK(strcmp(cc_status_str(12345), "CC_ERR_UNKNOWN") == 0, "%s", cc_status_str(12345));
    cc_string_free(NULL);
}

static void test_config_errors(void) {
    const char *bad[] = {"not json", "[]", "{\"ws_urll\":\"ws://127.0.0.1:1/ws\"}",
                         "{\"ws_url\":\"http://x\"}", "{\"ws_url\":\"ws://127.0.0.1:1/ws\",\"log_level\":\"loud\"}",
                         "{\"ws_url\":\"ws://127.0.0.1:1/ws\",\"event_queue_max\":0}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cc_client_t *c = (cc_client_t *)0x1;
        char *err = NULL;
        int st = cc_client_new(bad[i], &c, &err);
        CHECK(st == CC_ERR_INVALID_ARGUMENT && c == NULL && contains(err, "\"code\":\"-1\""),
              "config %s: st %d err %s", bad[i], st, err ? err : "(null)");
        cc_string_free(err);
    }
    char *err = NULL;
    CHECK(cc_client_new(NULL, NULL, &err) == CC_ERR_INVALID_ARGUMENT, "NULL out");
    cc_string_free(err);
    cc_client_t *c = NULL;
    CHECK(cc_client_new(NULL, &c, NULL) == CC_ERR_INVALID_ARGUMENT && c == NULL, "NULL config");
    /* A valid config does not touch the network: nothing listens on port 1. */
    CHECK(cc_client_new("{\"ws_url\":\"ws://127.0.0.1:1/ws\",\"reconnect\":false}", &c, NULL) == CC_OK && c, "lazy new");
    char *rep = NULL;
    int st = req(c, "{\"msg_type\":\"ping\",\"company_code\":\"x\",\"agent_id\":\"y\"}", 2000, &rep);
    CHECK(st == CC_ERR_NOT_CONNECTED && contains(rep, "\"code\":\"-4\""), "ping to a closed port: %d %s", st, rep);
    cc_string_free(rep);
    cc_client_free(c);
}

static void CC_CALLBACK never_reply(void *ud, int st, const char *json) { (void)ud; (void)st; (void)json; abort(); }

static void test_bad_handles(void) {
    cc_client_t *freed = make_client("090008_6004", "");
    cc_client_free(freed);
    int stack_var;
    cc_client_t *handles[] = {NULL, freed, (cc_client_t *)&stack_var, (cc_client_t *)0x1234};
    for (size_t i = 0; i < 4; i++) {
        cc_client_t *h = handles[i];
        char *rep = NULL;
        CHECK(cc_client_request(h, "{\"msg_type\":\"ping\"}", 100, &rep) == CC_ERR_INVALID_HANDLE &&
                  contains(rep, "\"code\":\"-2\""), "request on handle %zu: %s", i, rep);
        cc_string_free(rep);
        CHECK(cc_client_request_async(h, "{\"msg_type\":\"ping\"}", 100, never_reply, NULL) == CC_ERR_INVALID_HANDLE, "async %zu", i);
        CHECK(cc_client_set_event_callback(h, NULL, NULL) == CC_ERR_INVALID_HANDLE, "set cb %zu", i);
        char *ev = (char *)0x1;
        CHECK(cc_client_poll_event(h, 0, &ev) == CC_ERR_INVALID_HANDLE && ev == NULL, "poll %zu", i);
        rep = NULL;
        CHECK(cc_client_http(h, "get-token", NULL, 100, &rep) == CC_ERR_INVALID_HANDLE, "http %zu", i);
        cc_string_free(rep);
        cc_client_free(h); /* ignored */
    }
}

static void test_bad_requests(cc_client_t *c) {
    const char *bad[] = {"not json", "{\"msg_type\":\"teleport\"}", "{\"uuid\":\"x\"}", "[1]"};
    for (size_t i = 0; i < 4; i++) {
        char *rep = NULL;
        int st = req(c, bad[i], 100, &rep);
        CHECK(st == CC_ERR_INVALID_ARGUMENT && contains(rep, "\"code\":\"-1\""), "%s: %d %s", bad[i], st, rep);
        cc_string_free(rep);
    }
    CHECK(req(c, NULL, 100, NULL) == CC_ERR_INVALID_ARGUMENT, "NULL request");
    CHECK(cc_client_request_async(c, "{\"msg_type\":\"ping\"}", 100, NULL, NULL) == CC_ERR_INVALID_ARGUMENT, "NULL fn");
    CHECK(cc_client_request_async(c, "bad", 100, never_reply, NULL) == CC_ERR_INVALID_ARGUMENT, "bad async json");
    char *rep = NULL;
    CHECK(cc_client_http(c, "get-weather", NULL, 100, &rep) == CC_ERR_INVALID_ARGUMENT, "unknown http call");
    cc_string_free(rep);
    CHECK(cc_client_poll_event(c, 0, NULL) == CC_ERR_INVALID_ARGUMENT, "NULL poll out");
}

static void test_checkin_refusal_and_timeout(cc_client_t *c) {
    char *rep = NULL;
    int st = req(c, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"wrong\"}", 0, &rep);
    CHECK(st == CC_OK && contains(rep, "\"code\":\"1\"") && contains(rep, "wrong password") && !contains(rep, "wrong\"}"),
          "wrong password: %d %s", st, rep);
    CHECK(contains(rep, "\"msg_type\":\"checkin\"") && contains(rep, "\"raw\":"), "normalized reply %s", rep);
    cc_string_free(rep);
    CHECK(checkin(c), "checkin");
    st = cc_client_http(c, "get-skill-service-list", "{\"service_name\":\"默认\"}", 0, &rep);
    CHECK(st == CC_OK && contains(rep, "1724672524089675778"), "skills: %d %s", st, rep);
    cc_string_free(rep);
    CHECK(admin("/admin/fault", "{\"agent_id\":\"090008_6000\",\"kind\":\"withhold\",\"msg_type\":\"hold\"}", NULL, 0) == 200, "fault");
    double t0 = now_ms();
    st = req(c, "{\"msg_type\":\"hold\",\"hold\":\"1\",\"uuid\":\"x\"}", 300, &rep);
    double took = now_ms() - t0;
    CHECK(st == CC_ERR_TIMEOUT && contains(rep, "\"code\":\"-3\"") && contains(rep, "timed out"), "timeout: %d %s", st, rep);
    CHECK(took >= 290 && took < 2000, "timed out after %.0f ms", took);
    cc_string_free(rep);
    admin("/admin/fault", "{\"agent_id\":\"090008_6000\",\"kind\":\"clear\"}", NULL, 0);
    st = req(c, "{\"msg_type\":\"mute\",\"mute\":\"1\",\"uuid\":\"x\"}", 0, &rep);
    CHECK(st == CC_ERR_UNSUPPORTED && contains(rep, "\"code\":\"-8\""), "mute without RTC: %d %s", st, rep);
    cc_string_free(rep);
}

static void test_events_and_reentrancy(cc_client_t *c, recorder *r) {
    int from = r->n;
    char *rep = NULL;
    CHECK(req(c, "{\"msg_type\":\"change_status\",\"action\":\"MAKE_BUSY\"}", 0, &rep) == CC_OK, "busy");
    cc_string_free(rep);
    CHECK(req(c, "{\"msg_type\":\"change_status\",\"action\":\"MAKE_FREE\"}", 0, &rep) == CC_OK, "free");
    cc_string_free(rep);
    int busy = wait_event(r, "agent_change:BUSY", from, 5000);
    int fr = wait_event(r, "agent_change:FREE", from, 5000);
    CHECK(busy >= 0 && fr > busy, "events in order: busy %d free %d", busy, fr);
    /* An inbound call: the callback answers it from inside (re-entrancy). */
    from = r->n;
    char out[512];
    int hs = admin("/admin/inbound", "{\"company_code\":\"090008\",\"agent_id\":\"090008_6000\",\"caller_number\":\"18888888888\"}", out, sizeof out);
    CHECK(hs == 200, "inbound: %d %s", hs, out);
    int ring = wait_event(r, "agent_change:RINGING", from, 5000);
    int ci = wait_event(r, "callin:", from, 5000);
    int talk = wait_event(r, "agent_change:CALLING", from, 5000);
    CHECK(ring >= 0 && ci > ring && talk > ci, "ringing %d callin %d calling %d", ring, ci, talk);
    CHECK(atomic_load(&r->reentrant_ok) == 1, "answer from inside the callback");
    char body[256];
    snprintf(body, sizeof body, "{\"msg_type\":\"hangup\",\"uuid\":\"%s\"}", r->last_callin_uuid);
    CHECK(req(c, body, 0, &rep) == CC_OK && contains(rep, "\"code\":\"0\""), "hangup %s", rep);
    cc_string_free(rep);
}

static void test_free_inside_callback(void) {
    recorder *r = calloc(1, sizeof *r);
    rec_init(r);
    cc_client_t *c = make_client("090008_6004", "");
    r->self = c;
    r->free_on_agent_change = 1;
    cc_client_set_event_callback(c, on_event, r);
    char *rep = NULL;
    cc_client_request(c, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"919191Aa.\"}", 0, &rep);
    cc_string_free(rep);
    double deadline = now_ms() + 5000;
    while (!atomic_load(&r->freed_in_callback) && now_ms() < deadline) usleep(1000);
    CHECK(atomic_load(&r->freed_in_callback), "free from inside the callback returned");
    rep = NULL;
    CHECK(cc_client_request(c, "{\"msg_type\":\"ping\"}", 100, &rep) == CC_ERR_INVALID_HANDLE, "handle dead after free");
    cc_string_free(rep);
    /* The session stays checked in on the platform (free is not checkout):
     * clean up through a new client. */
    cc_client_t *c2 = make_client("090008_6004", "");
    cc_client_request(c2, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"919191Aa.\",\"reset\":true}", 0, &rep);
    cc_string_free(rep);
    cc_client_request(c2, "{\"msg_type\":\"checkout\"}", 0, &rep);
    cc_string_free(rep);
    cc_client_free(c2);
    free(r); /* no callback can run any more */
}

static void test_poll_mode(void) {
    cc_client_t *c = make_client("090008_6001", "");
    char *ev = NULL;
    CHECK(cc_client_poll_event(c, 0, &ev) == CC_ERR_TIMEOUT && ev == NULL, "empty poll");
    char *rep = NULL;
    cc_client_request(c, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"919191Aa.\"}", 0, &rep);
    cc_string_free(rep);
    int saw_connected = 0, saw_busy = 0;
    for (int i = 0; i < 10 && !(saw_connected && saw_busy); i++) {
        if (cc_client_poll_event(c, 2000, &ev) != CC_OK) break;
        if (contains(ev, "\"state\":\"connected\"")) saw_connected = 1;
        if (contains(ev, "\"agent_status\":\"BUSY\"") && contains(ev, "\"raw\":")) saw_busy = 1;
        cc_string_free(ev);
    }
    CHECK(saw_connected && saw_busy, "polled connection_state and agent_change: %d %d", saw_connected, saw_busy);
    cc_client_request(c, "{\"msg_type\":\"checkout\"}", 0, &rep);
    cc_string_free(rep);
    cc_client_free(c);
}

typedef struct {
    atomic_int calls, ok, closed, other;
} async_counts;

static void CC_CALLBACK on_reply(void *ud, int st, const char *json) {
    async_counts *a = ud;
    if (st == CC_OK && contains(json, "\"msg_type\":\"pong\"")) atomic_fetch_add(&a->ok, 1);
    else if (st == CC_ERR_CLOSED) atomic_fetch_add(&a->closed, 1);
    else atomic_fetch_add(&a->other, 1);
    atomic_fetch_add(&a->calls, 1);
}

static void test_async(cc_client_t *c) {
    async_counts a = {0};
    for (int i = 0; i < 200; i++)
        CHECK(cc_client_request_async(c, "{\"msg_type\":\"ping\"}", 0, on_reply, &a) == CC_OK, "submit %d", i);
    double deadline = now_ms() + 10000;
    while (atomic_load(&a.calls) < 200 && now_ms() < deadline) usleep(1000);
    CHECK(atomic_load(&a.ok) == 200 && atomic_load(&a.calls) == 200, "async: ok %d calls %d", atomic_load(&a.ok), atomic_load(&a.calls));

    /* Freed while pending: every callback exactly once, none after free. */
    cc_client_t *c2 = make_client("90001_20000", "");
    char *rep = NULL;
    async_counts b = {0};
    admin("/admin/fault", "{\"agent_id\":\"90001_20000\",\"kind\":\"withhold\",\"msg_type\":\"ping\"}", NULL, 0);
    for (int i = 0; i < 50; i++) cc_client_request_async(c2, "{\"msg_type\":\"ping\",\"company_code\":\"90001\"}", 5000, on_reply, &b);
    usleep(50 * 1000); /* let some reach the wire; the outcome must not depend on it */
    cc_client_free(c2);
    int after = atomic_load(&b.calls);
    CHECK(after == 50, "all 50 async callbacks ran before free returned: %d (closed %d other %d)", after, atomic_load(&b.closed), atomic_load(&b.other));
    usleep(100 * 1000);
    CHECK(atomic_load(&b.calls) == after, "no callback after free");
    admin("/admin/fault", "{\"agent_id\":\"90001_20000\",\"kind\":\"clear\"}", NULL, 0);
    (void)rep;
}

/* Hosts pass ids, not pointers, as user_data (ctypes, P/Invoke): small
 * integers must come back untouched and must not upset the Go runtime. */
static atomic_int id_replies, id_mismatch;
static void CC_CALLBACK on_reply_id(void *ud, int st, const char *json) {
    (void)json;
    if (st != CC_OK || (uintptr_t)ud < 1 || (uintptr_t)ud > 300) atomic_fetch_add(&id_mismatch, 1);
    atomic_fetch_add(&id_replies, 1);
}

static void test_integer_user_data(cc_client_t *c) {
    for (uintptr_t i = 1; i <= 300; i++)
        CHECK(cc_client_request_async(c, "{\"msg_type\":\"ping\"}", 0, on_reply_id, (void *)i) == CC_OK, "submit id %zu", (size_t)i);
    double deadline = now_ms() + 10000;
    while (atomic_load(&id_replies) < 300 && now_ms() < deadline) usleep(1000);
    CHECK(atomic_load(&id_replies) == 300 && atomic_load(&id_mismatch) == 0, "integer user_data: %d replies, %d wrong",
          atomic_load(&id_replies), atomic_load(&id_mismatch));
}

typedef struct {
    cc_client_t *c;
    int ok;
} thread_arg;

static void *hammer(void *p) {
    thread_arg *t = p;
    for (int i = 0; i < 250; i++) {
        char *rep = NULL;
        if (cc_client_request(t->c, "{\"msg_type\":\"ping\"}", 0, &rep) == CC_OK && contains(rep, "pong")) t->ok++;
        cc_string_free(rep);
    }
    return NULL;
}

static void test_threads(cc_client_t *c) {
    pthread_t th[8];
    thread_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i].c = c;
        args[i].ok = 0;
        pthread_create(&th[i], NULL, hammer, &args[i]);
    }
    int total = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        total += args[i].ok;
    }
    CHECK(total == 2000, "8 threads x 250 pings: %d ok", total);
}


/* ---- RTC mode: agent 090008_6010 (login_type 1) is its own phone ---- */

#include <math.h>

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int registered, unregistered, ended;
    char callin[128];
    /* received audio (PCM sink) */
    long frames, samples;
    double g1000, gtotal; /* Goertzel power at 1 kHz vs total power */
    int bad_rate;
} rtc_rec;

static void CC_CALLBACK rtc_on_event(void *ud, const char *json) {
    rtc_rec *r = ud;
    pthread_mutex_lock(&r->mu);
    if (contains(json, "\"msg_type\":\"rtc_registration\"")) {
        if (contains(json, "\"state\":\"registered\"")) r->registered = 1;
        if (contains(json, "\"state\":\"unregistered\"")) r->unregistered = 1;
    }
    if (contains(json, "\"msg_type\":\"rtc_call\"") && contains(json, "\"state\":\"ended\"")) r->ended = 1;
    if (contains(json, "\"msg_type\":\"callin\"")) {
        const char *p = strstr(json, "\"uuid\":\"");
        if (p) sscanf(p + 8, "%127[^\"]", r->callin);
    }
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
}

static double goertzel(const int16_t *x, size_t n, double hz, int rate) {
    double k = 2 * cos(2 * M_PI * hz / rate), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s0 = x[i] + k * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return s1 * s1 + s2 * s2 - k * s1 * s2;
}

static void CC_CALLBACK rtc_on_pcm(void *ud, const char *uuid, const int16_t *s, size_t n, int rate) {
    rtc_rec *r = ud;
    (void)uuid;
    double total = 0;
    for (size_t i = 0; i < n; i++) total += (double)s[i] * s[i];
    double g = goertzel(s, n, 1000, rate);
    pthread_mutex_lock(&r->mu);
    if (rate != 16000) r->bad_rate = 1;
    r->frames++;
    r->samples += n;
    if (r->frames > 10) { /* past the jitter buffer's start */
        r->g1000 += g;
        r->gtotal += total * n / 2; /* Goertzel power of a pure tone ~ energy * n / 2 */
    }
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
}

/* rtc_wait waits for *flag (under r->mu) up to ms. */
static int rtc_wait(rtc_rec *r, const int *flag, long min, int ms) {
    double end = now_ms() + ms;
    pthread_mutex_lock(&r->mu);
    while (*flag < min && now_ms() < end) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&r->cond, &r->mu, &ts);
    }
    int ok = *flag >= min;
    pthread_mutex_unlock(&r->mu);
    return ok;
}

/* write_tone_wav writes 2 s of a 440 Hz tone, 16 kHz mono PCM16. */
static int write_tone_wav(const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    const int rate = 16000, n = rate * 2;
    uint32_t data = n * 2, riff = 36 + data, fmt = 16, brate = rate * 2, srate = rate;
    uint16_t pcm = 1, ch = 1, align = 2, bits = 16;
    fwrite("RIFF", 1, 4, f); fwrite(&riff, 4, 1, f); fwrite("WAVEfmt ", 1, 8, f);
    fwrite(&fmt, 4, 1, f); fwrite(&pcm, 2, 1, f); fwrite(&ch, 2, 1, f); fwrite(&srate, 4, 1, f);
    fwrite(&brate, 4, 1, f); fwrite(&align, 2, 1, f); fwrite(&bits, 2, 1, f);
    fwrite("data", 1, 4, f); fwrite(&data, 4, 1, f);
    for (int i = 0; i < n; i++) {
        int16_t v = (int16_t)(8000 * sin(2 * M_PI * 440 * i / rate));
        fwrite(&v, 2, 1, f);
    }
    return fclose(f);
}

/* wav_tone_ratio reads a PCM16 WAV and gives the 1 kHz share of its power. */
static double wav_tone_ratio(const char *path, int *rate_out, long *n_out) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    unsigned char h[44];
    if (fread(h, 1, 44, f) != 44 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4)) { fclose(f); return -1; }
    int rate = h[24] | h[25] << 8 | h[26] << 16 | h[27] << 24;
    static int16_t buf[8000 * 30];
    size_t n = fread(buf, 2, sizeof buf / 2, f);
    fclose(f);
    *rate_out = rate;
    *n_out = (long)n;
    if (n < 1600) return 0;
    /* the last second holds the call's steady audio */
    size_t from = n > (size_t)rate ? n - rate : 0;
    double total = 0;
    for (size_t i = from; i < n; i++) total += (double)buf[i] * buf[i];
    return total > 0 ? goertzel(buf + from, n - from, 1000, rate) / (total * (n - from) / 2) : 0;
}

static void test_rtc(cc_client_t *softphone) {
    char *rep = NULL, buf[8192], body[512];
    /* Outside RTC mode the media calls are refused as unsupported. */
    CHECK(cc_client_media(softphone, "calls", NULL, &rep) == CC_ERR_UNSUPPORTED && contains(rep, "\"code\":\"-8\""),
          "media in softphone mode: %s", rep ? rep : "");
    cc_string_free(rep);
    CHECK(cc_client_media(NULL, "calls", NULL, &rep) == CC_ERR_INVALID_HANDLE, "media NULL handle");
    cc_string_free(rep);
    int16_t frame[320] = {0};
    CHECK(cc_client_push_pcm(NULL, NULL, frame, 320, 16000) == CC_ERR_INVALID_HANDLE, "push NULL handle");
    CHECK(cc_client_set_pcm_sink(NULL, NULL, 8000, NULL, NULL) == CC_ERR_INVALID_HANDLE, "sink NULL handle");

    rtc_rec *r = calloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cond, NULL);
    cc_client_t *c = make_client("090008_6010", "090008_6010");
    cc_client_set_event_callback(c, rtc_on_event, r);
    CHECK(checkin(c), "RTC agent checks in");
    CHECK(rtc_wait(r, &r->registered, 1, 10000), "rtc_registration registered");

    CHECK(cc_client_media(c, "play_tone", "{\"hz\":440}", &rep) == CC_ERR_INVALID_ARGUMENT, "no call yet: %s", rep);
    cc_string_free(rep);
    CHECK(cc_client_media(c, "no_such", NULL, &rep) == CC_ERR_INVALID_ARGUMENT, "unknown media call");
    cc_string_free(rep);
    CHECK(cc_client_media(c, "play_wav", "not json", &rep) == CC_ERR_INVALID_ARGUMENT, "bad params");
    cc_string_free(rep);

    /* A customer calls; the phone rings; answer picks up SIP and CTI. */
    int st = admin("/admin/inbound", "{\"company_code\":\"090008\",\"agent_id\":\"090008_6010\","
                   "\"caller_number\":\"13900000000\",\"callee_number\":\"4008001000\"}", buf, sizeof buf);
    CHECK(st == 200, "inbound to the RTC agent: %d %s", st, buf);
    double end = now_ms() + 10000;
    char uuid[128] = "";
    while (!uuid[0] && now_ms() < end) {
        pthread_mutex_lock(&r->mu);
        snprintf(uuid, sizeof uuid, "%s", r->callin);
        pthread_mutex_unlock(&r->mu);
        if (!uuid[0]) usleep(2000);
    }
    CHECK(uuid[0], "callin");
    snprintf(body, sizeof body, "{\"msg_type\":\"answer\",\"uuid\":\"%s\"}", uuid);
    CHECK(req(c, body, 8000, &rep) == CC_OK && contains(rep, "\"code\":\"0\""), "answer: %s", rep);
    cc_string_free(rep);

    /* Play a WAV to the customer, record and tap what the customer sends. */
    char wav[] = "/tmp/cc-abi-XXXXXX", rec[64];
    int fd = mkstemp(wav);
    close(fd);
    snprintf(rec, sizeof rec, "%s.rec.wav", wav);
    CHECK(write_tone_wav(wav) == 0, "wrote the tone WAV");
    snprintf(body, sizeof body, "{\"uuid\":\"%s\",\"path\":\"%s\",\"loop\":true}", uuid, wav);
    CHECK(cc_client_media(c, "play_wav", body, &rep) == CC_OK, "play_wav: %s", rep);
    cc_string_free(rep);
    snprintf(body, sizeof body, "{\"path\":\"%s\"}", rec); /* no uuid: the current call */
    CHECK(cc_client_media(c, "record_wav", body, &rep) == CC_OK, "record_wav: %s", rep);
    cc_string_free(rep);
    CHECK(cc_client_set_pcm_sink(c, uuid, 16000, rtc_on_pcm, r) == CC_OK, "set PCM sink");
    int frames = 0;
    end = now_ms() + 10000;
    while (frames < 60 && now_ms() < end) {
        pthread_mutex_lock(&r->mu);
        frames = (int)r->frames;
        pthread_mutex_unlock(&r->mu);
        usleep(5000);
    }
    pthread_mutex_lock(&r->mu);
    double share = r->gtotal > 0 ? r->g1000 / r->gtotal : 0;
    int bad_rate = r->bad_rate;
    pthread_mutex_unlock(&r->mu);
    CHECK(frames >= 60 && !bad_rate, "PCM frames at 16 kHz: %d", frames);
    CHECK(share > 0.8, "the customer's 1 kHz tone reaches the PCM sink: share %.2f", share);

    /* The PBX (the customer's side) hears the WAV's 440 Hz. */
    char path[256];
    snprintf(path, sizeof path, "/admin/rtc/calls/%s", uuid);
    double peak = 0, pk_ratio = 0;
    end = now_ms() + 10000;
    while (now_ms() < end) {
        admin_req("GET", path, "", buf, sizeof buf);
        const char *tone = strstr(buf, "\"tone\":");
        peak = tone ? num(tone, "peak_hz") : 0;
        pk_ratio = tone ? num(tone, "peak_ratio") : 0;
        if (fabs(peak - 440) < 10 && pk_ratio > 0.8) break;
        usleep(20000);
    }
    CHECK(fabs(peak - 440) < 10 && pk_ratio > 0.8, "PBX hears the WAV: peak %.1f Hz ratio %.2f", peak, pk_ratio);

    /* Mute and DTMF are done by the phone and answered by the SDK. */
    snprintf(body, sizeof body, "{\"msg_type\":\"mute\",\"mute\":\"1\",\"uuid\":\"%s\"}", uuid);
    CHECK(req(c, body, 0, &rep) == CC_OK && contains(rep, "\"mute\":\"1\"") && contains(rep, "\"code\":\"0\""),
          "mute: %s", rep);
    cc_string_free(rep);
    snprintf(body, sizeof body, "{\"msg_type\":\"mute\",\"mute\":\"0\",\"uuid\":\"%s\"}", uuid);
    req(c, body, 0, NULL);
    snprintf(body, sizeof body, "{\"msg_type\":\"dtmf\",\"content\":\"42\",\"uuid\":\"%s\"}", uuid);
    CHECK(req(c, body, 0, &rep) == CC_OK && contains(rep, "\"code\":\"0\""), "dtmf: %s", rep);
    cc_string_free(rep);
    end = now_ms() + 10000;
    int digits = 0;
    while (!digits && now_ms() < end) {
        admin_req("GET", path, "", buf, sizeof buf);
        digits = contains(buf, "\"digits\":\"42\"");
        if (!digits) usleep(20000);
    }
    CHECK(digits, "the PBX detected the digits 42");
    CHECK(cc_client_push_pcm(c, uuid, frame, 320, 16000) == CC_OK, "push_pcm");
    CHECK(cc_client_push_pcm(c, uuid, NULL, 320, 16000) == CC_ERR_INVALID_ARGUMENT, "push_pcm NULL samples");
    CHECK(cc_client_media(c, "stats", NULL, &rep) == CC_OK && contains(rep, "\"mos\""), "stats: %s", rep);
    cc_string_free(rep);
    CHECK(cc_client_media(c, "calls", NULL, &rep) == CC_OK && contains(rep, uuid), "calls: %s", rep);
    cc_string_free(rep);

    snprintf(body, sizeof body, "{\"msg_type\":\"hangup\",\"uuid\":\"%s\"}", uuid);
    CHECK(req(c, body, 0, &rep) == CC_OK && contains(rep, "\"code\":\"0\""), "hangup: %s", rep);
    cc_string_free(rep);
    /* The call's end finishes the recording before rtc_call "ended" is sent. */
    CHECK(rtc_wait(r, &r->ended, 1, 10000), "rtc_call ended");
    int rate = 0;
    long n = 0;
    double ratio = wav_tone_ratio(rec, &rate, &n);
    CHECK(rate == 8000 && n > 8000 && ratio > 0.8, "recorded WAV: rate %d, %ld samples, 1 kHz share %.2f", rate, n, ratio);
    unlink(wav);
    unlink(rec);

    CHECK(req(c, "{\"msg_type\":\"checkout\"}", 0, &rep) == CC_OK, "checkout");
    cc_string_free(rep);
    CHECK(rtc_wait(r, &r->unregistered, 1, 10000), "rtc_registration unregistered after checkout");
    cc_client_free(c);
    free(r);
}

int main(void) {
    addr = getenv("CCSIM_ADDR");
    if (!addr) {
        fprintf(stderr, "CCSIM_ADDR is not set\n");
        return 2;
    }
    test_version_and_status();
    test_config_errors();
    test_bad_handles();

    recorder *r = calloc(1, sizeof *r);
    rec_init(r);
    cc_client_t *c = make_client("090008_6000", "090008_5000");
    r->self = c;
    CHECK(cc_client_set_event_callback(c, on_event, r) == CC_OK, "set callback");
    test_bad_requests(c);
    test_checkin_refusal_and_timeout(c);
    test_events_and_reentrancy(c, r);
    test_async(c);
    test_integer_user_data(c);
    test_threads(c);
    test_rtc(c);
    char *rep = NULL;
    cc_client_request(c, "{\"msg_type\":\"checkout\"}", 0, &rep);
    cc_string_free(rep);
    cc_client_free(c);
    free(r);

    test_free_inside_callback();
    test_poll_mode();

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
