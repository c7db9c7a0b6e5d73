/*
 * quality_test.c - the call-quality warnings and the pre-call test through
 * the C ABI, against ccsim's PBX (spec dialect: its echo extension 9196 and
 * its impairment knobs, POST /admin/rtc/impair). Run by tests/c/run.sh
 * under AddressSanitizer; CCSIM_ADDR names the simulator. Prints "N passed,
 * N failed" last.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloudcc.h"

#include "simtest.h"

#define RTC_AGENT "090008_6010"

static cc_client_t *make_client(const char *agent, const char *extra) {
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{\"ws_url\":\"ws://%s/ws\",\"http_url\":\"http://%s\",\"company_code\":\"090008\","
             "\"agent_id\":\"%s\",\"ext_id\":\"%s\",\"language\":\"en-US\",\"request_timeout_ms\":3000,"
             "\"heartbeat_interval_ms\":-1,\"log_level\":\"off\"%s}",
             addr, addr, agent, agent, extra);
    cc_client_t *c = NULL;
    char *err = NULL;
    int st = cc_client_new(cfg, &c, &err);
    if (st != CC_OK) fprintf(stderr, "cc_client_new: %d %s\n", st, err ? err : "");
    cc_string_free(err);
    return c;
}

/* ---- what the event callback saw ---- */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int registered;
    char callin[128];
    char warning[2][1024]; /* the first call_quality_warning raised / cleared */
    double warning_at[2];  /* their arrival (ms) */
    int precall_events;    /* rtc_call events of the pre-call test's own call */
} rec;

static void CC_CALLBACK on_event(void *ud, const char *json) {
    rec *r = ud;
    pthread_mutex_lock(&r->mu);
    if (contains(json, "\"msg_type\":\"rtc_registration\"") && contains(json, "\"state\":\"registered\"")) r->registered = 1;
    if (contains(json, "\"msg_type\":\"callin\"")) {
        const char *p = strstr(json, "\"uuid\":\"");
        if (p) sscanf(p + 8, "%127[^\"]", r->callin);
    }
    if (contains(json, "\"msg_type\":\"rtc_call\"") && contains(json, "\"uuid\":\"precall-")) r->precall_events++;
    if (contains(json, "\"msg_type\":\"call_quality_warning\"") && contains(json, "\"name\":\"no_audio_received\"")) {
        int i = contains(json, "\"raised\":true") ? 0 : 1;
        if (!r->warning[i][0]) {
            snprintf(r->warning[i], sizeof r->warning[i], "%s", json);
            r->warning_at[i] = now_ms();
        }
    }
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
}

/* wait_for waits up to ms for cond(r) under r->mu. */
static int wait_for(rec *r, int (*cond)(void *), int ms) { return wait_until(&r->mu, &r->cond, cond, r, ms); }

static int is_registered(void *p) { const rec *r = p; return r->registered; }
static int has_callin(void *p) { const rec *r = p; return r->callin[0] != 0; }
static int warning_raised(void *p) { const rec *r = p; return r->warning[0][0] != 0; }
static int warning_cleared(void *p) { const rec *r = p; return r->warning[1][0] != 0; }

static void test_precall(cc_client_t *c, rec *r) {
    char *rep = NULL, buf[2048];
    /* A clean path to the echo extension: excellent, every step but the
     * microphone (no voice processing in host mode) ok. */
    int st = cc_client_media(c, "precall_test", "{\"seconds\":2}", &rep);
    CHECK(st == CC_OK && contains(rep, "\"code\":\"0\"") && contains(rep, "\"grade\":\"excellent\"") &&
              !contains(rep, "failed_step") && num(rep, "mos") > 4.2 && num(rep, "loss") == 0 &&
              num(rep, "rtt_ms") >= 0 && num(rep, "rtt_ms") < 100,
          "precall_test on a clean path: %d %s", st, rep ? rep : "");
    CHECK(contains(rep, "{\"name\":\"registrar\",\"ok\":true") && contains(rep, "{\"name\":\"ice\",\"ok\":true") &&
              contains(rep, "{\"name\":\"echo_call\",\"ok\":true") &&
              contains(rep, "{\"name\":\"microphone\",\"ok\":false,\"skipped\":true"),
          "steps: %s", rep ? rep : "");
    cc_string_free(rep);
    pthread_mutex_lock(&r->mu);
    int evs = r->precall_events;
    pthread_mutex_unlock(&r->mu);
    CHECK(evs > 0, "the test's call shows as rtc_call events with a precall- uuid");

    /* The agent's network loses 30% at the PBX: the grade goes down. */
    st = admin("/admin/rtc/impair", "{\"agent_id\":\"" RTC_AGENT "\",\"loss\":0.3}", buf, sizeof buf);
    CHECK(st == 200, "impair: %d %s", st, buf);
    st = cc_client_media(c, "precall_test", "{\"seconds\":2,\"echo_number\":\"9196\"}", &rep);
    CHECK(st == CC_OK && !contains(rep, "\"grade\":\"excellent\"") && !contains(rep, "\"grade\":\"great\"") &&
              num(rep, "mos") < 3.7 && num(rep, "loss") > 0.1,
          "precall_test with 30%% loss: %d %s", st, rep ? rep : "");
    cc_string_free(rep);
    admin("/admin/rtc/impair", "{\"agent_id\":\"" RTC_AGENT "\"}", buf, sizeof buf);

    /* A number the PBX refuses: the echo step fails, the grade is degraded. */
    st = cc_client_media(c, "precall_test", "{\"seconds\":1,\"echo_number\":\"9999\"}", &rep);
    char failed_step[32];
    field(rep ? rep : "", "failed_step", failed_step, sizeof failed_step);
    CHECK(st == CC_OK && strcmp(failed_step, "echo_call") == 0 && contains(rep, "\"grade\":\"degraded\"") &&
              contains(rep, "\"mos\":null"),
          "precall_test to a refused number: %d %s", st, rep ? rep : "");
    cc_string_free(rep);

    CHECK(cc_client_media(c, "precall_test", "{\"seconds\":0}", &rep) == CC_ERR_INVALID_ARGUMENT &&
              contains(rep, "\"code\":\"-1\""),
          "seconds 0: %s", rep ? rep : "");
    cc_string_free(rep);
}

static void test_warning(cc_client_t *c, rec *r) {
    char *rep = NULL, buf[2048], body[512], path[256];
    int st = admin("/admin/inbound", "{\"company_code\":\"090008\",\"agent_id\":\"" RTC_AGENT "\","
                   "\"caller_number\":\"13900000000\",\"callee_number\":\"4008001000\"}", buf, sizeof buf);
    CHECK(st == 200, "inbound: %d %s", st, buf);
    CHECK(wait_for(r, has_callin, 10000), "callin");
    char uuid[128];
    pthread_mutex_lock(&r->mu);
    snprintf(uuid, sizeof uuid, "%s", r->callin);
    pthread_mutex_unlock(&r->mu);
    snprintf(body, sizeof body, "{\"msg_type\":\"answer\",\"uuid\":\"%s\"}", uuid);
    CHECK(request(c, body, &rep) == CC_OK && contains(rep, "\"code\":\"0\""), "answer: %s", rep ? rep : "");
    cc_string_free(rep);

    /* Audio flows from the PBX to the agent... */
    snprintf(path, sizeof path, "/admin/rtc/calls/%s", uuid);
    double end = now_ms() + 10000;
    int flowing = 0;
    while (!flowing && now_ms() < end) {
        admin_req("GET", path, "", buf, sizeof buf);
        const char *tx = strstr(buf, "\"audio_tx\":");
        flowing = tx && num(tx, "packets") > 50;
        if (!flowing) usleep(20000);
    }
    CHECK(flowing, "the PBX sends audio: %s", buf);
    /* No pre-call test during a call. */
    CHECK(cc_client_media(c, "precall_test", NULL, &rep) == CC_ERR_BUSY && contains(rep, "\"code\":\"-11\""),
          "precall_test during a call: %s", rep ? rep : "");
    cc_string_free(rep);

    /* ...until the PBX goes silent: no_audio_received after 3 s of it. */
    snprintf(body, sizeof body, "{\"uuid\":\"%s\",\"silence\":true}", uuid);
    st = admin("/admin/rtc/impair", body, buf, sizeof buf);
    CHECK(st == 200, "silence: %d %s", st, buf);
    CHECK(wait_for(r, warning_raised, 15000), "call_quality_warning no_audio_received raised");
    snprintf(body, sizeof body, "{\"uuid\":\"%s\"}", uuid);
    admin("/admin/rtc/impair", body, buf, sizeof buf);
    CHECK(wait_for(r, warning_cleared, 15000), "call_quality_warning no_audio_received cleared");
    pthread_mutex_lock(&r->mu);
    char want[256];
    snprintf(want, sizeof want, "\"uuid\":\"%s\"", uuid);
    CHECK(contains(r->warning[0], "{\"msg_type\":\"call_quality_warning\"") && contains(r->warning[0], want) &&
              contains(r->warning[0], "\"value\":0") && contains(r->warning[0], "\"threshold\":0"),
          "raised: %s", r->warning[0]);
    CHECK(contains(r->warning[1], want) && contains(r->warning[1], "\"raised\":false"), "cleared: %s", r->warning[1]);
    double gap = r->warning_at[1] - r->warning_at[0];
    pthread_mutex_unlock(&r->mu);
    CHECK(gap >= 4900, "cleared %.0f ms after it was raised (no sooner than 5 s)", gap);

    snprintf(body, sizeof body, "{\"msg_type\":\"hangup\",\"uuid\":\"%s\"}", uuid);
    CHECK(request(c, body, &rep) == CC_OK && contains(rep, "\"code\":\"0\""), "hangup: %s", rep ? rep : "");
    cc_string_free(rep);
}

int main(void) {
    addr = getenv("CCSIM_ADDR");
    if (!addr) {
        fprintf(stderr, "CCSIM_ADDR is not set\n");
        return 2;
    }
    char *rep = NULL;
    /* Outside RTC mode: unsupported. */
    cc_client_t *soft = make_client("090008_6004", "");
    CHECK(cc_client_media(soft, "precall_test", NULL, &rep) == CC_ERR_UNSUPPORTED && contains(rep, "\"code\":\"-8\""),
          "precall_test in softphone mode: %s", rep ? rep : "");
    cc_string_free(rep);
    cc_client_free(soft);

    rec *r = calloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cond, NULL);
    cc_client_t *c = make_client(RTC_AGENT, ",\"rtc_echo_number\":\"9196\",\"rtc_quality_warnings\":true");
    cc_client_set_event_callback(c, on_event, r);
    CHECK(request(c, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"919191Aa.\",\"start_status\":\"FREE\"}", &rep) == CC_OK &&
              contains(rep, "\"code\":\"0\""),
          "checkin: %s", rep ? rep : "");
    cc_string_free(rep);
    CHECK(wait_for(r, is_registered, 10000), "rtc_registration registered");
    test_precall(c, r);
    test_warning(c, r);
    request(c, "{\"msg_type\":\"checkout\"}", NULL);
    cc_client_free(c);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->mu);
    free(r);

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
