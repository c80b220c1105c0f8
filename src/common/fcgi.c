/*
 * fcgi.c: see fcgi.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"

/* Where a connection's active request is. */
enum conn_state {
	ST_IDLE = 0,	/* no request active */
	ST_PARAMS,	/* reading its PARAMS stream */
	ST_STDIN,	/* reading its STDIN stream */
	ST_DONE		/* both streams ended; the caller is answering */
};

struct fcgi_conn {
	struct fcgi_reader	 rd;
	enum conn_state		 state;
	uint16_t		 id;		/* the active request */
	int			 keep_conn;
	int			 aborted;
	int			 failed;	/* after a protocol error */
	uint8_t			*params;	/* stream, then env */
	size_t			 plen, pcap;
	char			**env;
	size_t			 nenv;
	/* requestIds begun on this connection, one bit each (8 KiB). */
	uint8_t			 begun[65536 / 8];
};

/* A name-value pair inside a PARAMS or GET_VALUES stream. */
struct pair {
	const uint8_t	*name;
	size_t		 nlen;
	const uint8_t	*value;
	size_t		 vlen;
};

static int	fcgi_fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
fcgi_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const char *
type_name(int type)
{
	static const char *const names[] = {
		"type 0", "BEGIN_REQUEST", "ABORT_REQUEST", "END_REQUEST",
		"PARAMS", "STDIN", "STDOUT", "STDERR", "DATA", "GET_VALUES",
		"GET_VALUES_RESULT", "UNKNOWN_TYPE"
	};

	if (type >= 0 && (size_t)type < sizeof(names) / sizeof(names[0]))
		return names[type];
	return "an unknown type";
}

static unsigned int
get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* The record reader. */

void
fcgi_reader_init(struct fcgi_reader *r)
{
	r->have = 0;
	r->need = 0;
}

int
fcgi_reader_partial(const struct fcgi_reader *r)
{
	return r->have > 0;
}

/*
 * Checks the header in r->buf and sets r->need to the record's size.  The
 * reserved byte is not checked: the spec only asks senders to zero it.
 */
static int
reader_header(struct fcgi_reader *r, char *err, size_t errlen)
{
	if (r->buf[0] != FCGI_VERSION_1)
		return fcgi_fail(err, errlen, "FastCGI record version %u, "
		    "not 1", r->buf[0]);
	r->need = FCGI_HDRLEN + get16(r->buf + 4) + r->buf[6];
	return 0;
}

int
fcgi_reader_feed(struct fcgi_reader *r, const void *data, size_t len,
    size_t *used, struct fcgi_record *rec, char *err, size_t errlen)
{
	const uint8_t *p = data;
	size_t goal, n;

	*used = 0;
	for (;;) {
		/* First the header, then the rest of the record it sizes. */
		goal = r->need > 0 ? r->need : FCGI_HDRLEN;
		n = goal - r->have;
		if (n > len - *used)
			n = len - *used;
		if (n > 0)
			memcpy(r->buf + r->have, p + *used, n);
		r->have += n;
		*used += n;
		if (r->have < goal)
			return 0;
		if (r->need == 0) {
			if (reader_header(r, err, errlen) == -1)
				return -1;
			continue;
		}
		/* Complete: the buffer stays intact until the next call. */
		rec->type = r->buf[1];
		rec->id = (uint16_t)get16(r->buf + 2);
		rec->content = r->buf + FCGI_HDRLEN;
		rec->len = get16(r->buf + 4);
		r->have = r->need = 0;
		return 1;
	}
}

/* Name-value pairs (section 3.4). */

/* Reads a 1- or 4-byte length at *off, not past len. */
static int
pair_len(const uint8_t *p, size_t len, size_t *off, size_t *out)
{
	const uint8_t *q = p + *off;

	if (*off >= len)
		return -1;
	if (q[0] < 0x80) {
		*out = q[0];
		*off += 1;
		return 0;
	}
	if (len - *off < 4)
		return -1;
	*out = (size_t)(q[0] & 0x7f) << 24 | (size_t)q[1] << 16 |
	    (size_t)q[2] << 8 | q[3];
	*off += 4;
	return 0;
}

/*
 * Reads the pair at *off of the len bytes at p.  Returns 1 with the pair,
 * 0 at the end, -1 if it runs past the end.  Each length is compared with
 * what is left on its own, never summed: a 4-byte length is up to 2^31 - 1
 * and two of them overflow a 32-bit size_t (CVE-2025-23016 in libfcgi).
 */
static int
pair_next(const uint8_t *p, size_t len, size_t *off, struct pair *pr,
    char *err, size_t errlen)
{
	if (*off == len)
		return 0;
	if (pair_len(p, len, off, &pr->nlen) == -1 ||
	    pair_len(p, len, off, &pr->vlen) == -1)
		return fcgi_fail(err, errlen, "name-value pair with a "
		    "truncated length");
	if (pr->nlen > len - *off)
		return fcgi_fail(err, errlen, "name length %zu past the end "
		    "of the stream", pr->nlen);
	pr->name = p + *off;
	*off += pr->nlen;
	if (pr->vlen > len - *off)
		return fcgi_fail(err, errlen, "value length %zu past the end "
		    "of the stream", pr->vlen);
	pr->value = p + *off;
	*off += pr->vlen;
	return 1;
}

/* A parameter must make a "name=value" C string that means the same. */
static int
pair_check(const struct pair *pr, size_t i, char *err, size_t errlen)
{
	if (pr->nlen == 0)
		return fcgi_fail(err, errlen, "parameter %zu has an empty "
		    "name", i);
	if (memchr(pr->name, '=', pr->nlen) != NULL)
		return fcgi_fail(err, errlen, "parameter %zu has '=' in its "
		    "name", i);
	if (memchr(pr->name, '\0', pr->nlen) != NULL)
		return fcgi_fail(err, errlen, "parameter %zu has NUL in its "
		    "name", i);
	if (memchr(pr->value, '\0', pr->vlen) != NULL)
		return fcgi_fail(err, errlen, "parameter %zu has NUL in its "
		    "value", i);
	return 0;
}

/* The connection. */

struct fcgi_conn *
fcgi_conn_new(void)
{
	struct fcgi_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	fcgi_reader_init(&c->rd);
	return c;
}

void
fcgi_conn_reset(struct fcgi_conn *c)
{
	fcgi_conn_end(c);
	fcgi_reader_init(&c->rd);
	c->id = 0;
	c->failed = 0;
	memset(c->begun, 0, sizeof(c->begun));
}

void
fcgi_conn_end(struct fcgi_conn *c)
{
	free(c->params);
	free(c->env);
	c->params = NULL;
	c->env = NULL;
	c->plen = c->pcap = c->nenv = 0;
	c->state = ST_IDLE;
	c->aborted = 0;
	c->keep_conn = 0;
}

void
fcgi_conn_free(struct fcgi_conn *c)
{
	if (c == NULL)
		return;
	fcgi_conn_end(c);
	free(c);
}

int
fcgi_conn_eof(const struct fcgi_conn *c, char *err, size_t errlen)
{
	if (fcgi_reader_partial(&c->rd))
		return fcgi_fail(err, errlen, "connection closed inside a "
		    "record (%zu bytes of it)", c->rd.have);
	if (c->state != ST_IDLE)
		return fcgi_fail(err, errlen, "connection closed during "
		    "request %u", c->id);
	return 0;
}

static void
mark_begun(struct fcgi_conn *c, uint16_t id)
{
	c->begun[id / 8] |= (uint8_t)(1u << (id % 8));
}

static int
was_begun(const struct fcgi_conn *c, uint16_t id)
{
	return (c->begun[id / 8] >> (id % 8)) & 1;
}

/* Fills the fields every event about the active request has. */
static int
conn_event(const struct fcgi_conn *c, struct fcgi_event *ev, int type)
{
	ev->type = type;
	ev->id = c->id;
	ev->keep_conn = c->keep_conn;
	return 1;
}

/* GET_VALUES: which of the variables this codec knows were asked for. */
static int
get_values(const struct fcgi_record *rec, struct fcgi_event *ev, char *err,
    size_t errlen)
{
	static const struct {
		const char	*name;
		unsigned int	 bit;
	} known[] = {
		{ "FCGI_MAX_CONNS", FCGI_VAL_MAX_CONNS },
		{ "FCGI_MAX_REQS", FCGI_VAL_MAX_REQS },
		{ "FCGI_MPXS_CONNS", FCGI_VAL_MPXS_CONNS }
	};
	struct pair pr;
	size_t off = 0, i;
	int r;

	ev->type = FCGI_EV_GET_VALUES;
	while ((r = pair_next(rec->content, rec->len, &off, &pr, err,
	    errlen)) == 1)
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (pr.nlen == strlen(known[i].name) &&
			    memcmp(pr.name, known[i].name, pr.nlen) == 0)
				ev->values |= known[i].bit;
	return r == -1 ? -1 : 1;
}

/* A record with requestId 0 (section 4). */
static int
mgmt_record(const struct fcgi_record *rec, struct fcgi_event *ev, char *err,
    size_t errlen)
{
	if (rec->type == FCGI_GET_VALUES)
		return get_values(rec, ev, err, errlen);
	if (rec->type >= FCGI_BEGIN_REQUEST &&
	    rec->type <= FCGI_GET_VALUES_RESULT)
		return fcgi_fail(err, errlen, "%s record with requestId 0",
		    type_name(rec->type));
	ev->type = FCGI_EV_UNKNOWN_TYPE;
	ev->rtype = rec->type;
	return 1;
}

static int
begin_record(struct fcgi_conn *c, const struct fcgi_record *rec,
    struct fcgi_event *ev, char *err, size_t errlen)
{
	int role;

	if (rec->len != 8)
		return fcgi_fail(err, errlen, "BEGIN_REQUEST with %zu bytes "
		    "of content, not 8", rec->len);
	if (c->state != ST_IDLE && rec->id == c->id)
		return fcgi_fail(err, errlen, "BEGIN_REQUEST for request %u, "
		    "which is active", rec->id);
	mark_begun(c, rec->id);
	ev->id = rec->id;
	if (c->state != ST_IDLE) {
		ev->type = FCGI_EV_CANT_MPX;
		return 1;
	}
	role = (int)get16(rec->content);
	if (role != FCGI_RESPONDER) {
		ev->type = FCGI_EV_UNKNOWN_ROLE;
		ev->role = role;
		/* Without it the connection closes after END_REQUEST. */
		ev->keep_conn = (rec->content[2] & FCGI_KEEP_CONN) != 0;
		return 1;
	}
	c->state = ST_PARAMS;
	c->id = rec->id;
	c->keep_conn = (rec->content[2] & FCGI_KEEP_CONN) != 0;
	c->aborted = 0;
	return conn_event(c, ev, FCGI_EV_BEGIN);
}

/*
 * Appends a PARAMS record to the stream.  The buffer grows with what
 * arrived, never with what a length field claims.
 */
static int
params_add(struct fcgi_conn *c, const struct fcgi_record *rec, char *err,
    size_t errlen)
{
	size_t cap;
	uint8_t *p;

	if (rec->len > FCGI_MAXPARAMS - c->plen)
		return fcgi_fail(err, errlen, "parameters of request %u over "
		    "%u bytes", c->id, FCGI_MAXPARAMS);
	if (c->plen + rec->len > c->pcap) {
		cap = c->pcap > 0 ? c->pcap : 4096;
		while (cap < c->plen + rec->len)
			cap *= 2;
		if (cap > FCGI_MAXPARAMS)
			cap = FCGI_MAXPARAMS;
		if ((p = realloc(c->params, cap)) == NULL)
			return fcgi_fail(err, errlen, "out of memory");
		c->params = p;
		c->pcap = cap;
	}
	memcpy(c->params + c->plen, rec->content, rec->len);
	c->plen += rec->len;
	return 0;
}

/* Checks every pair of the complete stream and counts them. */
static int
params_count(const struct fcgi_conn *c, size_t *n, char *err, size_t errlen)
{
	struct pair pr;
	size_t off = 0;
	int r;

	*n = 0;
	while ((r = pair_next(c->params, c->plen, &off, &pr, err,
	    errlen)) == 1) {
		if (pair_check(&pr, *n, err, errlen) == -1)
			return -1;
		if (++*n > FCGI_MAXPAIRS)
			return fcgi_fail(err, errlen, "request %u has over "
			    "%d parameters", c->id, FCGI_MAXPAIRS);
	}
	return r;
}

/*
 * Turns the checked stream into "name=value" strings in place.  A pair's
 * string (name, '=', value, NUL) is no longer than the pair (two lengths
 * of at least a byte each, name, value), so each string ends inside its
 * own pair and never overwrites a pair not yet read; memmove handles the
 * overlap within a pair.
 */
static void
params_split(struct fcgi_conn *c)
{
	struct pair pr;
	size_t off = 0, out = 0;
	char *s;

	c->nenv = 0;
	while (pair_next(c->params, c->plen, &off, &pr, NULL, 0) == 1) {
		s = (char *)c->params + out;
		memmove(s, pr.name, pr.nlen);
		s[pr.nlen] = '=';
		memmove(s + pr.nlen + 1, pr.value, pr.vlen);
		s[pr.nlen + 1 + pr.vlen] = '\0';
		c->env[c->nenv++] = s;
		out += pr.nlen + pr.vlen + 2;
	}
	c->env[c->nenv] = NULL;
}

static int
params_record(struct fcgi_conn *c, const struct fcgi_record *rec,
    struct fcgi_event *ev, char *err, size_t errlen)
{
	size_t n;

	if (c->state != ST_PARAMS)
		return fcgi_fail(err, errlen, "PARAMS after the end of the "
		    "parameters of request %u", c->id);
	if (rec->len > 0)
		return params_add(c, rec, err, errlen);
	if (params_count(c, &n, err, errlen) == -1)
		return -1;
	if ((c->env = calloc(n + 1, sizeof(char *))) == NULL)
		return fcgi_fail(err, errlen, "out of memory");
	params_split(c);
	c->state = ST_STDIN;
	ev->env = c->env;
	ev->nenv = c->nenv;
	return conn_event(c, ev, FCGI_EV_PARAMS);
}

static int
stdin_record(struct fcgi_conn *c, const struct fcgi_record *rec,
    struct fcgi_event *ev, char *err, size_t errlen)
{
	if (c->state == ST_PARAMS)
		return fcgi_fail(err, errlen, "STDIN before the end of the "
		    "parameters of request %u", c->id);
	if (c->state == ST_DONE)
		return fcgi_fail(err, errlen, "STDIN after the end of the "
		    "body of request %u", c->id);
	if (rec->len == 0) {
		c->state = ST_DONE;
		return conn_event(c, ev, FCGI_EV_STDIN_END);
	}
	ev->data = rec->content;
	ev->len = rec->len;
	return conn_event(c, ev, FCGI_EV_STDIN);
}

/* A record for the active request, not yet aborted. */
static int
active_record(struct fcgi_conn *c, const struct fcgi_record *rec,
    struct fcgi_event *ev, char *err, size_t errlen)
{
	switch (rec->type) {
	case FCGI_ABORT_REQUEST:
		c->aborted = 1;
		return conn_event(c, ev, FCGI_EV_ABORT);
	case FCGI_PARAMS:
		return params_record(c, rec, ev, err, errlen);
	case FCGI_STDIN:
		return stdin_record(c, rec, ev, err, errlen);
	default:
		ev->type = FCGI_EV_UNKNOWN_TYPE;
		ev->id = rec->id;
		ev->rtype = rec->type;
		return 1;
	}
}

/*
 * Decodes one record.  Returns 1 with an event, 0 if the record needs
 * none (ignored, or part of the PARAMS stream), -1 on a protocol error.
 */
static int
conn_record(struct fcgi_conn *c, const struct fcgi_record *rec,
    struct fcgi_event *ev, char *err, size_t errlen)
{
	if (rec->id == 0)
		return mgmt_record(rec, ev, err, errlen);
	switch (rec->type) {
	case FCGI_BEGIN_REQUEST:
		return begin_record(c, rec, ev, err, errlen);
	case FCGI_END_REQUEST:
	case FCGI_STDOUT:
	case FCGI_STDERR:
	case FCGI_GET_VALUES:
	case FCGI_GET_VALUES_RESULT:
	case FCGI_UNKNOWN_TYPE:
		return fcgi_fail(err, errlen, "%s record for request %u from "
		    "the web server", type_name(rec->type), rec->id);
	}
	if (c->state == ST_IDLE || rec->id != c->id) {
		if (was_begun(c, rec->id))
			return 0;
		return fcgi_fail(err, errlen, "%s record for request %u, "
		    "which was never begun", type_name(rec->type), rec->id);
	}
	/* The web server has given up: what it still sends is moot. */
	if (c->aborted)
		return 0;
	return active_record(c, rec, ev, err, errlen);
}

int
fcgi_conn_feed(struct fcgi_conn *c, const void *data, size_t len,
    size_t *used, struct fcgi_event *ev, char *err, size_t errlen)
{
	const uint8_t *p = data;
	struct fcgi_record rec;
	size_t n;
	int r;

	*used = 0;
	memset(ev, 0, sizeof(*ev));
	/* After an error the stream is out of step: nothing more is read. */
	if (c->failed)
		return fcgi_fail(err, errlen, "connection already failed");
	for (;;) {
		r = fcgi_reader_feed(&c->rd, p + *used, len - *used, &n, &rec,
		    err, errlen);
		*used += n;
		/* A record that needs no event: on to the next one. */
		if (r == 1 && (r = conn_record(c, &rec, ev, err, errlen)) == 0)
			continue;
		if (r == -1)
			c->failed = 1;
		return r;
	}
}

/* The encoders. */

size_t
fcgi_record_size(size_t len)
{
	return FCGI_HDRLEN + ((len + 7) & ~(size_t)7);
}

size_t
fcgi_put_record(uint8_t *buf, size_t size, int type, uint16_t id,
    const void *content, size_t len)
{
	size_t total = fcgi_record_size(len);
	size_t pad = total - FCGI_HDRLEN - len;

	if (len > FCGI_MAXCONTENT || total > size)
		return 0;
	buf[0] = FCGI_VERSION_1;
	buf[1] = (uint8_t)type;
	buf[2] = (uint8_t)(id >> 8);
	buf[3] = (uint8_t)id;
	buf[4] = (uint8_t)(len >> 8);
	buf[5] = (uint8_t)len;
	buf[6] = (uint8_t)pad;
	buf[7] = 0;
	if (len > 0)
		memcpy(buf + FCGI_HDRLEN, content, len);
	memset(buf + FCGI_HDRLEN + len, 0, pad);
	return total;
}

size_t
fcgi_put_data(uint8_t *buf, size_t size, int type, uint16_t id,
    const void *data, size_t len, size_t *used)
{
	const uint8_t *p = data;
	size_t out = 0, n;

	*used = 0;
	/* A record of n bytes takes 8 + n rounded up to 8: n <= room - 8. */
	while (*used < len && size - out > FCGI_HDRLEN + 7) {
		n = (size - out - FCGI_HDRLEN) & ~(size_t)7;
		if (n > FCGI_MAXCONTENT)
			n = FCGI_MAXCONTENT;
		if (n > len - *used)
			n = len - *used;
		out += fcgi_put_record(buf + out, size - out, type, id,
		    p + *used, n);
		*used += n;
	}
	return out;
}

size_t
fcgi_put_eos(uint8_t *buf, size_t size, int type, uint16_t id)
{
	return fcgi_put_record(buf, size, type, id, NULL, 0);
}

size_t
fcgi_put_end_request(uint8_t *buf, size_t size, uint16_t id,
    uint32_t app_status, int pstatus)
{
	uint8_t body[8] = { 0 };

	body[0] = (uint8_t)(app_status >> 24);
	body[1] = (uint8_t)(app_status >> 16);
	body[2] = (uint8_t)(app_status >> 8);
	body[3] = (uint8_t)app_status;
	body[4] = (uint8_t)pstatus;
	return fcgi_put_record(buf, size, FCGI_END_REQUEST, id, body,
	    sizeof(body));
}

size_t
fcgi_put_unknown_type(uint8_t *buf, size_t size, int type)
{
	uint8_t body[8] = { 0 };

	body[0] = (uint8_t)type;
	return fcgi_put_record(buf, size, FCGI_UNKNOWN_TYPE, 0, body,
	    sizeof(body));
}

/* Appends a pair with a short name and a decimal value to body. */
static size_t
put_value(uint8_t *body, size_t off, const char *name, unsigned int value)
{
	char num[16];
	size_t nlen = strlen(name);
	int vlen;

	vlen = snprintf(num, sizeof(num), "%u", value);
	body[off++] = (uint8_t)nlen;
	body[off++] = (uint8_t)vlen;
	memcpy(body + off, name, nlen);
	memcpy(body + off + nlen, num, (size_t)vlen);
	return off + nlen + (size_t)vlen;
}

size_t
fcgi_put_values(uint8_t *buf, size_t size, unsigned int asked,
    const struct fcgi_values *v)
{
	/* Three pairs: 2 length bytes, a name of 15 at most, 10 digits. */
	uint8_t body[3 * (2 + 15 + 10)];
	size_t off = 0;

	if (asked & FCGI_VAL_MAX_CONNS)
		off = put_value(body, off, "FCGI_MAX_CONNS", v->max_conns);
	if (asked & FCGI_VAL_MAX_REQS)
		off = put_value(body, off, "FCGI_MAX_REQS", v->max_reqs);
	if (asked & FCGI_VAL_MPXS_CONNS)
		off = put_value(body, off, "FCGI_MPXS_CONNS", v->mpxs_conns);
	return fcgi_put_record(buf, size, FCGI_GET_VALUES_RESULT, 0, body,
	    off);
}
