/*
 * adm_out.c: speedy-admin list's and status's output: tables for a
 * terminal, JSON, and OpenMetrics text (see adm_out.h).
 *
 * Whatever came from a queue file is escaped for where it goes: \ooo for
 * a terminal (text), \u00XX in JSON (json_str), U+FFFD in an OpenMetrics
 * label (om_label), so that no script path can move the cursor or make
 * the output invalid.
 */
#include <sys/types.h>

#include <err.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "adm.h"
#include "adm_out.h"
#include "queue.h"
#include "util.h"

/* ---------------------------------------------------------- names */

/* The name of uid, or its number. */
static const char *
user_name(uid_t uid)
{
	static char name[64];
	static uid_t last = (uid_t)-1;
	struct passwd *pw;

	if (uid == last)
		return name;
	if ((pw = getpwuid(uid)) == NULL ||
	    util_strlcpy(name, pw->pw_name, sizeof(name)) == -1)
		(void)util_fmt(name, sizeof(name), "%u", (unsigned)uid);
	last = uid;
	return name;
}

/* ---------------------------------------------------------- escaping */

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	uint32_t c;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond Unicode are not UTF-8. */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

/*
 * s for a terminal: control characters (C1 too), bytes that are not UTF-8
 * and backslashes as \ooo or \\ (vis(3) style), so that a script path
 * cannot move the cursor.  buf holds 4 bytes per byte of s, and a NUL.
 */
static const char *
text(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0, left = strlen(s), k;

	while (left > 0 && n + 9 <= len) {
		k = utf8_len(p, left);
		if (k == 0 || *p < 0x20 || *p == 0x7f ||
		    (k == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			k = k == 0 ? 1 : k;
			for (; k > 0; k--, p++, left--)
				n += (size_t)snprintf(buf + n, len - n,
				    "\\%03o", *p);
			continue;
		}
		if (*p == '\\')
			buf[n++] = '\\';
		for (; k > 0; k--, left--)
			buf[n++] = (char)*p++;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * s as a JSON string.  A byte that is not part of valid UTF-8 becomes
 * \u00XX (the character of that number), so the output is always valid.
 */
static void
json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;

	putchar('"');
	while (n > 0) {
		if (*p == '"' || *p == '\\') {
			printf("\\%c", *p);
			len = 1;
		} else if (*p < 0x20 || *p == 0x7f ||
		    (len = utf8_len(p, n)) == 0) {
			printf("\\u%04x", *p);
			len = 1;
		} else
			(void)fwrite(p, 1, len, stdout);
		p += len;
		n -= len;
	}
	putchar('"');
}

/*
 * s as an OpenMetrics label value: backslash, double quote and newline
 * escaped; a byte that is not valid UTF-8 becomes U+FFFD, as the format
 * has no escape for bytes.
 */
static void
om_label(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;

	while (n > 0) {
		len = 1;
		if (*p == '\\' || *p == '"')
			printf("\\%c", *p);
		else if (*p == '\n')
			printf("\\n");
		else if ((len = utf8_len(p, n)) == 0) {
			printf("\xef\xbf\xbd");
			len = 1;
		} else
			(void)fwrite(p, 1, len, stdout);
		p += len;
		n -= len;
	}
}

/* ---------------------------------------------------------- list */

/* A duration: 45s, 12m03s, 3h02m, 2d05h. */
static const char *
dur(int64_t secs, char *buf, size_t len)
{
	long long s = secs < 0 ? 0 : (long long)secs;

	if (s < 60)
		(void)util_fmt(buf, len, "%llds", s);
	else if (s < 3600)
		(void)util_fmt(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		(void)util_fmt(buf, len, "%lldh%02lldm", s / 3600,
		    s / 60 % 60);
	else
		(void)util_fmt(buf, len, "%lldd%02lldh", s / 86400,
		    s / 3600 % 24);
	return buf;
}

/*
 * The TIME column: how long an idle backend has waited, how long the
 * current request has run; nothing for parents and reservations.
 */
static const char *
row_time(const struct queue_slot *s, int64_t now, char *buf, size_t len)
{
	int64_t since;

	switch (s->state) {
	case QS_IDLE:
	case QS_BUSY:
	case QS_DRAINING:
		break;
	default:
		return "-";
	}
	if (s->state != QS_IDLE && s->fe_pid > 0)
		since = s->last_start;
	else
		since = s->last_end != 0 ? s->last_end : s->started;
	return dur(now - since, buf, len);
}

void
out_list_table(const struct rows *rs)
{
	char group[4 * QUEUE_GROUPLEN + 1], script[4 * QUEUE_SCRIPTLEN + 1];
	char age[32], tm[32], fe[16];
	const struct queue_slot *s;
	int64_t now = (int64_t)time(NULL);
	size_t i;

	printf("%-10s %-12s %8s %-8s %6s %7s %7s %8s %s\n", "USER", "GROUP",
	    "PID", "STATE", "RUNS", "AGE", "TIME", "FE", "SCRIPT");
	for (i = 0; i < rs->n; i++) {
		s = &rs->v[i].slot;
		if (s->fe_pid > 0)
			(void)util_fmt(fe, sizeof(fe), "%d", (int)s->fe_pid);
		else
			(void)util_strlcpy(fe, "-", sizeof(fe));
		printf("%-10s %-12s %8d %-8s %6u %7s %7s %8s %s\n",
		    user_name(rs->v[i].uid),
		    text(s->key.group, group, sizeof(group)), (int)s->pid,
		    queue_state_name(s->state), (unsigned)s->runs,
		    dur(now - s->started, age, sizeof(age)),
		    row_time(s, now, tm, sizeof(tm)), fe,
		    text(s->script, script, sizeof(script)));
	}
}

/* The members "user", "uid" and "group" of a JSON object. */
static void
json_owner(uid_t uid, const char *group)
{
	printf("\"user\":");
	json_str(user_name(uid));
	printf(",\"uid\":%u,\"group\":", (unsigned)uid);
	json_str(group);
}

void
out_list_json(const struct rows *rs)
{
	const struct queue_slot *s;
	size_t i;

	printf("{\"backends\":[");
	for (i = 0; i < rs->n; i++) {
		s = &rs->v[i].slot;
		printf("%s\n{\"pid\":%d,", i > 0 ? "," : "", (int)s->pid);
		json_owner(rs->v[i].uid, s->key.group);
		printf(",\"script\":");
		json_str(s->script);
		printf(",\"state\":\"%s\",\"runs\":%u,\"started\":%lld,"
		    "\"last_used\":", queue_state_name(s->state),
		    (unsigned)s->runs, (long long)s->started);
		if (s->last_end != 0)
			printf("%lld", (long long)s->last_end);
		else
			printf("null");
		if (s->fe_pid > 0)
			printf(",\"fe_pid\":%d", (int)s->fe_pid);
		else
			printf(",\"fe_pid\":null");
		printf(",\"tmpbase\":");
		json_str(rs->v[i].tmpbase);
		putchar('}');
	}
	printf("%s]}\n", rs->n > 0 ? "\n" : "");
}

/* ---------------------------------------------------------- status */

/* Backend processes (and places reserved for them), not parents. */
static unsigned
nbackends(const struct gstat *g)
{
	return g->nstate[QS_STARTING] + g->nstate[QS_IDLE] +
	    g->nstate[QS_BUSY] + g->nstate[QS_DRAINING];
}

void
out_status_table(const struct gstats *gs)
{
	char group[4 * QUEUE_GROUPLEN + 1];
	const struct gstat *g;
	size_t i;

	printf("%-10s %-12s %8s %5s %5s %8s %7s %7s %9s %7s %8s\n", "USER",
	    "GROUP", "BACKENDS", "IDLE", "BUSY", "DRAINING", "PARENTS",
	    "WAITING", "REQUESTS", "MAXHIT", "STARTED");
	for (i = 0; i < gs->n; i++) {
		g = &gs->v[i];
		printf("%-10s %-12s %8u %5u %5u %8u %7u %7u %9llu %7llu "
		    "%8llu\n", user_name(g->uid),
		    text(g->group, group, sizeof(group)), nbackends(g),
		    g->nstate[QS_IDLE], g->nstate[QS_BUSY],
		    g->nstate[QS_DRAINING], g->nstate[QS_PARENT],
		    (unsigned)g->n[G_WAITING],
		    (unsigned long long)g->n[G_REQUESTS],
		    (unsigned long long)g->n[G_MAXHIT],
		    (unsigned long long)g->n[G_SPAWNED]);
	}
}

void
out_status_json(const struct gstats *gs)
{
	const struct gstat *g;
	size_t i;

	printf("{\"groups\":[");
	for (i = 0; i < gs->n; i++) {
		g = &gs->v[i];
		printf("%s\n{", i > 0 ? "," : "");
		json_owner(g->uid, g->group);
		printf(",\"backends\":%u,\"starting\":%u,\"idle\":%u,"
		    "\"busy\":%u,\"draining\":%u,\"parents\":%u,"
		    "\"spawning\":%u,\"waiting\":%u,\"requests\":%llu,"
		    "\"maxbackends_reached\":%llu,\"backends_started\":%llu}",
		    nbackends(g), g->nstate[QS_STARTING], g->nstate[QS_IDLE],
		    g->nstate[QS_BUSY], g->nstate[QS_DRAINING],
		    g->nstate[QS_PARENT], g->nstate[QS_SPAWNING],
		    (unsigned)g->n[G_WAITING],
		    (unsigned long long)g->n[G_REQUESTS],
		    (unsigned long long)g->n[G_MAXHIT],
		    (unsigned long long)g->n[G_SPAWNED]);
	}
	printf("%s]}\n", gs->n > 0 ? "\n" : "");
}

/* The labels of g: {user="..",group=".." then extra, if any. */
static void
om_labels(const struct gstat *g, const char *extra)
{
	printf("{user=\"");
	om_label(user_name(g->uid));
	printf("\",group=\"");
	om_label(g->group);
	printf("\"%s}", extra);
}

/*
 * One metric family.  Counter samples end in _total; the family name in
 * TYPE and HELP does not (OpenMetrics 1.0, "Counter").
 */
static void
om_family(const struct gstats *gs, const char *name, const char *type,
    const char *help, int counter)
{
	size_t i;

	printf("# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
	for (i = 0; i < gs->n; i++) {
		printf("%s%s", name, strcmp(type, "counter") == 0 ?
		    "_total" : "");
		om_labels(&gs->v[i], "");
		printf(" %llu\n", (unsigned long long)gs->v[i].n[counter]);
	}
}

void
out_status_openmetrics(const struct gstats *gs)
{
	char extra[64];
	size_t i;
	int st;

	printf("# TYPE speedy_backends gauge\n"
	    "# HELP speedy_backends Backend processes and parents by state.\n");
	for (i = 0; i < gs->n; i++)
		for (st = QS_FREE + 1; st < QS__COUNT; st++) {
			(void)util_fmt(extra, sizeof(extra), ",state=\"%s\"",
			    queue_state_name(st));
			printf("speedy_backends");
			om_labels(&gs->v[i], extra);
			printf(" %u\n", gs->v[i].nstate[st]);
		}
	om_family(gs, "speedy_waiting_frontends", "gauge",
	    "Frontends waiting because MaxBackends backends are busy.",
	    G_WAITING);
	om_family(gs, "speedy_requests", "counter", "Requests completed.",
	    G_REQUESTS);
	om_family(gs, "speedy_maxbackends_reached", "counter",
	    "Times a request had to wait because MaxBackends was reached.",
	    G_MAXHIT);
	om_family(gs, "speedy_backends_started", "counter",
	    "Backends started or forked.", G_SPAWNED);
	printf("# EOF\n");
}

/* ---------------------------------------------------------- flushing */

int
out_finish(int fail)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("stdout");
		return ADM_EXIT_FAIL;
	}
	return fail ? ADM_EXIT_FAIL : ADM_EXIT_OK;
}
