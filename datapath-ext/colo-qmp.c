/*
 * Copyright (c) 2026 The ovs-colo authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

#include <config.h>

#include "colo-qmp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "colo-dpif-netdev.h"
#include "hash.h"
#include "latch.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/json.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovs-thread.h"
#include "reconnect.h"
#include "socket-util.h"
#include "stream.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(colo_qmp);

/* Reconnection backoff, in msec. */
#define QMP_MIN_BACKOFF 1000
#define QMP_MAX_BACKOFF 8000

/* A message longer than this ends the connection. */
#define QMP_MAX_MSG_LEN (1024 * 1024)

/* Bytes read at a time, and reads per turn of the poll loop. */
#define QMP_RECV_SIZE 4096
#define QMP_MAX_RECVS 64

enum qmp_state {
    QMP_DISCONNECTED,           /* Waiting to connect (backoff). */
    QMP_CONNECTING,             /* Connection in progress. */
    QMP_GREETING,               /* Connected, waiting for the greeting. */
    QMP_CAPABILITIES,           /* qmp_capabilities sent, no reply yet. */
    QMP_CONNECTED,              /* Negotiated: events flow. */
};

/* What a request asked, encoded in its "id" as "KIND:SEQ". */
enum qmp_request {
    QMP_REQ_CAPABILITIES,
    QMP_REQ_COLO_STATUS,
    QMP_REQ_STATUS,
    QMP_N_REQS
};

static const char *const qmp_requests[QMP_N_REQS] = {
    [QMP_REQ_CAPABILITIES] = "qmp_capabilities",
    [QMP_REQ_COLO_STATUS] = "query-colo-status",
    [QMP_REQ_STATUS] = "query-status",
};

/* One QMP link, for one zone of one datapath.
 *
 * Only the colo_qmp thread creates, changes and destroys clients.  It
 * changes the members marked "shown" with 'qmp_mutex' held, so that
 * colo-rewrite/show, in the main thread, can read them under the mutex;
 * the others are its own. */
struct qmp_client {
    struct hmap_node node;      /* In 'qmp_clients'. */
    char *dp_name;              /* Datapath name. */
    uint16_t zone;
    char *target;               /* Active stream name. */
    char *log_name;             /* "DP zone ZONE: QMP TARGET". */

    struct reconnect *reconnect;
    struct stream *stream;      /* Null if not connected. */
    struct json_parser *parser; /* The message being received, if any. */
    size_t msg_len;             /* Bytes fed into 'parser'. */
    struct ds output;           /* Bytes to send. */
    unsigned int seq;           /* Sequence number of the last request. */

    /* What decides whether a RESUME is a checkpoint. */
    unsigned int status_seq;    /* Replies to query-status requests from
                                 * this one on count for the next RESUME. */
    bool stopped_elsewhere;     /* Such a reply said that the VM stopped in
                                 * a status other than "colo". */
    unsigned int mode_seq;      /* Replies to query-colo-status requests
                                 * from this one on count. */

    /* Logging: the loss of a connection is logged once, and the first
     * failed attempt after it, not every retry. */
    bool failure_logged;

    /* Shown. */
    enum qmp_state state;
    char *mode;                 /* From query-colo-status, or "unknown". */
    char *last_mode;            /* Mode before the last COLO exit. */
    char *reason;               /* Reason of the last COLO exit. */
    char *status;               /* From query-status, or "unknown". */
    const char *last_event;     /* "STOP", "RESUME", "COLO_EXIT", "none". */
    unsigned long long int n_stop, n_resume, n_colo_exit;
    unsigned long long int n_checkpoints, n_failovers, n_no_dp;
    long long int ckpt_us_last; /* RESUME's arrival to the checkpoint's end, */
    long long int ckpt_us_max;  /* in usec. */
    long long int ckpt_us_sum;
};

/* Protects 'qmp_clients' (changed only by the colo_qmp thread), the shown
 * members of its clients, and the targets wanted. */
static struct ovs_mutex qmp_mutex = OVS_MUTEX_INITIALIZER;
static struct hmap qmp_clients OVS_GUARDED_BY(qmp_mutex)
    = HMAP_INITIALIZER(&qmp_clients);

/* The targets wanted, from colo_qmp_set_targets(), and whether the colo_qmp
 * thread has yet to apply them. */
static struct colo_qmp_target *qmp_targets OVS_GUARDED_BY(qmp_mutex);
static size_t qmp_n_targets OVS_GUARDED_BY(qmp_mutex);
static bool qmp_targets_changed OVS_GUARDED_BY(qmp_mutex);

/* Wakes the colo_qmp thread when the targets change. */
static struct latch qmp_latch;

static void qmp_client_lost(struct qmp_client *, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);

static uint32_t
qmp_hash(const char *dp_name, uint16_t zone)
{
    return hash_string(dp_name, zone);
}

static struct qmp_client *
qmp_client_find(const char *dp_name, uint16_t zone)
    OVS_REQUIRES(qmp_mutex)
{
    struct qmp_client *c;

    HMAP_FOR_EACH_WITH_HASH (c, node, qmp_hash(dp_name, zone),
                             &qmp_clients) {
        if (c->zone == zone && !strcmp(c->dp_name, dp_name)) {
            return c;
        }
    }
    return NULL;
}

static const char *
qmp_state_name(enum qmp_state state)
{
    switch (state) {
    case QMP_DISCONNECTED:
        return "disconnected";
    case QMP_CONNECTING:
        return "connecting";
    case QMP_GREETING:
    case QMP_CAPABILITIES:
        return "negotiating";
    case QMP_CONNECTED:
        return "connected";
    }
    return "unknown";
}

/* Sets '*field', a shown string of 'c', to a copy of 'value'. */
static void
qmp_client_set(char **field, const char *value)
    OVS_REQUIRES(qmp_mutex)
{
    if (strcmp(*field, value)) {
        free(*field);
        *field = xstrdup(value);
    }
}

/* Forgets what the last connection of 'c' said. */
static void
qmp_client_reset(struct qmp_client *c)
{
    ovs_mutex_lock(&qmp_mutex);
    qmp_client_set(&c->mode, "unknown");
    qmp_client_set(&c->status, "unknown");
    ovs_mutex_unlock(&qmp_mutex);

    json_parser_abort(c->parser);
    c->parser = NULL;
    c->msg_len = 0;
    ds_clear(&c->output);
    c->status_seq = 0;
    c->stopped_elsewhere = false;
    c->mode_seq = 0;
}

static void
qmp_client_set_state(struct qmp_client *c, enum qmp_state state)
{
    ovs_mutex_lock(&qmp_mutex);
    c->state = state;
    ovs_mutex_unlock(&qmp_mutex);
}

static struct qmp_client *
qmp_client_create(const struct colo_qmp_target *t)
{
    struct qmp_client *c = xzalloc(sizeof *c);

    c->dp_name = xstrdup(t->dp_name);
    c->zone = t->zone;
    c->target = xstrdup(t->target);
    c->log_name = xasprintf("%s zone %"PRIu16": QMP %s",
                            t->dp_name, t->zone, t->target);

    /* The client logs connections and their loss itself, once per outage;
     * reconnect only keeps the time. */
    c->reconnect = reconnect_create(time_msec());
    reconnect_set_name(c->reconnect, c->log_name);
    reconnect_set_quiet(c->reconnect, true);
    reconnect_set_backoff(c->reconnect, QMP_MIN_BACKOFF, QMP_MAX_BACKOFF);
    reconnect_set_probe_interval(c->reconnect, 0);
    reconnect_enable(c->reconnect, time_msec());

    ds_init(&c->output);
    c->state = QMP_DISCONNECTED;
    c->mode = xstrdup("unknown");
    c->last_mode = xstrdup("none");
    c->reason = xstrdup("none");
    c->status = xstrdup("unknown");
    c->last_event = "none";
    return c;
}

static void
qmp_client_destroy(struct qmp_client *c)
{
    if (c) {
        stream_close(c->stream);
        json_parser_abort(c->parser);
        reconnect_destroy(c->reconnect);
        ds_destroy(&c->output);
        free(c->dp_name);
        free(c->target);
        free(c->log_name);
        free(c->mode);
        free(c->last_mode);
        free(c->reason);
        free(c->status);
        free(c);
    }
}

/* Closes the stream of 'c' and lets reconnect back off. */
static void
qmp_client_close(struct qmp_client *c)
{
    stream_close(c->stream);
    c->stream = NULL;
    qmp_client_reset(c);
    qmp_client_set_state(c, QMP_DISCONNECTED);
    /* Errors are reported here, not by reconnect: see qmp_client_create(). */
    reconnect_disconnected(c->reconnect, time_msec(), 0);
}

/* Ends the connection of 'c', which reached QEMU, and says why, once. */
static void
qmp_client_lost(struct qmp_client *c, const char *format, ...)
{
    struct ds why = DS_EMPTY_INITIALIZER;
    va_list args;

    va_start(args, format);
    ds_put_format_valist(&why, format, args);
    va_end(args);
    VLOG_WARN("%s: connection lost (%s); reconnecting", c->log_name,
              ds_cstr(&why));
    ds_destroy(&why);

    c->failure_logged = false;
    qmp_client_close(c);
}

/* A connection attempt of 'c' failed with 'error' (an errno value). */
static void
qmp_client_connect_failed(struct qmp_client *c, int error)
{
    if (!c->failure_logged) {
        VLOG_INFO("%s: cannot connect (%s); retrying every %d to %d s",
                  c->log_name, ovs_strerror(error),
                  QMP_MIN_BACKOFF / 1000, QMP_MAX_BACKOFF / 1000);
        c->failure_logged = true;
    }
    qmp_client_close(c);
}

/* Sends as much of the output of 'c' as the stream takes. */
static void
qmp_client_flush(struct qmp_client *c)
{
    while (c->stream && c->output.length) {
        int retval = stream_send(c->stream, c->output.string,
                                 c->output.length);

        if (retval > 0) {
            size_t left = c->output.length - retval;

            memmove(c->output.string, c->output.string + retval, left);
            ds_truncate(&c->output, left);
        } else if (retval == -EAGAIN) {
            break;
        } else {
            qmp_client_lost(c, "%s", ovs_strerror(-retval));
        }
    }
}

/* Sends request 'req' and returns its sequence number. */
static unsigned int
qmp_client_request(struct qmp_client *c, enum qmp_request req)
{
    unsigned int seq = ++c->seq;
    struct json *msg;

    if (!c->stream) {
        return seq;
    }
    msg = json_object_create();
    json_object_put_string(msg, "execute", qmp_requests[req]);
    json_object_put(msg, "id",
                    json_string_create_nocopy(
                        xasprintf("%s:%u", qmp_requests[req], seq)));
    json_to_ds(msg, 0, &c->output);
    ds_put_cstr(&c->output, "\r\n");
    json_destroy(msg);

    qmp_client_flush(c);
    return seq;
}

/* Returns the string member 'name' of 'object', or NULL if it is not a
 * string or 'object' is not an object. */
static const char *
qmp_get_string(const struct json *object, const char *name)
{
    const struct json *value;

    if (!object || object->type != JSON_OBJECT) {
        return NULL;
    }
    value = shash_find_data(json_object(object), name);
    return value && value->type == JSON_STRING ? json_string(value) : NULL;
}

/* Runs the checkpoint of the zone of 'c' for a RESUME whose bytes arrived
 * at 'arrived' (time_usec()). */
static void
qmp_client_checkpoint(struct qmp_client *c, long long int arrived)
{
    unsigned int n;
    bool ok = colo_dp_checkpoint(c->dp_name, c->zone, &n);
    long long int us = time_usec() - arrived;

    ovs_mutex_lock(&qmp_mutex);
    if (ok) {
        c->n_checkpoints++;
        c->ckpt_us_last = us;
        c->ckpt_us_max = MAX(c->ckpt_us_max, us);
        c->ckpt_us_sum += us;
    } else {
        c->n_no_dp++;
    }
    ovs_mutex_unlock(&qmp_mutex);

    if (ok) {
        VLOG_DBG("%s: RESUME: checkpoint, %u connection%s reset, %lld us "
                 "after the RESUME arrived", c->log_name, n,
                 n == 1 ? "" : "s", us);
    } else {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

        VLOG_WARN_RL(&rl, "%s: RESUME: no datapath %s, checkpoint not run",
                     c->log_name, c->dp_name);
    }
}

static void
qmp_client_failover(struct qmp_client *c, const char *mode,
                    const char *reason)
{
    unsigned int n;
    bool ok = colo_dp_failover(c->dp_name, c->zone, &n);

    ovs_mutex_lock(&qmp_mutex);
    if (ok) {
        c->n_failovers++;
    } else {
        c->n_no_dp++;
    }
    ovs_mutex_unlock(&qmp_mutex);

    if (ok) {
        VLOG_WARN("%s: COLO_EXIT (mode %s, reason %s): failover, %u "
                  "connection%s still tracked, new ones not", c->log_name,
                  mode, reason, n, n == 1 ? "" : "s");
    } else {
        VLOG_WARN("%s: COLO_EXIT (mode %s, reason %s): no datapath %s, "
                  "failover not run", c->log_name, mode, reason, c->dp_name);
    }
}

static void
qmp_client_event(struct qmp_client *c, const char *event,
                 const struct json *data, long long int arrived)
{
    if (!strcmp(event, "STOP")) {
        ovs_mutex_lock(&qmp_mutex);
        c->n_stop++;
        c->last_event = "STOP";
        ovs_mutex_unlock(&qmp_mutex);

        /* Where did it stop?  Only the answer to this question, or a later
         * one, counts for the next RESUME. */
        c->stopped_elsewhere = false;
        c->status_seq = qmp_client_request(c, QMP_REQ_STATUS);
    } else if (!strcmp(event, "RESUME")) {
        bool entry = !strcmp(c->status, "inmigrate");
        bool checkpoint = (entry
                           || (!strcmp(c->mode, "secondary")
                               && !c->stopped_elsewhere));

        if (checkpoint) {
            qmp_client_checkpoint(c, arrived);
        } else {
            VLOG_DBG("%s: RESUME after a stop in status %s, mode %s: not a "
                     "checkpoint", c->log_name, c->status, c->mode);
        }

        ovs_mutex_lock(&qmp_mutex);
        c->n_resume++;
        c->last_event = "RESUME";
        qmp_client_set(&c->status, "running");
        ovs_mutex_unlock(&qmp_mutex);

        c->stopped_elsewhere = false;
        c->status_seq = c->seq + 1;
        qmp_client_request(c, QMP_REQ_COLO_STATUS);
    } else if (!strcmp(event, "COLO_EXIT")) {
        const char *mode = qmp_get_string(data, "mode");
        const char *reason = qmp_get_string(data, "reason");

        mode = mode ? mode : "unknown";
        reason = reason ? reason : "unknown";
        qmp_client_failover(c, mode, reason);

        /* The mode is "none" now, whatever an answer to a question asked
         * before says. */
        c->mode_seq = c->seq + 1;

        ovs_mutex_lock(&qmp_mutex);
        c->n_colo_exit++;
        c->last_event = "COLO_EXIT";
        qmp_client_set(&c->mode, "none");
        qmp_client_set(&c->last_mode, mode);
        qmp_client_set(&c->reason, reason);
        ovs_mutex_unlock(&qmp_mutex);
    } else {
        VLOG_DBG("%s: event %s ignored", c->log_name, event);
    }
}

/* Parses the "id" of a reply into '*req' and '*seq'.  Returns false if it
 * is not the id of one of our requests. */
static bool
qmp_parse_id(const struct json *id, enum qmp_request *req, unsigned int *seq)
{
    const char *s = id && id->type == JSON_STRING ? json_string(id) : NULL;
    const char *colon = s ? strrchr(s, ':') : NULL;

    if (!colon || !str_to_uint(colon + 1, 10, seq)) {
        return false;
    }
    for (int i = 0; i < QMP_N_REQS; i++) {
        if (strlen(qmp_requests[i]) == colon - s
            && !strncmp(s, qmp_requests[i], colon - s)) {
            *req = i;
            return true;
        }
    }
    return false;
}

static void
qmp_client_reply(struct qmp_client *c, const struct shash *msg)
{
    const struct json *ret = shash_find_data(msg, "return");
    const struct json *error = shash_find_data(msg, "error");
    const char *desc = qmp_get_string(error, "desc");
    enum qmp_request req;
    unsigned int seq;

    if (!qmp_parse_id(shash_find_data(msg, "id"), &req, &seq)) {
        VLOG_DBG("%s: reply to a request that is not ours ignored",
                 c->log_name);
        return;
    }

    if (error || !ret) {
        desc = desc ? desc : "no reason given";
        if (req == QMP_REQ_CAPABILITIES) {
            qmp_client_lost(c, "qmp_capabilities failed: %s", desc);
        } else {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

            VLOG_WARN_RL(&rl, "%s: %s failed: %s", c->log_name,
                         qmp_requests[req], desc);
        }
        return;
    }

    switch (req) {
    case QMP_REQ_CAPABILITIES:
        VLOG_INFO("%s: connected", c->log_name);
        c->failure_logged = false;
        qmp_client_set_state(c, QMP_CONNECTED);
        qmp_client_request(c, QMP_REQ_COLO_STATUS);
        c->status_seq = qmp_client_request(c, QMP_REQ_STATUS);
        break;

    case QMP_REQ_COLO_STATUS: {
        const char *mode = qmp_get_string(ret, "mode");
        const char *last_mode = qmp_get_string(ret, "last-mode");
        const char *reason = qmp_get_string(ret, "reason");

        if (seq < c->mode_seq) {
            break;
        }
        ovs_mutex_lock(&qmp_mutex);
        if (mode) {
            qmp_client_set(&c->mode, mode);
        }
        /* QEMU 7.x and later. */
        if (last_mode) {
            qmp_client_set(&c->last_mode, last_mode);
        }
        if (reason) {
            qmp_client_set(&c->reason, reason);
        }
        ovs_mutex_unlock(&qmp_mutex);
        break;
    }

    case QMP_REQ_STATUS: {
        const char *status = qmp_get_string(ret, "status");

        /* An answer to a question asked before the last RESUME is older
         * than that RESUME, which said "running". */
        if (status && seq >= c->status_seq) {
            ovs_mutex_lock(&qmp_mutex);
            qmp_client_set(&c->status, status);
            ovs_mutex_unlock(&qmp_mutex);

            c->stopped_elsewhere = (strcmp(status, "colo")
                                    && strcmp(status, "running"));
        }
        break;
    }

    case QMP_N_REQS:
    default:
        OVS_NOT_REACHED();
    }
}

/* Handles 'msg', a complete JSON value received by 'c' in bytes that
 * arrived at 'arrived' (time_usec()). */
static void
qmp_client_handle(struct qmp_client *c, const struct json *msg,
                  long long int arrived)
{
    const struct shash *obj;
    const char *event;

    if (msg->type != JSON_OBJECT) {
        qmp_client_lost(c, "QEMU sent a JSON %s, not an object",
                        json_type_to_string(msg->type));
        return;
    }
    obj = json_object(msg);

    if (c->state == QMP_GREETING) {
        if (!shash_find(obj, "QMP")) {
            qmp_client_lost(c, "the first message is not a QMP greeting");
            return;
        }
        qmp_client_set_state(c, QMP_CAPABILITIES);
        qmp_client_request(c, QMP_REQ_CAPABILITIES);
        return;
    }

    event = qmp_get_string(msg, "event");
    if (event) {
        qmp_client_event(c, event, shash_find_data(obj, "data"), arrived);
    } else if (shash_find(obj, "return") || shash_find(obj, "error")) {
        qmp_client_reply(c, obj);
    } else {
        VLOG_DBG("%s: message that is neither an event nor a reply ignored",
                 c->log_name);
    }
}

/* Receives and handles what QEMU sent to 'c'. */
static void
qmp_client_recv(struct qmp_client *c)
{
    for (int i = 0; c->stream && i < QMP_MAX_RECVS; i++) {
        char buf[QMP_RECV_SIZE];
        int retval = stream_recv(c->stream, buf, sizeof buf);
        long long int arrived;
        size_t ofs;

        if (retval == -EAGAIN) {
            return;
        } else if (retval <= 0) {
            qmp_client_lost(c, "%s", (retval
                                      ? ovs_strerror(-retval)
                                      : "closed by QEMU"));
            return;
        }

        /* The time at which the bytes of a RESUME in 'buf' arrived. */
        arrived = time_usec();
        reconnect_activity(c->reconnect, time_msec());

        for (ofs = 0; c->stream && ofs < retval; ) {
            size_t used;

            if (!c->parser) {
                c->parser = json_parser_create(0);
                c->msg_len = 0;
            }
            used = json_parser_feed(c->parser, buf + ofs, retval - ofs);
            ofs += used;
            c->msg_len += used;

            if (json_parser_is_done(c->parser)) {
                struct json *msg = json_parser_finish(c->parser);

                c->parser = NULL;
                if (msg->type == JSON_STRING) {
                    qmp_client_lost(c, "QEMU sent something that is not "
                                    "JSON: %s", json_string(msg));
                } else {
                    qmp_client_handle(c, msg, arrived);
                }
                json_destroy(msg);
            } else if (c->msg_len > QMP_MAX_MSG_LEN) {
                qmp_client_lost(c, "message longer than %d bytes",
                                QMP_MAX_MSG_LEN);
            }
        }
    }
}

static void
qmp_client_run(struct qmp_client *c)
{
    if (c->stream) {
        stream_run(c->stream);
        if (c->state == QMP_CONNECTING) {
            int error = stream_connect(c->stream);

            if (!error) {
                reconnect_connected(c->reconnect, time_msec());
                qmp_client_set_state(c, QMP_GREETING);
            } else if (error != EAGAIN) {
                qmp_client_connect_failed(c, error);
            }
        }
        if (c->stream && c->state != QMP_CONNECTING) {
            qmp_client_recv(c);
            qmp_client_flush(c);
        }
    }

    switch (reconnect_run(c->reconnect, time_msec())) {
    case RECONNECT_CONNECT: {
        int error;

        stream_close(c->stream);
        c->stream = NULL;
        qmp_client_reset(c);
        reconnect_connecting(c->reconnect, time_msec());
        error = stream_open(c->target, &c->stream, DSCP_DEFAULT);
        if (error) {
            qmp_client_connect_failed(c, error);
        } else {
            qmp_client_set_state(c, QMP_CONNECTING);
        }
        break;
    }

    case RECONNECT_DISCONNECT:
        if (c->state == QMP_CONNECTING) {
            qmp_client_connect_failed(c, ETIMEDOUT);
        } else {
            qmp_client_lost(c, "%s", ovs_strerror(ETIMEDOUT));
        }
        break;

    case RECONNECT_PROBE:
    default:
        break;
    }
}

static void
qmp_client_wait(struct qmp_client *c)
{
    reconnect_wait(c->reconnect, time_msec());
    if (c->stream) {
        stream_run_wait(c->stream);
        if (c->state == QMP_CONNECTING) {
            stream_connect_wait(c->stream);
        } else {
            stream_recv_wait(c->stream);
            if (c->output.length) {
                stream_send_wait(c->stream);
            }
        }
    }
}

/* Applies the targets wanted, if they changed. */
static void
qmp_reconfigure(void)
{
    struct qmp_client *c;
    struct qmp_client **gone = NULL;
    size_t n_gone = 0, allocated_gone = 0;

    ovs_mutex_lock(&qmp_mutex);
    if (!qmp_targets_changed) {
        ovs_mutex_unlock(&qmp_mutex);
        return;
    }
    qmp_targets_changed = false;

    /* Close the links no longer wanted, or whose target changed. */
    HMAP_FOR_EACH_SAFE (c, node, &qmp_clients) {
        bool keep = false;

        for (size_t i = 0; i < qmp_n_targets; i++) {
            const struct colo_qmp_target *t = &qmp_targets[i];

            if (t->zone == c->zone && !strcmp(t->dp_name, c->dp_name)) {
                keep = !strcmp(t->target, c->target);
                break;
            }
        }
        if (!keep) {
            hmap_remove(&qmp_clients, &c->node);
            if (n_gone >= allocated_gone) {
                gone = x2nrealloc(gone, &allocated_gone, sizeof *gone);
            }
            gone[n_gone++] = c;
        }
    }

    /* Open the new ones. */
    for (size_t i = 0; i < qmp_n_targets; i++) {
        const struct colo_qmp_target *t = &qmp_targets[i];

        if (!qmp_client_find(t->dp_name, t->zone)) {
            c = qmp_client_create(t);
            hmap_insert(&qmp_clients, &c->node, qmp_hash(t->dp_name,
                                                         t->zone));
            VLOG_INFO("%s: link configured", c->log_name);
        }
    }
    ovs_mutex_unlock(&qmp_mutex);

    for (size_t i = 0; i < n_gone; i++) {
        VLOG_INFO("%s: link removed", gone[i]->log_name);
        qmp_client_destroy(gone[i]);
    }
    free(gone);
}

static void *
colo_qmp_main(void *arg OVS_UNUSED)
{
    for (;;) {
        struct qmp_client *c;

        latch_poll(&qmp_latch);
        qmp_reconfigure();

        /* Only this thread changes 'qmp_clients', so it may walk it without
         * the mutex. */
        HMAP_FOR_EACH (c, node, &qmp_clients) {
            qmp_client_run(c);
        }
        /* Wait only after every client ran: a checkpoint may run a poll
         * loop of its own (ovsrcu_synchronize()). */
        HMAP_FOR_EACH (c, node, &qmp_clients) {
            qmp_client_wait(c);
        }
        latch_wait(&qmp_latch);
        poll_block();
    }
    return NULL;
}

static void
qmp_targets_free(struct colo_qmp_target *targets, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(targets[i].dp_name);
        free(targets[i].target);
    }
    free(targets);
}

static bool
qmp_targets_equal(const struct colo_qmp_target *a, size_t n_a,
                  const struct colo_qmp_target *b, size_t n_b)
{
    if (n_a != n_b) {
        return false;
    }
    for (size_t i = 0; i < n_a; i++) {
        if (a[i].zone != b[i].zone || strcmp(a[i].dp_name, b[i].dp_name)
            || strcmp(a[i].target, b[i].target)) {
            return false;
        }
    }
    return true;
}

void
colo_qmp_set_targets(const struct colo_qmp_target *targets, size_t n)
{
    /* Called from the main thread only, so 'started' needs no lock. */
    static bool started;
    struct colo_qmp_target *copy;
    bool changed;

    /* The thread starts with the first link. */
    if (!started) {
        if (!n) {
            return;
        }
        latch_init(&qmp_latch);
        ovs_thread_create("colo_qmp", colo_qmp_main, NULL);
        started = true;
    }

    copy = xmalloc(MAX(n, 1) * sizeof *copy);
    for (size_t i = 0; i < n; i++) {
        copy[i].dp_name = xstrdup(targets[i].dp_name);
        copy[i].zone = targets[i].zone;
        copy[i].target = xstrdup(targets[i].target);
    }

    ovs_mutex_lock(&qmp_mutex);
    changed = !qmp_targets_equal(qmp_targets, qmp_n_targets, copy, n);
    if (changed) {
        qmp_targets_free(qmp_targets, qmp_n_targets);
        qmp_targets = copy;
        qmp_n_targets = n;
        qmp_targets_changed = true;
    }
    ovs_mutex_unlock(&qmp_mutex);

    if (changed) {
        latch_set(&qmp_latch);
    } else {
        qmp_targets_free(copy, n);
    }
}

char *
colo_qmp_check_target(const char *target)
{
    if (!strncmp(target, "unix:", 5)) {
        if (!target[5]) {
            return xstrdup("unix: needs a path");
        }
    } else if (!strncmp(target, "tcp:", 4)) {
        struct sockaddr_storage ss;

        if (!inet_parse_active(target + 4, -1, &ss, false, NULL)) {
            return xstrdup("expected tcp:IP:PORT");
        }
    } else {
        return xstrdup("expected unix:PATH or tcp:IP:PORT");
    }
    return (stream_verify_name(target)
            ? xstrdup("not a stream name OVS can open")
            : NULL);
}

size_t
colo_qmp_get_zones(const char *dp_name, uint16_t **zones)
{
    const struct qmp_client *c;
    size_t n = 0;

    ovs_mutex_lock(&qmp_mutex);
    *zones = xmalloc(MAX(hmap_count(&qmp_clients), 1) * sizeof **zones);
    HMAP_FOR_EACH (c, node, &qmp_clients) {
        if (!strcmp(c->dp_name, dp_name)) {
            (*zones)[n++] = c->zone;
        }
    }
    ovs_mutex_unlock(&qmp_mutex);

    return n;
}

void
colo_qmp_format_zone(const char *dp_name, uint16_t zone, struct ds *s)
{
    const struct qmp_client *c;

    ovs_mutex_lock(&qmp_mutex);
    c = qmp_client_find(dp_name, zone);
    if (c) {
        ds_put_format(s, "  qmp: %s state=%s mode=%s status=%s\n",
                      c->target, qmp_state_name(c->state), c->mode,
                      c->status);
        ds_put_format(s, "  qmp-exit: last-mode=%s reason=%s\n",
                      c->last_mode, c->reason);
        ds_put_format(s, "  qmp-events: stop=%llu resume=%llu "
                      "colo-exit=%llu\n",
                      c->n_stop, c->n_resume, c->n_colo_exit);
        ds_put_format(s, "  qmp-checkpoints: %llu\n", c->n_checkpoints);
        ds_put_format(s, "  qmp-failovers: %llu\n", c->n_failovers);
        ds_put_format(s, "  qmp-no-datapath: %llu\n", c->n_no_dp);
        ds_put_format(s, "  qmp-last-event: %s\n", c->last_event);
        ds_put_format(s, "  qmp-checkpoint-us: last=%lld max=%lld "
                      "mean=%lld\n", c->ckpt_us_last, c->ckpt_us_max,
                      (c->n_checkpoints
                       ? c->ckpt_us_sum / (long long int) c->n_checkpoints
                       : 0));
    }
    ovs_mutex_unlock(&qmp_mutex);
}
