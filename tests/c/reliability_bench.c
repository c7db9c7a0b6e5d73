/*
 * reliability_bench.c - resource figures of libcloudcc against cchostile,
 * for ./build.sh bench (figures, not pass/fail thresholds; the soak also
 * fails on a lost or doubled request).
 *
 *   reliability_bench HOST:PORT flood-callback   300k events, 2 ms handler: RSS growth
 *   reliability_bench HOST:PORT flood-poll       1000 events of 200 kB, nobody polling: RSS growth
 *   reliability_bench HOST:PORT reconnect-rate   links/s against a server that drops each link once up
 *   reliability_bench HOST:PORT free-latency     cc_client_free with a stalled handshake
 *   reliability_bench HOST:PORT soak [N]         N forced disconnects during requests
 *
 * Each mode prints one JSON line of figures last. It runs against any
 * build of the library (only config keys every build knows are used,
 * except the soak's reconnect_stable_ms, which a build without it ignores
 * as an error: run the soak on new builds only).
 */
#include <arpa/inet.h>
#include <dirent.h>
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

static const char *addr;


static long status_field(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':') v = atol(line + n + 1);
    if (f) fclose(f);
    return v;
}
static long rss_kb(void) { return status_field("VmRSS"); }
static long threads(void) { return status_field("Threads"); }
static long fds(void) {
    DIR *d = opendir("/proc/self/fd");
    long n = 0;
    while (d && readdir(d)) n++;
    if (d) closedir(d);
    return n - 3; /* ".", "..", and the DIR's own fd */
}

static long stat_of(const char *key) { return hostile_stat(addr, key); }

static cc_client_t *client_for(const char *path, const char *extra) {
    char cfg[2048];
    snprintf(cfg, sizeof cfg,
             "{\"ws_url\":\"ws://%s%s\",\"company_code\":\"c1\",\"agent_id\":\"c1_1\",\"ext_id\":\"c1_1\","
             "\"heartbeat_interval_ms\":-1,\"log_level\":\"off\",\"token\":\"cfg-token-0042\"%s%s}",
             addr, path, extra && extra[0] ? "," : "", extra ? extra : "");
    cc_client_t *c = NULL;
    char *err = NULL;
    if (cc_client_new(cfg, &c, &err) != CC_OK) {
        fprintf(stderr, "cc_client_new: %s\n", err ? err : "");
        exit(1);
    }
    return c;
}

/* ---- floods: peak RSS growth while events pile up ---- */

static atomic_long handled;
static void CC_CALLBACK slow_handler(void *ud, const char *json) {
    (void)ud;
    (void)json;
    atomic_fetch_add(&handled, 1);
    usleep(2000);
}

static void flood(int callback) {
    const int n = callback ? 300000 : 1000, size = callback ? 1000 : 200000;
    char path[128];
    snprintf(path, sizeof path, "/echo?events=%d&size=%d", n, size);
    long rss0 = rss_kb(), peak = rss0;
    cc_client_t *c = client_for(path, NULL);
    if (callback) cc_client_set_event_callback(c, slow_handler, NULL);
    long sent0 = stat_of("events");
    char *rep = NULL;
    cc_client_request(c, "{\"msg_type\":\"ping\"}", 10000, &rep);
    cc_string_free(rep);
    double t0 = now_ms();
    /* Until the server has sent everything and the client has read it (a
     * reply after the flood), sampling RSS; then a little longer. */
    while (stat_of("events") < sent0 + n && now_ms() - t0 < 120000) {
        long r = rss_kb();
        if (r > peak) peak = r;
        usleep(20000);
    }
    rep = NULL;
    cc_client_request(c, "{\"msg_type\":\"ping\"}", 60000, &rep);
    cc_string_free(rep);
    double settle = now_ms() + 2000;
    while (now_ms() < settle) {
        long r = rss_kb();
        if (r > peak) peak = r;
        usleep(20000);
    }
    long done = atomic_load(&handled);
    double t1 = now_ms();
    cc_client_free(c);
    double free_ms = now_ms() - t1;
    printf("{\"mode\":\"%s\",\"events\":%d,\"event_bytes\":%d,\"rss_before_mb\":%.1f,\"rss_peak_mb\":%.1f,"
           "\"rss_growth_mb\":%.1f,\"handled\":%ld,\"free_ms\":%.0f}\n",
           callback ? "flood-callback" : "flood-poll", n, size, rss0 / 1024.0, peak / 1024.0, (peak - rss0) / 1024.0,
           done, free_ms);
}

/* ---- reconnects/s against a server that drops every link ---- */

static void reconnect_rate(void) {
    const double window = 30000;
    long links0 = stat_of("links");
    /* Every link is closed at its 2nd request: the check-in is answered
     * (there is a session to restore), then each restore's link drops as
     * soon as it is up. Default backoff: 500 ms .. 30 s. */
    cc_client_t *c = client_for("/echo?drop_every=2", NULL);
    char *rep = NULL;
    cc_client_request(c, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"pw-1234567\"}", 2000, &rep);
    cc_string_free(rep);
    cc_client_request(c, "{\"msg_type\":\"ping\"}", 1000, &rep); /* dropped: the cycle starts */
    cc_string_free(rep);
    double t0 = now_ms();
    long at10 = -1;
    while (now_ms() - t0 < window) {
        usleep(100000);
        if (at10 < 0 && now_ms() - t0 >= 10000) at10 = stat_of("links") - links0;
    }
    long links = stat_of("links") - links0;
    cc_client_free(c);
    printf("{\"mode\":\"reconnect-rate\",\"window_s\":%.0f,\"links\":%ld,\"links_first_10s\":%ld,"
           "\"reconnects_per_s\":%.2f,\"reconnects_per_s_last_20s\":%.2f}\n",
           window / 1000, links, at10, links / (window / 1000), (links - at10) / 20.0);
}

/* ---- free latency with a stalled handshake ---- */

static void free_latency(void) {
    const int n = 20;
    double sum = 0, worst = 0;
    for (int i = 0; i < n; i++) {
        long s0 = stat_of("stalled");
        cc_client_t *c = client_for("/stall", NULL); /* default dial timeout: 10 s */
        char *rep = NULL;
        /* a 1 ms request starts the dial and gives up at once; the dial goes on */
        cc_client_request(c, "{\"msg_type\":\"ping\"}", 1, &rep);
        cc_string_free(rep);
        double end = now_ms() + 5000;
        while (stat_of("stalled") < s0 + 1 && now_ms() < end) usleep(1000);
        double t0 = now_ms();
        cc_client_free(c);
        double took = now_ms() - t0;
        sum += took;
        if (took > worst) worst = took;
    }
    printf("{\"mode\":\"free-latency\",\"runs\":%d,\"mean_ms\":%.1f,\"worst_ms\":%.1f}\n", n, sum / n, worst);
}

/* ---- soak: forced disconnects during requests ---- */

#define SOAK_MAX 400000
static atomic_int outcome[SOAK_MAX];
static atomic_long ok_n, lost_link_n, other_n, done_n;
static atomic_int last_other;

static void CC_CALLBACK soak_reply(void *ud, int st, const char *json) {
    (void)json;
    long i = (long)(intptr_t)ud;
    atomic_fetch_add(&outcome[i], 1);
    if (st == CC_OK) atomic_fetch_add(&ok_n, 1);
    else if (st == CC_ERR_CONNECTION_LOST) atomic_fetch_add(&lost_link_n, 1);
    else {
        atomic_fetch_add(&other_n, 1);
        atomic_store(&last_other, st);
    }
    atomic_fetch_add(&done_n, 1);
}

static void soak(long drops) {
    const int inflight = 8;
    long dropped0 = stat_of("dropped"), dups0 = stat_of("dup_req_ids");
    cc_client_t *c = client_for("/echo?drop_every=5",
                                "\"reconnect_min_ms\":1,\"reconnect_max_ms\":20,\"reconnect_stable_ms\":1000,"
                                "\"request_timeout_ms\":5000");
    char *rep = NULL;
    cc_client_request(c, "{\"msg_type\":\"checkin\",\"agent_pwd\":\"soak-password\"}", 5000, &rep);
    cc_string_free(rep);
    long submitted = 0;
    long rss[12], thr[12], fd[12];
    int samples = 0;
    double t0 = now_ms();
    while (stat_of("dropped") - dropped0 < drops && submitted < SOAK_MAX) {
        long d = stat_of("dropped") - dropped0;
        if (samples < 12 && d >= (drops / 10) * samples) {
            rss[samples] = rss_kb(), thr[samples] = threads(), fd[samples] = fds();
            samples++;
        }
        while (submitted - atomic_load(&done_n) < inflight && submitted < SOAK_MAX) {
            if (cc_client_request_async(c, "{\"msg_type\":\"ping\"}", 5000, soak_reply, (void *)(intptr_t)submitted) ==
                CC_OK)
                submitted++;
            else
                break;
        }
        usleep(200);
    }
    double end = now_ms() + 30000;
    while (atomic_load(&done_n) < submitted && now_ms() < end) usleep(1000);
    double secs = (now_ms() - t0) / 1000;
    if (samples < 12) rss[samples] = rss_kb(), thr[samples] = threads(), fd[samples] = fds(), samples++;
    long lost = 0, doubled = 0;
    for (long i = 0; i < submitted; i++) {
        int n = atomic_load(&outcome[i]);
        if (n == 0) lost++;
        if (n > 1) doubled++;
    }
    cc_client_free(c);
    long dups = stat_of("dup_req_ids") - dups0;
    printf("soak samples (every %ld drops): rss_mb threads fds\n", drops / 10);
    for (int i = 0; i < samples; i++) printf("  %2d  %6.1f %4ld %4ld\n", i, rss[i] / 1024.0, thr[i], fd[i]);
    printf("{\"mode\":\"soak\",\"disconnects\":%ld,\"seconds\":%.1f,\"requests\":%ld,\"ok\":%ld,\"connection_lost\":%ld,"
           "\"other\":%ld,\"last_other_status\":%d,\"lost\":%ld,\"doubled\":%ld,\"server_duplicate_req_ids\":%ld,"
           "\"rss_mb_first\":%.1f,\"rss_mb_last\":%.1f,\"threads_first\":%ld,\"threads_last\":%ld,"
           "\"fds_first\":%ld,\"fds_last\":%ld}\n",
           stat_of("dropped") - dropped0, secs, submitted, atomic_load(&ok_n), atomic_load(&lost_link_n),
           atomic_load(&other_n), atomic_load(&last_other), lost, doubled, dups, rss[1] / 1024.0,
           rss[samples - 1] / 1024.0, thr[1], thr[samples - 1], fd[1], fd[samples - 1]);
    if (lost || doubled || dups) exit(1);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST:PORT flood-callback|flood-poll|reconnect-rate|free-latency|soak [N]\n", argv[0]);
        return 2;
    }
    addr = argv[1];
    const char *mode = argv[2];
    if (strcmp(mode, "flood-callback") == 0) flood(1);
    else if (strcmp(mode, "flood-poll") == 0) flood(0);
    else if (strcmp(mode, "reconnect-rate") == 0) reconnect_rate();
    else if (strcmp(mode, "free-latency") == 0) free_latency();
    else if (strcmp(mode, "soak") == 0) soak(argc > 3 ? atol(argv[3]) : 1000);
    else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
