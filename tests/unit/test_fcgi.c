/*
 * test_fcgi.c: unit tests for src/common/fcgi.c, the FastCGI codec.
 *
 * Streams are written out by hand (headers byte by byte, as the spec
 * lays them out), fed to a connection whole and in every smaller split,
 * and what it reports is compared.  The encoders are checked against the
 * reader and against hand-written bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"
#include "unit.h"

static char err[512];

/*
 * What nginx sends for "POST /app.pl?a=1&b=%20" with an 11-byte body and
 * fastcgi_keep_conn on: BEGIN_REQUEST, one PARAMS record padded to 8, the
 * empty PARAMS record, one STDIN record padded to 8, the empty STDIN.
 */
static const char nginx_req[] =
	/* BEGIN_REQUEST, id 1, 8 bytes: role RESPONDER, FCGI_KEEP_CONN. */
	"\1\1\0\1\0\10\0\0"
	"\0\1\1\0\0\0\0\0"
	/* PARAMS, id 1, 162 bytes of pairs and 6 of padding. */
	"\1\4\0\1\0\xa2\6\0"
	"\x0f\x0f" "SCRIPT_FILENAME" "/srv/www/app.pl"
	"\x0c\x09" "QUERY_STRING" "a=1&b=%20"
	"\x0e\x04" "REQUEST_METHOD" "POST"
	"\x0c\x21" "CONTENT_TYPE" "application/x-www-form-urlencoded"
	"\x0e\x02" "CONTENT_LENGTH" "11"
	"\x09\x0b" "HTTP_HOST" "example.org"
	"\0\0\0\0\0\0"
	/* The empty PARAMS record. */
	"\1\4\0\1\0\0\0\0"
	/* STDIN, id 1, 11 bytes and 5 of padding. */
	"\1\5\0\1\0\x0b\5\0"
	"a=1&b=hello"
	"\0\0\0\0\0"
	/* The empty STDIN record. */
	"\1\5\0\1\0\0\0\0";
#define NGINX_LEN	(sizeof(nginx_req) - 1)

static const char *const nginx_env[] = {
	"SCRIPT_FILENAME=/srv/www/app.pl",
	"QUERY_STRING=a=1&b=%20",
	"REQUEST_METHOD=POST",
	"CONTENT_TYPE=application/x-www-form-urlencoded",
	"CONTENT_LENGTH=11",
	"HTTP_HOST=example.org",
	NULL
};

/* Everything a connection reported for one stream. */
struct log {
	int		 rc;		/* -1 if it failed, else 0 */
	char		 err[512];
	char		 events[64];	/* event types as letters */
	size_t		 nev;
	int		 keep_conn;
	uint16_t	 id;		/* of the last event */
	int		 role;
	unsigned int	 values;
	int		 rtype;
	char		 env[FCGI_MAXPARAMS + 1];	/* lines */
	size_t		 envlen;
	size_t		 nenv;
	uint8_t		 body[1 << 18];
	size_t		 blen;
};

static struct log la, lb;
/* Set: run() leaves requests active, as a server still answering. */
static int no_end;

/* A byte stream being written by a test. */
struct sb {
	uint8_t		 b[1 << 21];
	size_t		 n;
};

static struct sb s1, s2;
static uint8_t big[1 << 20];

static void
log_event(struct log *l, const struct fcgi_event *ev)
{
	size_t i, n;

	if (l->nev < sizeof(l->events) - 1)
		l->events[l->nev++] = (char)('A' + ev->type - 1);
	l->id = ev->id;
	if (ev->type == FCGI_EV_BEGIN)
		l->keep_conn = ev->keep_conn;
	if (ev->type == FCGI_EV_UNKNOWN_ROLE)
		l->role = ev->role;
	if (ev->type == FCGI_EV_GET_VALUES)
		l->values = ev->values;
	if (ev->type == FCGI_EV_UNKNOWN_TYPE)
		l->rtype = ev->rtype;
	if (ev->type == FCGI_EV_PARAMS) {
		for (i = 0; i < ev->nenv; i++) {
			n = strlen(ev->env[i]);
			if (l->envlen + n + 1 >= sizeof(l->env))
				break;
			memcpy(l->env + l->envlen, ev->env[i], n);
			l->env[l->envlen + n] = '\n';
			l->envlen += n + 1;
		}
		l->nenv = ev->env[ev->nenv] == NULL ? ev->nenv : (size_t)-1;
	}
	if (ev->type == FCGI_EV_STDIN && l->blen + ev->len <= sizeof(l->body)) {
		memcpy(l->body + l->blen, ev->data, ev->len);
		l->blen += ev->len;
	}
}

/* Empties a log; its buffers are only read up to their lengths. */
static void
log_reset(struct log *l)
{
	l->rc = 0;
	l->err[0] = '\0';
	memset(l->events, 0, sizeof(l->events));
	l->nev = 0;
	l->keep_conn = l->role = l->rtype = 0;
	l->id = 0;
	l->values = 0;
	l->envlen = l->nenv = l->blen = 0;
}

/*
 * Feeds a stream to a new connection in pieces of chunk bytes (0: all at
 * once), as a server would: after the end of STDIN or an ABORT it sends
 * END_REQUEST and calls fcgi_conn_end.  At the end, fcgi_conn_eof.
 */
static void
run(struct log *l, const void *data, size_t len, size_t chunk)
{
	const uint8_t *p = data;
	struct fcgi_conn *c;
	struct fcgi_event ev;
	size_t off = 0, n, end, used;
	int r;

	log_reset(l);
	if ((c = fcgi_conn_new()) == NULL) {
		perror("fcgi_conn_new");
		exit(2);
	}
	if (chunk == 0)
		chunk = len > 0 ? len : 1;
	while (off < len) {
		end = len - off < chunk ? len : off + chunk;
		while (off < end) {
			n = end - off;
			r = fcgi_conn_feed(c, p + off, n, &used, &ev, l->err,
			    sizeof(l->err));
			if (r == -1) {
				l->rc = -1;
				goto out;
			}
			if (used > n || (r == 0 && used != n)) {
				l->rc = -2;
				goto out;
			}
			off += used;
			if (r == 1)
				log_event(l, &ev);
			if (r == 1 && !no_end &&
			    (ev.type == FCGI_EV_STDIN_END ||
			    ev.type == FCGI_EV_ABORT))
				fcgi_conn_end(c);
		}
	}
	if (fcgi_conn_eof(c, l->err, sizeof(l->err)) == -1)
		l->rc = -1;
out:
	fcgi_conn_free(c);
}

static int
same_log(const struct log *a, const struct log *b)
{
	return a->rc == b->rc && strcmp(a->err, b->err) == 0 &&
	    strcmp(a->events, b->events) == 0 && a->keep_conn == b->keep_conn &&
	    a->id == b->id && a->role == b->role && a->values == b->values &&
	    a->rtype == b->rtype && a->envlen == b->envlen &&
	    memcmp(a->env, b->env, a->envlen) == 0 && a->nenv == b->nenv &&
	    a->blen == b->blen && memcmp(a->body, b->body, a->blen) == 0;
}

/* Fails unless every split of the stream gives what it gives whole. */
static void
check_splits(const void *data, size_t len, size_t maxchunk, const char *what)
{
	size_t chunk;
	int ok = 1;

	run(&la, data, len, 0);
	for (chunk = 1; chunk <= maxchunk && chunk < len && ok; chunk++) {
		run(&lb, data, len, chunk);
		ok = same_log(&la, &lb);
		if (!ok)
			unit_diag("differs in pieces of %zu bytes", chunk);
	}
	CHECK(ok, "%s: the same in pieces of 1 to %zu bytes", what,
	    maxchunk < len ? maxchunk : len - 1);
}

static void
env_join(char *buf, size_t len, const char *const *env)
{
	size_t off = 0;

	buf[0] = '\0';
	for (; *env != NULL; env++)
		off += (size_t)snprintf(buf + off, len - off, "%s\n", *env);
}

/* Stream builders: records written header byte by header byte. */

static void
sb_reset(struct sb *s)
{
	s->n = 0;
}

static void
sb_raw(struct sb *s, const void *data, size_t len)
{
	if (s->n + len > sizeof(s->b)) {
		fprintf(stderr, "test stream too long\n");
		exit(2);
	}
	if (len > 0)
		memcpy(s->b + s->n, data, len);
	s->n += len;
}

static void
sb_rec(struct sb *s, int version, int type, unsigned int id,
    const void *content, size_t len, unsigned int pad)
{
	uint8_t h[8], zero[255] = { 0 };

	h[0] = (uint8_t)version;
	h[1] = (uint8_t)type;
	h[2] = (uint8_t)(id >> 8);
	h[3] = (uint8_t)id;
	h[4] = (uint8_t)(len >> 8);
	h[5] = (uint8_t)len;
	h[6] = (uint8_t)pad;
	h[7] = 0;
	sb_raw(s, h, 8);
	sb_raw(s, content, len);
	sb_raw(s, zero, pad);
}

/* A record of version 1 with no padding. */
static void
rec(struct sb *s, int type, unsigned int id, const void *content, size_t len)
{
	sb_rec(s, FCGI_VERSION_1, type, id, content, len, 0);
}

static void
begin(struct sb *s, unsigned int id, int role, int flags)
{
	uint8_t b[8] = { 0 };

	b[0] = (uint8_t)(role >> 8);
	b[1] = (uint8_t)role;
	b[2] = (uint8_t)flags;
	rec(s, FCGI_BEGIN_REQUEST, id, b, 8);
}

static void
put_len(struct sb *s, size_t n, int four)
{
	uint8_t b[4];

	if (!four && n < 128) {
		b[0] = (uint8_t)n;
		sb_raw(s, b, 1);
		return;
	}
	b[0] = (uint8_t)(0x80 | n >> 24);
	b[1] = (uint8_t)(n >> 16);
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	sb_raw(s, b, 4);
}

/* Appends a name-value pair to s (the content, not a record). */
static void
pair(struct sb *s, const void *name, size_t nlen, const void *value,
    size_t vlen, int four)
{
	put_len(s, nlen, four);
	put_len(s, vlen, four);
	sb_raw(s, name, nlen);
	sb_raw(s, value, vlen);
}

static void
spair(struct sb *s, const char *name, const char *value)
{
	pair(s, name, strlen(name), value, strlen(value), 0);
}

/* Cuts the content in p into PARAMS records of at most max bytes. */
static void
params(struct sb *s, unsigned int id, const struct sb *p, size_t max)
{
	size_t off, n;

	for (off = 0; off < p->n; off += n) {
		n = p->n - off < max ? p->n - off : max;
		rec(s, FCGI_PARAMS, id, p->b + off, n);
	}
	rec(s, FCGI_PARAMS, id, NULL, 0);
}

/* A whole request: BEGIN, the pairs of p, STDIN body of blen bytes. */
static void
request(struct sb *s, unsigned int id, const struct sb *p,
    const void *body, size_t blen)
{
	begin(s, id, FCGI_RESPONDER, 0);
	params(s, id, p, FCGI_MAXCONTENT);
	if (blen > 0)
		rec(s, FCGI_STDIN, id, body, blen);
	rec(s, FCGI_STDIN, id, NULL, 0);
}

/* The tests. */

static void
test_nginx(void)
{
	char want[1024];

	run(&la, nginx_req, NGINX_LEN, 0);
	CHECK_INT(la.rc, 0, "nginx request: accepted");
	CHECK_STR(la.events, "ABCD", "nginx request: BEGIN, PARAMS, STDIN, "
	    "STDIN_END");
	CHECK_INT(la.id, 1, "nginx request: requestId 1");
	CHECK_INT(la.keep_conn, 1, "nginx request: FCGI_KEEP_CONN");
	env_join(want, sizeof(want), nginx_env);
	la.env[la.envlen] = '\0';
	CHECK_STR(la.env, want, "nginx request: the parameters, in order");
	CHECK_INT(la.nenv, 6, "nginx request: 6 parameters, NULL-terminated");
	CHECK(la.blen == 11 && memcmp(la.body, "a=1&b=hello", 11) == 0,
	    "nginx request: the body");
	check_splits(nginx_req, NGINX_LEN, NGINX_LEN, "nginx request");

	/* Keep-alive: the same request three times on one connection. */
	sb_reset(&s1);
	sb_raw(&s1, nginx_req, NGINX_LEN);
	sb_raw(&s1, nginx_req, NGINX_LEN);
	sb_raw(&s1, nginx_req, NGINX_LEN);
	run(&la, s1.b, s1.n, 0);
	CHECK(la.rc == 0 && strcmp(la.events, "ABCDABCDABCD") == 0 &&
	    la.nenv == 6, "nginx request: three on one connection");
	check_splits(s1.b, s1.n, 40, "three requests");
}

static void
test_lengths(void)
{
	char *want;
	size_t i;

	/* A 200-byte name and a 70000-byte value: 4-byte lengths. */
	for (i = 0; i < 71000; i++)
		big[i] = (uint8_t)('a' + i % 26);
	sb_reset(&s2);
	pair(&s2, big, 200, big + 1000, 70000, 0);
	spair(&s2, "X", "1");
	pair(&s2, "SHORT", 5, "four", 4, 1);
	sb_reset(&s1);
	request(&s1, 9, &s2, NULL, 0);
	run(&la, s1.b, s1.n, 0);
	CHECK(la.rc == 0 && la.nenv == 3, "4-byte lengths: accepted, "
	    "across PARAMS records");
	if ((want = malloc(70300)) == NULL)
		exit(2);
	memcpy(want, big, 200);
	want[200] = '=';
	memcpy(want + 201, big + 1000, 70000);
	memcpy(want + 70201, "\nX=1\nSHORT=four\n", 17);
	CHECK(la.envlen == 70201 + 16 && memcmp(la.env, want, la.envlen) == 0,
	    "4-byte lengths: long name and value; a short one in 4 bytes too");
	free(want);
	CHECK_INT(la.id, 9, "4-byte lengths: requestId 9");

	/* Every split point of a stream of pairs across two records. */
	sb_reset(&s2);
	spair(&s2, "GATEWAY_INTERFACE", "CGI/1.1");
	pair(&s2, "HTTP_COOKIE", 11, big, 300, 0);
	spair(&s2, "E", "");
	for (i = 1; i < s2.n; i++) {
		sb_reset(&s1);
		begin(&s1, 1, FCGI_RESPONDER, 0);
		rec(&s1, FCGI_PARAMS, 1, s2.b, i);
		rec(&s1, FCGI_PARAMS, 1, s2.b + i, s2.n - i);
		rec(&s1, FCGI_PARAMS, 1, NULL, 0);
		rec(&s1, FCGI_STDIN, 1, NULL, 0);
		run(i == 1 ? &lb : &la, s1.b, s1.n, 0);
		if (i > 1 && !same_log(&la, &lb))
			break;
	}
	CHECK(i == s2.n && lb.rc == 0 && lb.nenv == 3,
	    "pairs split across PARAMS records at each of %zu places",
	    s2.n - 1);
	CHECK(lb.envlen > 12 && memcmp(lb.env + lb.envlen - 3, "E=\n", 3) == 0,
	    "an empty value");

	/* Records with as much padding as a header can say. */
	sb_reset(&s1);
	begin(&s1, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	sb_rec(&s1, 1, FCGI_PARAMS, 1, NULL, 0, 255);
	sb_rec(&s1, 1, FCGI_STDIN, 1, big, FCGI_MAXCONTENT, 255);
	sb_rec(&s1, 1, FCGI_STDIN, 1, NULL, 0, 3);
	run(&la, s1.b, s1.n, 0);
	CHECK(la.rc == 0 && la.blen == FCGI_MAXCONTENT &&
	    memcmp(la.body, big, FCGI_MAXCONTENT) == 0,
	    "a record of 65535 bytes and 255 of padding fits the reader");
	check_splits(s1.b, s1.n, 9, "largest record");
}

static void
test_roles_and_ids(void)
{
	sb_reset(&s2);
	spair(&s2, "A", "b");

	/* An authorizer: UNKNOWN_ROLE; its records are ignored after. */
	sb_reset(&s1);
	begin(&s1, 5, FCGI_AUTHORIZER, 0);
	params(&s1, 5, &s2, 100);
	rec(&s1, FCGI_STDIN, 5, "x", 1);
	request(&s1, 1, &s2, "y", 1);
	run(&la, s1.b, s1.n, 0);
	CHECK_STR(la.events, "FABCD", "unknown role: reported, then its "
	    "records ignored and another request served");
	CHECK_INT(la.role, FCGI_AUTHORIZER, "unknown role: the role "
	    "(2, authorizer) is passed on");
	run(&la, s1.b, 8 + 8, 0);
	CHECK(la.rc == 0 && la.id == 5, "unknown role: requestId 5; no "
	    "request active after it");

	/* A second request while one is active: CANT_MPX_CONN. */
	sb_reset(&s1);
	begin(&s1, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	begin(&s1, 2, FCGI_RESPONDER, FCGI_KEEP_CONN);
	params(&s1, 2, &s2, 100);
	params(&s1, 1, &s2, 100);
	rec(&s1, FCGI_STDIN, 2, "z", 1);
	rec(&s1, FCGI_STDIN, 1, "q", 1);
	rec(&s1, FCGI_STDIN, 1, NULL, 0);
	run(&la, s1.b, s1.n, 0);
	CHECK_STR(la.events, "AGBCD", "multiplexing: CANT_MPX for request 2, "
	    "whose records are then ignored");
	CHECK(la.blen == 1 && la.body[0] == 'q' && la.nenv == 1,
	    "multiplexing: request 1 goes on untouched");
	check_splits(s1.b, s1.n, 20, "multiplexing");

	/* ABORT: reported once; what follows for the request is ignored. */
	sb_reset(&s1);
	begin(&s1, 3, FCGI_RESPONDER, 0);
	rec(&s1, FCGI_PARAMS, 3, s2.b, 2);
	rec(&s1, FCGI_ABORT_REQUEST, 3, NULL, 0);
	rec(&s1, FCGI_PARAMS, 3, s2.b + 2, s2.n - 2);
	rec(&s1, FCGI_ABORT_REQUEST, 3, NULL, 0);
	rec(&s1, FCGI_STDIN, 3, "x", 1);
	request(&s1, 3, &s2, "ok", 2);
	run(&la, s1.b, s1.n, 0);
	CHECK_STR(la.events, "AEABCD", "abort: reported once, the rest "
	    "ignored, then requestId 3 again");
	CHECK(la.rc == 0 && la.blen == 2, "abort: the next request is whole");

	/* A request ended by the server before its body was read. */
	sb_reset(&s1);
	begin(&s1, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	params(&s1, 1, &s2, 100);
	rec(&s1, FCGI_ABORT_REQUEST, 1, NULL, 0);
	rec(&s1, FCGI_STDIN, 1, "late", 4);
	rec(&s1, FCGI_STDIN, 1, NULL, 0);
	run(&la, s1.b, s1.n, 0);
	CHECK(la.rc == 0 && strcmp(la.events, "ABE") == 0 && la.blen == 0,
	    "late STDIN of an ended request: ignored (section 3.3)");
}

static void
test_management(void)
{
	sb_reset(&s2);
	spair(&s2, "FCGI_MAX_CONNS", "");
	spair(&s2, "FCGI_UNHEARD_OF", "");
	spair(&s2, "FCGI_MAX_REQS", "");
	spair(&s2, "FCGI_MPXS_CONNS", "");
	sb_reset(&s1);
	rec(&s1, FCGI_GET_VALUES, 0, s2.b, s2.n);
	run(&la, s1.b, s1.n, 0);
	CHECK(la.rc == 0 && strcmp(la.events, "H") == 0 && la.values ==
	    (FCGI_VAL_MAX_CONNS | FCGI_VAL_MAX_REQS | FCGI_VAL_MPXS_CONNS),
	    "GET_VALUES: the three known names, the unknown one left out");
	check_splits(s1.b, s1.n, s1.n, "GET_VALUES");

	sb_reset(&s2);
	spair(&s2, "FCGI_MPXS_CONNS", "");
	spair(&s2, "FCGI_MAX_CONN", "");
	sb_reset(&s1);
	sb_raw(&s1, nginx_req, 16);
	rec(&s1, FCGI_GET_VALUES, 0, s2.b, s2.n);
	rec(&s1, FCGI_GET_VALUES, 0, NULL, 0);
	run(&la, s1.b, s1.n, 0);
	CHECK(strcmp(la.events, "AHH") == 0 && la.values == 0,
	    "GET_VALUES: during a request; none asked for");

	sb_reset(&s1);
	rec(&s1, 12, 0, "abc", 3);
	rec(&s1, 255, 0, NULL, 0);
	run(&la, s1.b, s1.n, 0);
	CHECK(la.rc == 0 && strcmp(la.events, "II") == 0 && la.rtype == 255,
	    "unknown management types: UNKNOWN_TYPE with the type");
	sb_reset(&s1);
	begin(&s1, 1, FCGI_RESPONDER, 0);
	rec(&s1, FCGI_DATA, 1, "d", 1);
	rec(&s1, 0, 1, NULL, 0);
	rec(&s1, 77, 1, NULL, 0);
	run(&la, s1.b, s1.n, 0);
	CHECK(strcmp(la.events, "AIII") == 0 && la.rtype == 77,
	    "DATA and unknown types for the request: UNKNOWN_TYPE");
}

/* Fails unless the stream is refused with a message containing needle. */
static void
refused(const struct sb *s, const char *needle, const char *what)
{
	run(&la, s->b, s->n, 0);
	if (!CHECK(la.rc == -1 && strstr(la.err, needle) != NULL,
	    "refused: %s", what))
		unit_diag("rc %d, events '%s', error '%s'", la.rc, la.events,
		    la.err);
	run(&lb, s->b, s->n, 1);
	CHECK(same_log(&la, &lb), "refused: %s, also fed 1 byte at a time",
	    what);
}

/* A stream that begins request 1 and sends the pairs of s2 in it. */
static void
with_params(size_t max)
{
	sb_reset(&s1);
	begin(&s1, 1, FCGI_RESPONDER, 0);
	params(&s1, 1, &s2, max);
}

static void
test_refused_records(void)
{
	sb_reset(&s1);
	sb_raw(&s1, nginx_req, NGINX_LEN);
	s1.b[16] = 2;
	refused(&s1, "version 2", "a record of version 2");
	s1.b[0] = 0;
	refused(&s1, "version 0", "version 0");

	sb_reset(&s1);
	sb_raw(&s1, nginx_req, 30);
	refused(&s1, "inside a record", "a stream cut inside a record");
	sb_reset(&s1);
	sb_raw(&s1, nginx_req, 5);
	refused(&s1, "(5 bytes", "a stream cut inside a header");
	sb_reset(&s1);
	sb_raw(&s1, nginx_req, NGINX_LEN - 8);
	refused(&s1, "during request 1", "a stream cut between records");

	sb_reset(&s1);
	rec(&s1, FCGI_BEGIN_REQUEST, 1, "\0\1\0\0\0\0\0", 7);
	refused(&s1, "7 bytes", "BEGIN_REQUEST of 7 bytes");
	sb_reset(&s1);
	rec(&s1, FCGI_BEGIN_REQUEST, 1, "\0\1\0\0\0\0\0\0\0", 9);
	refused(&s1, "9 bytes", "BEGIN_REQUEST of 9 bytes");
	sb_reset(&s1);
	begin(&s1, 0, FCGI_RESPONDER, 0);
	refused(&s1, "requestId 0", "BEGIN_REQUEST with requestId 0");
	sb_reset(&s1);
	begin(&s1, 4, FCGI_RESPONDER, 0);
	begin(&s1, 4, FCGI_RESPONDER, 0);
	refused(&s1, "which is active", "BEGIN_REQUEST for the active request");

	sb_reset(&s2);
	spair(&s2, "A", "b");
	with_params(100);
	s1.n -= 8;
	rec(&s1, FCGI_STDIN, 1, "x", 1);
	refused(&s1, "STDIN before the end", "STDIN before the end of PARAMS");
	with_params(100);
	rec(&s1, FCGI_PARAMS, 1, s2.b, s2.n);
	refused(&s1, "PARAMS after the end", "PARAMS after their end");
	with_params(100);
	rec(&s1, FCGI_STDIN, 1, NULL, 0);
	rec(&s1, FCGI_STDIN, 1, "x", 1);
	no_end = 1;
	refused(&s1, "STDIN after the end", "STDIN after its end");
	s1.n -= 9;
	rec(&s1, FCGI_PARAMS, 1, NULL, 0);
	refused(&s1, "PARAMS after the end", "PARAMS after the end of STDIN");
	s1.n -= 8;
	rec(&s1, FCGI_ABORT_REQUEST, 1, NULL, 0);
	rec(&s1, FCGI_ABORT_REQUEST, 1, NULL, 0);
	rec(&s1, FCGI_STDIN, 1, "x", 1);
	run(&la, s1.b, s1.n, 0);
	CHECK_STR(la.events, "ABDE", "after the end of STDIN, an ABORT; "
	    "another and STDIN are ignored");
	no_end = 0;

	sb_reset(&s1);
	rec(&s1, FCGI_PARAMS, 7, s2.b, s2.n);
	refused(&s1, "request 7, which was never begun",
	    "PARAMS for a request never begun");
	with_params(100);
	rec(&s1, FCGI_STDIN, 3, "x", 1);
	refused(&s1, "never begun", "STDIN for another request, never begun");
	sb_reset(&s1);
	rec(&s1, FCGI_ABORT_REQUEST, 2, NULL, 0);
	refused(&s1, "never begun", "ABORT_REQUEST for a request never begun");

	with_params(100);
	rec(&s1, FCGI_STDOUT, 1, "x", 1);
	refused(&s1, "STDOUT record", "STDOUT from the web server");
	sb_reset(&s1);
	rec(&s1, FCGI_END_REQUEST, 1, "\0\0\0\0\0\0\0\0", 8);
	refused(&s1, "END_REQUEST", "END_REQUEST from the web server");
	sb_reset(&s1);
	rec(&s1, FCGI_GET_VALUES_RESULT, 0, NULL, 0);
	refused(&s1, "GET_VALUES_RESULT", "GET_VALUES_RESULT from the web "
	    "server");
	sb_reset(&s1);
	rec(&s1, FCGI_GET_VALUES, 1, NULL, 0);
	refused(&s1, "GET_VALUES record for request 1",
	    "GET_VALUES with a requestId");
	sb_reset(&s1);
	rec(&s1, FCGI_STDIN, 0, NULL, 0);
	refused(&s1, "requestId 0", "STDIN with requestId 0");
	sb_reset(&s1);
	rec(&s1, FCGI_GET_VALUES, 0, "\x0e\x01" "FCGI_MAX_CONNS", 16);
	refused(&s1, "past the end", "GET_VALUES with a value cut short");
}

static void
test_refused_params(void)
{
	size_t i;

	/* Each 4-byte length alone runs far past the stream. */
	sb_reset(&s2);
	sb_raw(&s2, "\xff\xff\xff\xff\xff\xff\xff\xff" "AB", 10);
	with_params(100);
	refused(&s1, "name length 2147483647 past the end",
	    "4-byte lengths of 2^31 - 1 (their sum overflows 32 bits)");
	sb_reset(&s2);
	sb_raw(&s2, "\x01\xff\xff\xff\xf0" "A", 6);
	with_params(100);
	refused(&s1, "value length 2147483632 past", "a value length past the "
	    "end");
	sb_reset(&s2);
	spair(&s2, "A", "b");
	sb_raw(&s2, "\x02\x80\0", 3);
	with_params(100);
	refused(&s1, "truncated length", "a pair whose 4-byte length is cut");
	sb_reset(&s2);
	spair(&s2, "AB", "c");
	s2.n--;
	with_params(3);
	refused(&s1, "past the end", "a pair cut by the end of PARAMS");

	sb_reset(&s2);
	spair(&s2, "A=B", "c");
	with_params(100);
	refused(&s1, "parameter 0 has '=' in its name", "'=' in a name");
	sb_reset(&s2);
	spair(&s2, "X", "1");
	pair(&s2, "A\0B", 3, "c", 1, 0);
	with_params(100);
	refused(&s1, "parameter 1 has NUL in its name", "NUL in a name");
	sb_reset(&s2);
	pair(&s2, "A", 1, "c\0d", 3, 0);
	with_params(100);
	refused(&s1, "NUL in its value", "NUL in a value");
	sb_reset(&s2);
	spair(&s2, "", "c");
	with_params(100);
	refused(&s1, "empty name", "an empty name");

	/* FCGI_MAXPAIRS pairs pass, one more does not. */
	sb_reset(&s2);
	for (i = 0; i < FCGI_MAXPAIRS; i++)
		spair(&s2, "A", "");
	with_params(FCGI_MAXCONTENT);
	rec(&s1, FCGI_STDIN, 1, NULL, 0);
	run(&la, s1.b, s1.n, 0);
	CHECK(la.rc == 0 && la.nenv == FCGI_MAXPAIRS, "%d pairs: accepted",
	    FCGI_MAXPAIRS);
	spair(&s2, "A", "");
	with_params(FCGI_MAXCONTENT);
	refused(&s1, "over 4096 parameters", "4097 pairs");

	/* FCGI_MAXPARAMS bytes pass, one more does not. */
	memset(big, 'v', sizeof(big));
	sb_reset(&s2);
	pair(&s2, "V", 1, big, FCGI_MAXPARAMS - 1 - 5, 0);
	CHECK_INT(s2.n, FCGI_MAXPARAMS, "(a stream of exactly FCGI_MAXPARAMS)");
	with_params(FCGI_MAXCONTENT);
	rec(&s1, FCGI_STDIN, 1, NULL, 0);
	run(&la, s1.b, s1.n, 0);
	CHECK(la.rc == 0 && la.nenv == 1 && la.envlen == FCGI_MAXPARAMS - 3,
	    "PARAMS of FCGI_MAXPARAMS bytes: accepted");
	sb_reset(&s2);
	pair(&s2, "V", 1, big, FCGI_MAXPARAMS - 5, 0);
	with_params(FCGI_MAXCONTENT);
	refused(&s1, "over 1048576 bytes", "PARAMS over FCGI_MAXPARAMS");

	/* After an error, nothing more is read. */
	{
		struct fcgi_conn *c = fcgi_conn_new();
		struct fcgi_event ev;
		size_t used;

		CHECK_INT(fcgi_conn_feed(c, "\2\1\0\1\0\0\0\0", 8, &used, &ev,
		    err, sizeof(err)), -1, "a bad record: -1");
		CHECK(fcgi_conn_feed(c, nginx_req, NGINX_LEN, &used, &ev, err,
		    sizeof(err)) == -1 && strstr(err, "already failed") != NULL,
		    "then every call fails");
		fcgi_conn_free(c);
	}
}

/* Reads every record of buf; fails unless they fill it exactly. */
static int
read_records(const uint8_t *buf, size_t len, int type, uint16_t id,
    uint8_t *out, size_t *outlen, size_t *nrec)
{
	struct fcgi_reader r;
	struct fcgi_record rec;
	size_t off = 0, used;
	int x;

	fcgi_reader_init(&r);
	*outlen = *nrec = 0;
	while (off < len) {
		x = fcgi_reader_feed(&r, buf + off, len - off, &used, &rec,
		    err, sizeof(err));
		off += used;
		if (x != 1 || rec.type != type || rec.id != id ||
		    rec.len > FCGI_MAXCONTENT)
			return -1;
		memcpy(out + *outlen, rec.content, rec.len);
		*outlen += rec.len;
		(*nrec)++;
	}
	return fcgi_reader_partial(&r) ? -1 : 0;
}

static void
test_encoders(void)
{
	static uint8_t buf[300000], out[300000];
	struct fcgi_values v = { 10, 50, 0 };
	size_t n, used, outlen, nrec, i, total, len;
	int ok;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	ok = 1;
	for (len = 0; len <= 17; len++) {
		n = fcgi_put_record(buf, sizeof(buf), FCGI_STDERR, 300, big,
		    len);
		ok = ok && n % 8 == 0 && n == fcgi_record_size(len) &&
		    read_records(buf, n, FCGI_STDERR, 300, out, &outlen,
		    &nrec) == 0 && outlen == len && memcmp(out, big, len) == 0;
	}
	CHECK(ok, "fcgi_put_record: padded to 8, read back, lengths 0-17");
	CHECK_INT(fcgi_put_record(buf, 15, FCGI_STDOUT, 1, "x", 1), 0,
	    "fcgi_put_record: 0 when it does not fit");
	CHECK_INT(fcgi_put_record(buf, sizeof(buf), FCGI_STDOUT, 1, big,
	    65536), 0, "fcgi_put_record: 0 for content over 65535");

	/* 200000 bytes: three full records and the rest. */
	n = fcgi_put_data(buf, sizeof(buf), FCGI_STDOUT, 1, big, 200000, &used);
	CHECK(used == 200000 && n == 3 * 65544 + fcgi_record_size(200000 -
	    3 * 65535) && n % 8 == 0, "fcgi_put_data: 200000 bytes in %zu",
	    n);
	CHECK(read_records(buf, n, FCGI_STDOUT, 1, out, &outlen, &nrec) == 0 &&
	    nrec == 4 && outlen == 200000 && memcmp(out, big, 200000) == 0,
	    "fcgi_put_data: 4 records of at most 65535 bytes, read back");

	/* Streamed through a small buffer, the data arrives whole. */
	ok = 1;
	for (total = 0, outlen = 0; total < 100000 && ok; total += used) {
		n = fcgi_put_data(buf, 1000, FCGI_STDOUT, 2, big + total,
		    100000 - total, &used);
		ok = n > 0 && n <= 1000 && used > 0 &&
		    read_records(buf, n, FCGI_STDOUT, 2, out + outlen, &i,
		    &nrec) == 0;
		outlen += i;
	}
	CHECK(ok && outlen == 100000 && memcmp(out, big, 100000) == 0,
	    "fcgi_put_data: 100000 bytes through a 1000-byte buffer");
	n = fcgi_put_data(buf, 100, FCGI_STDOUT, 2, big, 1000, &used);
	CHECK(n == 96 && used == 88, "fcgi_put_data: fills what fits (88 of "
	    "1000 bytes in 100)");
	n = fcgi_put_data(buf, 15, FCGI_STDOUT, 2, big, 1000, &used);
	CHECK(n == 0 && used == 0, "fcgi_put_data: nothing in 15 bytes");
	n = fcgi_put_data(buf, sizeof(buf), FCGI_STDOUT, 2, big, 0, &used);
	CHECK(n == 0 && used == 0, "fcgi_put_data: no record for no data");

	n = fcgi_put_eos(buf, sizeof(buf), FCGI_STDOUT, 513);
	CHECK(n == 8 && memcmp(buf, "\1\6\2\1\0\0\0\0", 8) == 0,
	    "fcgi_put_eos: the empty STDOUT record");
	n = fcgi_put_end_request(buf, sizeof(buf), 1, 0x01020304,
	    FCGI_UNKNOWN_ROLE);
	CHECK(n == 16 && memcmp(buf, "\1\3\0\1\0\10\0\0\1\2\3\4\3\0\0\0",
	    16) == 0, "fcgi_put_end_request: bytes as the spec says");
	CHECK_INT(fcgi_put_end_request(buf, 15, 1, 0, 0), 0,
	    "fcgi_put_end_request: 0 when it does not fit");
	n = fcgi_put_unknown_type(buf, sizeof(buf), 200);
	CHECK(n == 16 && memcmp(buf, "\1\13\0\0\0\10\0\0\310\0\0\0\0\0\0\0",
	    16) == 0, "fcgi_put_unknown_type: bytes as the spec says");

	n = fcgi_put_values(buf, sizeof(buf), FCGI_VAL_MAX_CONNS |
	    FCGI_VAL_MAX_REQS | FCGI_VAL_MPXS_CONNS, &v);
	CHECK(n == 64 && memcmp(buf, "\1\12\0\0\0\65\3\0"
	    "\x0e\x02" "FCGI_MAX_CONNS" "10"
	    "\x0d\x02" "FCGI_MAX_REQS" "50"
	    "\x0f\x01" "FCGI_MPXS_CONNS" "0" "\0\0\0", 64) == 0,
	    "fcgi_put_values: the three values");
	n = fcgi_put_values(buf, sizeof(buf), FCGI_VAL_MAX_REQS, &v);
	CHECK(n == 32 && memcmp(buf + 8, "\x0d\x02" "FCGI_MAX_REQS" "50", 17)
	    == 0, "fcgi_put_values: only what was asked for");
	v.max_conns = v.max_reqs = v.mpxs_conns = 4294967295u;
	n = fcgi_put_values(buf, sizeof(buf), 7, &v);
	CHECK(n > 0 && n <= FCGI_VALUES_MAX, "fcgi_put_values: the largest "
	    "values fit FCGI_VALUES_MAX (%zu bytes)", n);
	n = fcgi_put_values(buf, sizeof(buf), 0, &v);
	CHECK_INT(n, 8, "fcgi_put_values: none asked, an empty record");
}

/* A request written with the encoders, read by the connection. */
static void
test_roundtrip(void)
{
	static uint8_t params_buf[4096];
	uint8_t b8[8] = { 0, FCGI_RESPONDER, 0, 0, 0, 0, 0, 0 };
	size_t n, used;

	sb_reset(&s2);
	spair(&s2, "SCRIPT_FILENAME", "/x.pl");
	spair(&s2, "REQUEST_METHOD", "PUT");
	sb_reset(&s1);
	s1.n += fcgi_put_record(s1.b, sizeof(s1.b), FCGI_BEGIN_REQUEST, 42, b8,
	    8);
	n = fcgi_put_data(params_buf, sizeof(params_buf), FCGI_PARAMS, 42,
	    s2.b, s2.n, &used);
	sb_raw(&s1, params_buf, n);
	s1.n += fcgi_put_eos(s1.b + s1.n, sizeof(s1.b) - s1.n, FCGI_PARAMS,
	    42);
	s1.n += fcgi_put_data(s1.b + s1.n, sizeof(s1.b) - s1.n, FCGI_STDIN, 42,
	    big, 150000, &used);
	s1.n += fcgi_put_eos(s1.b + s1.n, sizeof(s1.b) - s1.n, FCGI_STDIN, 42);
	run(&la, s1.b, s1.n, 0);
	la.env[la.envlen] = '\0';
	CHECK(la.rc == 0 && strcmp(la.events, "ABCCCD") == 0 && la.id == 42 &&
	    la.keep_conn == 0, "round trip: the events of request 42");
	CHECK_STR(la.env, "SCRIPT_FILENAME=/x.pl\nREQUEST_METHOD=PUT\n",
	    "round trip: the parameters");
	CHECK(la.blen == 150000 && memcmp(la.body, big, 150000) == 0,
	    "round trip: a 150000-byte body in 3 STDIN records");
	check_splits(s1.b, s1.n, 3, "round trip");
}

int
main(void)
{
	unit_note = la.err;
	unit_watchdog(120);
	test_nginx();
	test_lengths();
	test_roles_and_ids();
	test_management();
	test_refused_records();
	test_refused_params();
	test_encoders();
	test_roundtrip();
	return unit_done();
}
