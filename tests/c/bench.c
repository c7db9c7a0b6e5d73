/*
 * bench.c - request round trip and event-to-handler latency through the C
 * ABI, measured as cmd/ccbench measures the Go API (see there), against a
 * running ccsim. Prints one JSON line with "lang":"c".
 *
 *   bench 127.0.0.1:8090 5000
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloudcc.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static char last_status[16];
static long changes;

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void CC_CALLBACK on_event(void *ud, const char *json) {
    (void)ud;
    if (!strstr(json, "\"msg_type\":\"agent_change\"")) return;
    const char *p = strstr(json, "\"agent_status\":\"");
    pthread_mutex_lock(&mu);
    if (p) {
        p += strlen("\"agent_status\":\"");
        size_t i = 0;
        while (p[i] && p[i] != '"' && i + 1 < sizeof last_status) { last_status[i] = p[i]; i++; }
        last_status[i] = 0;
    }
    changes++;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&mu);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void stats(const char *name, double *v, int n, int last) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += v[i];
    qsort(v, n, sizeof *v, cmp);
    printf("\"%s_us\":%.3f,\"%s_p50_us\":%.3f,\"%s_p99_us\":%.3f%s", name, sum / n, name, v[n / 2], name,
           v[n * 99 / 100], last ? "" : ",");
}

static int req(cc_client_t *c, const char *json) {
    char *rep = NULL;
    int st = cc_client_request(c, json, 0, &rep);
    int ok = st == CC_OK && strstr(rep, "\"code\":\"0\"") != NULL;
    if (!ok) fprintf(stderr, "bench: %s -> %s\n", json, rep ? rep : "");
    cc_string_free(rep);
    return ok;
}

int main(int argc, char **argv) {
    const char *addr = argc > 1 ? argv[1] : "127.0.0.1:8090";
    int n = argc > 2 ? atoi(argv[2]) : 5000;
    char cfg[256];
    snprintf(cfg, sizeof cfg,
             "{\"ws_url\":\"ws://%s/ws\",\"company_code\":\"090008\",\"agent_id\":\"090008_6000\",\"ext_id\":\"090008_5000\","
             "\"heartbeat_interval_ms\":-1}", addr);
    cc_client_t *c = NULL;
    if (cc_client_new(cfg, &c, NULL) != CC_OK) return 1;
    cc_client_set_event_callback(c, on_event, NULL);
    if (!req(c, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"919191Aa.\",\"start_status\":\"FREE\",\"reset\":true}")) return 1;
    for (int i = 0; i < 500; i++)
        if (!req(c, "{\"msg_type\":\"ping\"}")) return 1;
    double *rtt = malloc(sizeof(double) * n), *ev = malloc(sizeof(double) * (n / 2));
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        if (!req(c, "{\"msg_type\":\"ping\"}")) return 1;
        rtt[i] = now_us() - t0;
    }
    for (int i = 0; i < n / 2; i++) {
        const char *want = i % 2 ? "FREE" : "BUSY";
        double t0 = now_us();
        if (!req(c, i % 2 ? "{\"msg_type\":\"change_status\",\"action\":\"MAKE_FREE\"}"
                          : "{\"msg_type\":\"change_status\",\"action\":\"MAKE_BUSY\"}"))
            return 1;
        pthread_mutex_lock(&mu);
        while (strcmp(last_status, want) != 0) pthread_cond_wait(&cond, &mu);
        pthread_mutex_unlock(&mu);
        ev[i] = now_us() - t0;
    }
    printf("{\"lang\":\"c\",\"n\":%d,", n);
    stats("rtt", rtt, n, 0);
    stats("event", ev, n / 2, 1);
    printf("}\n");
    cc_client_free(c);
    free(rtt);
    free(ev);
    return 0;
}
