/*
 * rtc_agent.c - an agent whose phone is the SDK (check-in answers
 * login_type "1"): it registers, answers an inbound call, plays a WAV file
 * to the customer, records the customer's side to a WAV file, hangs up and
 * checks out.
 *
 *   cc -Iinclude examples/c/rtc_agent.c -Lbuild/lib -lcloudcc -lpthread -lm -o rtc_agent
 *   ./rtc_agent 127.0.0.1:8090 [greeting.wav] [customer.wav]
 *
 * Against ccsim (agent 090008_6010 is an RTC agent there) it asks the
 * simulator's admin API for the customer's call, and afterwards prints what
 * the simulated customer's side heard. Without a greeting WAV it writes one
 * (a two-note chime).
 */
#include <arpa/inet.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cloudcc.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static char callin_uuid[128];
static int registered;
static long heard_frames;

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

static void CC_CALLBACK on_event(void *user_data, const char *event_json) {
    (void)user_data;
    char type[32], state[32];
    json_field(event_json, "msg_type", type, sizeof type);
    json_field(event_json, "state", state, sizeof state);
    pthread_mutex_lock(&mu);
    if (strcmp(type, "rtc_registration") == 0 && strcmp(state, "registered") == 0) registered = 1;
    if (strcmp(type, "callin") == 0) json_field(event_json, "uuid", callin_uuid, sizeof callin_uuid);
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mu);
    if (strcmp(type, "log") != 0 && strcmp(type, "rtc_stats") != 0) printf("event  %.160s\n", event_json);
}

/* The customer's voice as the agent hears it, 20 ms at a time, on a media
 * thread: count it (a softphone would play it on its speaker). */
static void CC_CALLBACK on_speaker(void *user_data, const char *uuid, const int16_t *samples, size_t count, int rate) {
    (void)user_data; (void)uuid; (void)samples; (void)count; (void)rate;
    pthread_mutex_lock(&mu);
    heard_frames++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mu);
}

static int http(const char *addr, const char *method, const char *path, const char *body, char *out, size_t n) {
    char host[64];
    int port;
    if (sscanf(addr, "%63[^:]:%d", host, &port) != 2) return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { close(fd); return -1; }
    char req[1024];
    int len = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", method, path, addr, strlen(body), body);
    int ok = write(fd, req, len) == len;
    size_t got = 0;
    ssize_t r;
    while (out && (r = read(fd, out + got, n - 1 - got)) > 0) got += r;
    if (out) out[got] = 0;
    close(fd);
    return ok ? 0 : -1;
}

static int write_greeting(const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    const int rate = 16000, n = rate * 3;
    uint32_t data = n * 2, riff = 36 + data, fmt = 16, brate = rate * 2, srate = rate;
    uint16_t pcm = 1, ch = 1, align = 2, bits = 16;
    fwrite("RIFF", 1, 4, f); fwrite(&riff, 4, 1, f); fwrite("WAVEfmt ", 1, 8, f);
    fwrite(&fmt, 4, 1, f); fwrite(&pcm, 2, 1, f); fwrite(&ch, 2, 1, f); fwrite(&srate, 4, 1, f);
    fwrite(&brate, 4, 1, f); fwrite(&align, 2, 1, f); fwrite(&bits, 2, 1, f);
    fwrite("data", 1, 4, f); fwrite(&data, 4, 1, f);
    for (int i = 0; i < n; i++) {
        double hz = (i / (rate / 2)) % 2 ? 660 : 440; /* a chime: 440 Hz, 660 Hz, ... */
        int16_t v = (int16_t)(8000 * sin(2 * M_PI * hz * i / rate));
        fwrite(&v, 2, 1, f);
    }
    return fclose(f);
}

static int ok_reply(int st, char *reply, const char *what) {
    int ok = st == CC_OK && reply && strstr(reply, "\"code\":\"0\"");
    if (!ok) fprintf(stderr, "%s failed: %s %s\n", what, cc_status_str(st), reply ? reply : "");
    else printf("reply  %s ok\n", what);
    cc_string_free(reply);
    return ok;
}

static int request(cc_client_t *c, const char *what, const char *json) {
    char *reply = NULL;
    int st = cc_client_request(c, json, 10000, &reply);
    return ok_reply(st, reply, what);
}

static int media(cc_client_t *c, const char *what, const char *params) {
    char *reply = NULL;
    int st = cc_client_media(c, what, params, &reply);
    return ok_reply(st, reply, what);
}

/* wait_for waits until *flag reaches min or seconds pass. */
static int wait_for(const long *lflag, const int *iflag, long min, int seconds) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += seconds;
    pthread_mutex_lock(&mu);
    while ((lflag ? *lflag : *iflag) < min)
        if (pthread_cond_timedwait(&cond, &mu, &dl) != 0) break;
    int ok = (lflag ? *lflag : *iflag) >= min;
    pthread_mutex_unlock(&mu);
    return ok;
}

int main(int argc, char **argv) {
    const char *addr = argc > 1 ? argv[1] : "127.0.0.1:8090";
    const char *greeting = argc > 2 ? argv[2] : "greeting.wav";
    const char *record = argc > 3 ? argv[3] : "customer.wav";
    const char *pwd = getenv("CLOUDCC_AGENT_PWD");
    if (!pwd) pwd = "919191Aa."; /* the demo agent's password in ccsim */
    if (argc <= 2 && write_greeting(greeting) != 0) { perror(greeting); return 1; }

    char cfg[512];
    snprintf(cfg, sizeof cfg, "{\"ws_url\":\"ws://%s/msg/\",\"company_code\":\"090008\",\"agent_id\":\"090008_6010\",\"ext_id\":\"090008_6010\","
             "\"language\":\"en-US\"}", addr);
    cc_client_t *c = NULL;
    char *err = NULL;
    if (cc_client_new(cfg, &c, &err) != CC_OK) { fprintf(stderr, "config: %s\n", err); cc_string_free(err); return 1; }
    cc_client_set_event_callback(c, on_event, NULL);

    char body[512];
    snprintf(body, sizeof body, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"%s\",\"start_status\":\"FREE\"}", pwd);
    int rc = 1;
    if (!request(c, "checkin", body)) goto out;
    if (!wait_for(NULL, &registered, 1, 10)) { fprintf(stderr, "the phone did not register\n"); goto out; }
    printf("phone  registered (login_type 1: the SDK carries the call's audio)\n");

    http(addr, "POST", "/admin/inbound", "{\"company_code\":\"090008\",\"agent_id\":\"090008_6010\","
         "\"caller_number\":\"18888888888\",\"callee_number\":\"4008001000\"}", NULL, 0);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 30;
    pthread_mutex_lock(&mu);
    while (!callin_uuid[0] && pthread_cond_timedwait(&cond, &mu, &dl) == 0) {}
    char uuid[128];
    snprintf(uuid, sizeof uuid, "%s", callin_uuid);
    pthread_mutex_unlock(&mu);
    if (!uuid[0]) { fprintf(stderr, "no inbound call\n"); goto out; }

    snprintf(body, sizeof body, "{\"msg_type\":\"answer\",\"uuid\":\"%s\"}", uuid);
    if (!request(c, "answer", body)) goto out;
    snprintf(body, sizeof body, "{\"uuid\":\"%s\",\"path\":\"%s\"}", uuid, greeting);
    if (!media(c, "play_wav", body)) goto out;
    snprintf(body, sizeof body, "{\"uuid\":\"%s\",\"path\":\"%s\"}", uuid, record);
    if (!media(c, "record_wav", body)) goto out;
    cc_client_set_pcm_sink(c, uuid, 16000, on_speaker, NULL);
    /* Let the greeting play: 2 s of the customer's audio reaches the speaker. */
    if (!wait_for(&heard_frames, NULL, 100, 10)) { fprintf(stderr, "no audio from the customer\n"); goto out; }

    char *reply = NULL;
    if (cc_client_media(c, "stats", NULL, &reply) == CC_OK) printf("stats  %s\n", reply);
    cc_string_free(reply);
    char path[256], snap[4096];
    snprintf(path, sizeof path, "/admin/rtc/calls/%s", uuid);
    http(addr, "GET", path, "", snap, sizeof snap);
    const char *tone = strstr(snap, "\"tone\":");
    printf("ccsim  the customer's side heard: %.80s\n", tone ? tone : "(no snapshot)");

    snprintf(body, sizeof body, "{\"msg_type\":\"hangup\",\"uuid\":\"%s\"}", uuid);
    if (!request(c, "hangup", body)) goto out;
    printf("media  played %s to the customer; recorded the customer's side to %s\n", greeting, record);
    if (!request(c, "checkout", "{\"msg_type\":\"checkout\"}")) goto out;
    rc = 0;
out:
    cc_client_free(c);
    return rc;
}
