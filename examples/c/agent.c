/*
 * agent.c - an agent session through the CloudCC C ABI: check in, take an
 * inbound call, hold and resume it, hang up, check out.
 *
 *   cc -Iinclude examples/c/agent.c -Lbuild/lib -lcloudcc -lpthread -o agent
 *   ./agent 127.0.0.1:8090            # against ccsim (it places the call)
 *
 * Against ccsim the program asks the simulator's admin API to have a
 * customer call the agent; against a real platform, call the agent instead.
 * The ws_url ends in "/" as the platform's does ("ws://host:25001/msg/"): the
 * library appends the agent's identity, the handshake the platform requires.
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

/* The callback stores the inbound call's uuid; main waits for it. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static char callin_uuid[128];

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

/* Runs on a library thread, one event at a time; event_json is only valid
 * during the call, so copy what you need. */
static void CC_CALLBACK on_event(void *user_data, const char *event_json) {
    (void)user_data;
    char type[32];
    json_field(event_json, "msg_type", type, sizeof type);
    if (strcmp(type, "callin") == 0) {
        pthread_mutex_lock(&mu);
        json_field(event_json, "uuid", callin_uuid, sizeof callin_uuid);
        pthread_cond_signal(&cond);
        pthread_mutex_unlock(&mu);
    }
    if (strcmp(type, "log") != 0) printf("event  %.200s\n", event_json);
}

/* request sends one request and prints the reply; exits on failure. */
static void request(cc_client_t *c, const char *what, const char *json) {
    char *reply = NULL;
    int st = cc_client_request(c, json, 0, &reply);
    if (st != CC_OK || !strstr(reply, "\"code\":\"0\"")) {
        fprintf(stderr, "%s failed: %s %s\n", what, cc_status_str(st), reply ? reply : "");
        cc_string_free(reply);
        cc_client_free(c);
        exit(1);
    }
    printf("reply  %s ok\n", what);
    cc_string_free(reply); /* strings from the library go back through cc_string_free */
}

static int place_inbound_call(const char *addr) {
    char host[64];
    int port;
    if (sscanf(addr, "%63[^:]:%d", host, &port) != 2) return -1;
    const char *body = "{\"company_code\":\"090008\",\"agent_id\":\"090008_6000\","
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

int main(int argc, char **argv) {
    const char *addr = argc > 1 ? argv[1] : getenv("CCSIM_ADDR");
    if (!addr) addr = "127.0.0.1:8090";
    const char *pwd = getenv("CLOUDCC_AGENT_PWD");
    if (!pwd) pwd = "919191Aa."; /* the demo agent's password in ccsim */

    char config[512];
    snprintf(config, sizeof config,
             "{\"ws_url\":\"ws://%s/msg/\",\"http_url\":\"http://%s\",\"company_code\":\"090008\","
             "\"agent_id\":\"090008_6000\",\"ext_id\":\"090008_5000\",\"language\":\"en-US\"}",
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

    char checkin[256];
    snprintf(checkin, sizeof checkin, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"%s\",\"start_status\":\"FREE\"}", pwd);
    request(c, "checkin", checkin);

    if (place_inbound_call(addr) != 0) fprintf(stderr, "could not ask ccsim for a call; waiting for one\n");
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 60;
    pthread_mutex_lock(&mu);
    while (!callin_uuid[0]) {
        if (pthread_cond_timedwait(&cond, &mu, &deadline) != 0) break;
    }
    char uuid[128];
    snprintf(uuid, sizeof uuid, "%s", callin_uuid);
    pthread_mutex_unlock(&mu);
    if (!uuid[0]) {
        fprintf(stderr, "no inbound call within 60s\n");
        cc_client_free(c);
        return 1;
    }

    char body[256];
    snprintf(body, sizeof body, "{\"msg_type\":\"answer\",\"uuid\":\"%s\"}", uuid);
    request(c, "answer", body);
    snprintf(body, sizeof body, "{\"msg_type\":\"hold\",\"hold\":\"1\",\"uuid\":\"%s\"}", uuid);
    request(c, "hold", body);
    snprintf(body, sizeof body, "{\"msg_type\":\"hold\",\"hold\":\"0\",\"uuid\":\"%s\"}", uuid);
    request(c, "unhold", body);
    snprintf(body, sizeof body, "{\"msg_type\":\"hangup\",\"uuid\":\"%s\"}", uuid);
    request(c, "hangup", body);
    request(c, "checkout", "{\"msg_type\":\"checkout\"}");
    cc_client_free(c);
    return 0;
}
