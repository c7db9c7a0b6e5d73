/*
 * device_agent.c - a desktop agent whose phone is the SDK, on the machine's
 * sound devices (config rtc_audio "device"), through the C ABI: list the
 * devices, choose them, check in as an RTC agent, run the pre-call test,
 * take a call on the headset with echo cancellation, read the call's voice
 * processing, hang up. Every step is a cc_client_media call or a config
 * key (include/cloudcc.h, "Sound devices").
 *
 *   cc -Iinclude examples/c/device_agent.c -Lbuild/lib -lcloudcc -lpthread -o device_agent
 *   ./device_agent 127.0.0.1:8090 [MICROPHONE_ID SPEAKER_ID]
 *
 * Without ids each role takes the default communications device. Against
 * ccsim (agent 090008_6010 is an RTC agent there) the program asks the
 * simulator's admin API for the customer's call. examples/device_demo.sh
 * runs it on a private PulseAudio with null sinks for a "headset".
 * CLOUDCC_ECHO_NUMBER names the echo extension of the pre-call test (none:
 * that step is skipped).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cloudcc.h"

#define AGENT "090008_6010"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static char callin_uuid[128];
static int registered, answered;

static void json_field(const char *json, const char *key, char *out, size_t n) {
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

/* Runs on a library thread, one event at a time; event_json lives only
 * during the call. The sound events say what a device did; the call goes
 * on whatever they say. */
static void CC_CALLBACK on_event(void *user_data, const char *event_json) {
    (void)user_data;
    char type[40], state[32];
    json_field(event_json, "msg_type", type, sizeof type);
    json_field(event_json, "state", state, sizeof state);
    pthread_mutex_lock(&mu);
    if (strcmp(type, "callin") == 0) json_field(event_json, "uuid", callin_uuid, sizeof callin_uuid);
    if (strcmp(type, "rtc_registration") == 0 && strcmp(state, "registered") == 0) registered = 1;
    if (strcmp(type, "rtc_call") == 0 && strcmp(state, "answered") == 0) answered = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mu);
    if (strncmp(type, "audio_", 6) == 0 || strcmp(type, "call_quality_warning") == 0)
        printf("event  %s\n", event_json);
}

/* wait_flag waits up to seconds for *flag (under mu). */
static int wait_flag(const int *flag, int seconds) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += seconds;
    pthread_mutex_lock(&mu);
    while (!*flag && pthread_cond_timedwait(&cond, &mu, &deadline) == 0) {}
    int ok = *flag;
    pthread_mutex_unlock(&mu);
    return ok;
}

/* media runs one media call and prints its reply; returns its status. */
static int media(cc_client_t *c, const char *name, const char *params) {
    char *reply = NULL;
    int st = cc_client_media(c, name, params, &reply);
    printf("%-16s %s %s\n", name, cc_status_str(st), reply ? reply : "");
    cc_string_free(reply); /* strings from the library go back through cc_string_free */
    return st;
}

static int request(cc_client_t *c, const char *json) {
    char *reply = NULL;
    int st = cc_client_request(c, json, 0, &reply);
    int ok = st == CC_OK && strstr(reply, "\"code\":\"0\"") != NULL;
    if (!ok) fprintf(stderr, "%s: %s %s\n", json, cc_status_str(st), reply ? reply : "");
    cc_string_free(reply);
    return ok;
}

static int place_inbound_call(const char *addr) {
    char host[64];
    int port;
    if (sscanf(addr, "%63[^:]:%d", host, &port) != 2) return -1;
    const char *body = "{\"company_code\":\"090008\",\"agent_id\":\"" AGENT "\","
                       "\"caller_number\":\"18888888888\",\"callee_number\":\"4008001000\"}";
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { close(fd); return -1; }
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "POST /admin/inbound HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", addr, strlen(body), body);
    int ok = write(fd, req, n) == n;
    char buf[512];
    while (read(fd, buf, sizeof buf) > 0) {}
    close(fd);
    return ok ? 0 : -1;
}

static int run(cc_client_t *c, const char *addr, int argc, char **argv) {
    /* 1. The devices, and the agent's choice (before check-in: it holds for every call). */
    if (media(c, "audio_devices", NULL) != CC_OK) return 1; /* no sound server: the reply says why */
    char params[512];
    const char *roles[2] = {"microphone", "speaker"};
    for (int i = 0; i < 2; i++) {
        snprintf(params, sizeof params, "{\"role\":\"%s\",\"id\":\"%s\"}", roles[i], argc > 3 ? argv[2 + i] : "");
        if (media(c, "audio_select", params) != CC_OK) return 1; /* an unknown id: nothing changed */
    }
    media(c, "audio_processing", NULL); /* echo cancellation, NS, AGC, VAD: on in device mode */

    /* 2. Check in: the SDK registers the agent's phone. */
    char checkin[256];
    const char *pwd = getenv("CLOUDCC_AGENT_PWD");
    snprintf(checkin, sizeof checkin, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"%s\",\"start_status\":\"FREE\"}",
             pwd ? pwd : "919191Aa."); /* the demo agent's password in ccsim */
    if (!request(c, checkin)) return 1;
    if (!wait_flag(&registered, 15)) { fprintf(stderr, "the phone did not register\n"); return 1; }

    /* 3. The pre-call test, before taking calls (it blocks: a few seconds). */
    const char *echo = getenv("CLOUDCC_ECHO_NUMBER");
    snprintf(params, sizeof params, "{\"seconds\":3,\"echo_number\":\"%s\"}", echo ? echo : "");
    if (media(c, "precall_test", params) != CC_OK) return 1;

    /* 4. A call on the devices: it rings on the ringer, the agent answers, talks, hangs up. */
    if (place_inbound_call(addr) != 0) fprintf(stderr, "could not ask ccsim for a call; waiting for one\n");
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 60;
    pthread_mutex_lock(&mu);
    while (!callin_uuid[0] && pthread_cond_timedwait(&cond, &mu, &deadline) == 0) {}
    char uuid[128];
    snprintf(uuid, sizeof uuid, "%s", callin_uuid);
    pthread_mutex_unlock(&mu);
    if (!uuid[0]) { fprintf(stderr, "no inbound call within 60 s\n"); return 1; }
    char req[256];
    snprintf(req, sizeof req, "{\"msg_type\":\"answer\",\"uuid\":\"%s\"}", uuid);
    if (!request(c, req) || !wait_flag(&answered, 10)) return 1;
    const char *secs = getenv("CLOUDCC_CALL_SECONDS");
    int n = secs ? atoi(secs) / 2 : 4;
    snprintf(params, sizeof params, "{\"uuid\":\"%s\"}", uuid);
    for (int i = 0; i < (n > 0 ? n : 1); i++) {
        sleep(2);                              /* the agent talks */
        media(c, "audio_processing", params); /* delay_ms, erle_db, level_dbfs, speaking */
    }
    snprintf(req, sizeof req, "{\"msg_type\":\"hangup\",\"uuid\":\"%s\"}", uuid);
    if (!request(c, req)) return 1;
    return request(c, "{\"msg_type\":\"checkout\"}") ? 0 : 1;
}

int main(int argc, char **argv) {
    const char *addr = argc > 1 ? argv[1] : getenv("CCSIM_ADDR");
    if (!addr) addr = "127.0.0.1:8090";
    char config[512];
    snprintf(config, sizeof config,
             "{\"ws_url\":\"ws://%s/msg/\",\"http_url\":\"http://%s\",\"company_code\":\"090008\","
             "\"agent_id\":\"" AGENT "\",\"ext_id\":\"" AGENT "\",\"language\":\"en-US\","
             "\"rtc_audio\":\"device\",\"audio_ringtone\":\"builtin\"}",
             addr, addr);
    cc_client_t *c = NULL;
    char *err = NULL;
    if (cc_client_new(config, &c, &err) != CC_OK) {
        fprintf(stderr, "config: %s\n", err);
        cc_string_free(err);
        return 1;
    }
    printf("libcloudcc %s\n", cc_version());
    cc_client_set_event_callback(c, on_event, NULL);
    int rc = run(c, addr, argc, argv);
    cc_client_free(c); /* once it returns no callback runs any more */
    return rc;
}
