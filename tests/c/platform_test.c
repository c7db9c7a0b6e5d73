/*
 * platform_test.c - the C ABI against ccsim's platform dialect (the
 * platform's server as built; docs/platform.md): the identity handshake,
 * status pushes as agent_change before or after the reply (CCSIM_PUSH_ORDER
 * names ccsim's -push-order), absent fields left absent, refusals without req_id,
 * typed codes, get_status, kick_off, and a link dropped during a call that
 * restores with the call still up. Run by tests/c/run.sh under ASan;
 * CCSIM_ADDR names a platform-dialect ccsim. Prints "N passed, N failed".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudcc.h"
#include "simtest.h"

/* Events as received, in order (copies of the JSON). */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    char *events[512];
    int n;
} events;

static void CC_CALLBACK on_event(void *ud, const char *json) {
    events *e = ud;
    pthread_mutex_lock(&e->mu);
    if (e->n < 512) e->events[e->n++] = strdup(json);
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->mu);
}

/* count returns how many events from index from contain every part. */
static int count(events *e, int from, const char *part1, const char *part2) {
    int k = 0;
    pthread_mutex_lock(&e->mu);
    for (int i = from; i < e->n; i++)
        if (contains(e->events[i], part1) && (!part2 || contains(e->events[i], part2))) k++;
    pthread_mutex_unlock(&e->mu);
    return k;
}

/* wait_for waits up to ms for an event from index from with both parts;
 * it copies the event into out and returns its index, or -1. */
static int wait_for(events *e, int from, const char *part1, const char *part2, int ms, char *out, size_t n) {
    double deadline = now_ms() + ms;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        for (int i = from; i < e->n; i++)
            if (contains(e->events[i], part1) && (!part2 || contains(e->events[i], part2))) {
                if (out) snprintf(out, n, "%s", e->events[i]);
                pthread_mutex_unlock(&e->mu);
                return i;
            }
        if (now_ms() > deadline) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000;
        if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&e->cond, &e->mu, &ts);
    }
    pthread_mutex_unlock(&e->mu);
    return -1;
}

static int mark(events *e) {
    pthread_mutex_lock(&e->mu);
    int n = e->n;
    pthread_mutex_unlock(&e->mu);
    return n;
}

static cc_client_t *client(const char *ext, events *e) {
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{\"ws_url\":\"ws://%s/msg/\",\"http_url\":\"http://%s\",\"company_code\":\"090008\","
             "\"agent_id\":\"090008_6000\",\"ext_id\":\"%s\",\"language\":\"en-US\",\"request_timeout_ms\":5000,"
             "\"reconnect_min_ms\":10,\"reconnect_max_ms\":50,\"log_level\":\"off\"}",
             addr, addr, ext);
    cc_client_t *c = NULL;
    char *err = NULL;
    if (cc_client_new(cfg, &c, &err) != CC_OK) {
        fprintf(stderr, "cc_client_new: %s\n", err ? err : "");
        exit(1);
    }
    cc_string_free(err);
    if (e) cc_client_set_event_callback(c, on_event, e);
    return c;
}

int main(void) {
    addr = getenv("CCSIM_ADDR");
    if (!addr) { fprintf(stderr, "CCSIM_ADDR is not set\n"); return 2; }
    const char *order = getenv("CCSIM_PUSH_ORDER"); /* ccsim's -push-order; its default is reply_first */
    int push_first = order && strcmp(order, "push_first") == 0;
    events ev = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    char *rep = NULL, buf[8192], body[512];

    /* Refused checks-in: codes as the server sent them. */
    cc_client_t *wrong = client("090008_6004", NULL);
    int st = request(wrong, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"919191Aa.\"}", &rep);
    CHECK(st == CC_OK && contains(rep, "\"code\":\"4012\""), "another agent's extension: %d %s", st, rep);
    cc_string_free(rep);
    cc_client_free(wrong);

    cc_client_t *c = client("090008_5000", &ev);
    /* No token yet: nothing but check-in is sent. */
    st = request(c, "{\"msg_type\":\"get_status\"}", &rep);
    CHECK(st == CC_ERR_NOT_CHECKED_IN && contains(rep, "\"code\":\"-10\""), "get_status before a token: %d %s", st, rep);
    cc_string_free(rep);
    st = request(c, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"wrong\"}", &rep);
    CHECK(st == CC_OK && contains(rep, "\"code\":\"4004\""), "bad password: %d %s", st, rep);
    cc_string_free(rep);

    /* The platform sends the check-in's status push before or after the
     * reply (a race on the real server; CCSIM_PUSH_ORDER says which ccsim
     * does). Before: it has reached the callback by the time the request
     * returns. After: it follows. */
    st = request(c, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"919191Aa.\",\"start_status\":\"FREE\"}", &rep);
    CHECK(st == CC_OK && contains(rep, "\"code\":\"0\""), "checkin: %d %s", st, rep);
    cc_string_free(rep);
    if (push_first)
        CHECK(count(&ev, 0, "\"msg_type\":\"agent_change\"", "\"agent_status\":\"FREE\"") == 1, "FREE delivered before the reply");
    char free_ev[4096];
    CHECK(wait_for(&ev, 0, "\"msg_type\":\"agent_change\"", "\"agent_status\":\"FREE\"", 5000, free_ev, sizeof free_ev) >= 0,
          "the FREE status event");
    CHECK(count(&ev, 0, "\"agent_status\":\"FREE\"", "\"msg_type\":\"change_status\"") == 1,
          "the status event's raw keeps the change_status push");
    /* Absent, not empty: the check-in push has no last status, sub-status or reason. */
    CHECK(!contains(free_ev, "last_agent_status") && !contains(free_ev, "sub_agent_status") && !contains(free_ev, "reason"),
          "absent fields stay absent: %s", free_ev);

    st = request(c, "{\"msg_type\":\"get_status\"}", &rep);
    CHECK(st == CC_OK && contains(rep, "\"code\":\"0\"") && contains(rep, "\"status\":\"FREE\""), "get_status: %d %s", st, rep);
    CHECK(!contains(rep, "sub_status") && !contains(rep, "\"uuid\"") && !contains(rep, "in_call_numbers"),
          "get_status: absent fields stay absent: %s", rep);
    cc_string_free(rep);

    /* A refusal without req_id reaches its request at once. */
    double t0 = now_ms();
    st = request(c, "{\"msg_type\":\"hold\",\"hold\":\"1\"}", &rep);
    CHECK(st == CC_OK && contains(rep, "\"code\":\"4002\"") && contains(rep, "\"msg_type\":\"hold\"") && now_ms() - t0 < 4000,
          "hold without uuid: %d %s", st, rep);
    cc_string_free(rep);

    /* kick_off, typed (the platform builds it; ccsim's admin push delivers it). */
    int from = mark(&ev);
    CHECK(admin("/admin/push", "{\"agent_id\":\"090008_6000\",\"frame\":{\"req_id\":\"k1\",\"msg_type\":\"kick_off\","
                "\"code\":\"0\",\"os\":\"Windows\",\"agentIp\":\"10.1.2.3\",\"msg\":\"kicked\"}}", buf, sizeof buf) == 200,
          "push: %s", buf);
    CHECK(wait_for(&ev, from, "\"msg_type\":\"kick_off\"", "\"agent_ip\":\"10.1.2.3\"", 5000, NULL, 0) >= 0, "kick_off event");

    /* A call, then the link drops: the restore keeps the call up. */
    from = mark(&ev);
    CHECK(admin("/admin/inbound", "{\"company_code\":\"090008\",\"agent_id\":\"090008_6000\",\"caller_number\":\"13900000003\"}",
                buf, sizeof buf) == 200, "inbound: %s", buf);
    char callin[4096], uuid[128];
    CHECK(wait_for(&ev, from, "\"msg_type\":\"callin\"", "\"client_uuid\"", 5000, callin, sizeof callin) >= 0, "callin with client_uuid");
    field(callin, "uuid", uuid, sizeof uuid);
    snprintf(body, sizeof body, "{\"msg_type\":\"answer\",\"uuid\":\"%s\"}", uuid); /* audio/video: the callin's */
    st = request(c, body, &rep);
    CHECK(st == CC_OK && contains(rep, "\"code\":\"0\""), "answer: %d %s", st, rep);
    cc_string_free(rep);
    CHECK(wait_for(&ev, from, "\"agent_status\":\"CALLING\"", NULL, 5000, NULL, 0) >= 0, "CALLING");
    char before[4096];
    admin_req("GET", "/admin/agents/090008_6000", "", before, sizeof before);
    char call_uuid[128];
    field(before, "call_uuid", call_uuid, sizeof call_uuid);
    CHECK(call_uuid[0] != 0, "a call at the server: %s", before);

    from = mark(&ev);
    CHECK(admin("/admin/fault", "{\"agent_id\":\"090008_6000\",\"kind\":\"drop\"}", buf, sizeof buf) == 200, "drop: %s", buf);
    char restored[1024];
    CHECK(wait_for(&ev, from, "\"msg_type\":\"session_restored\"", NULL, 10000, restored, sizeof restored) >= 0, "session_restored");
    CHECK(contains(restored, "\"status\":\"CALLING\"") && contains(restored, "\"resynced\":true") && contains(restored, uuid) &&
              !contains(restored, "token") && !contains(restored, "ext_pwd") && !contains(restored, "\"error\""),
          "restored in the call: %s", restored);
    char after[4096], after_uuid[128];
    admin_req("GET", "/admin/agents/090008_6000", "", after, sizeof after);
    field(after, "call_uuid", after_uuid, sizeof after_uuid);
    CHECK(strcmp(after_uuid, call_uuid) == 0 && contains(after, "\"status\":\"CALLING\""), "the call survived: %s", after);
    snprintf(body, sizeof body, "{\"msg_type\":\"hangup\",\"uuid\":\"%s\"}", uuid);
    st = request(c, body, &rep);
    CHECK(st == CC_OK && contains(rep, "\"code\":\"0\""), "hangup on the new link: %d %s", st, rep);
    cc_string_free(rep);

    st = request(c, "{\"msg_type\":\"checkout\"}", &rep);
    CHECK(st == CC_OK && contains(rep, "\"code\":\"0\""), "checkout: %d %s", st, rep);
    cc_string_free(rep);
    if (push_first)
        CHECK(count(&ev, from, "\"agent_status\":\"OFFLINE\"", NULL) == 1, "OFFLINE delivered before the checkout reply");
    CHECK(wait_for(&ev, from, "\"agent_status\":\"OFFLINE\"", NULL, 5000, NULL, 0) >= 0, "the OFFLINE status event");
    cc_client_free(c);
    for (int i = 0; i < ev.n; i++) free(ev.events[i]);
    printf("platform: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
