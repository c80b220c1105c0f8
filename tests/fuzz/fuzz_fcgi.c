/*
 * fuzz_fcgi.c: the FastCGI codec (src/common/fcgi.c) on what a web server
 * might send on one connection.
 *
 * Byte 0 and 1 of the input say how to feed the rest:
 *   byte 0  bits 0-6: the largest piece handed to fcgi_conn_feed at a
 *           time (0: all of it at once); the sizes vary between 1 and
 *           that, from a generator seeded by byte 1.  Bit 7: the server
 *           never ends a request (no fcgi_conn_end), so BEGIN_REQUEST
 *           records meet an active request.
 *   byte 1  the seed, and the size of the buffer STDIN data is encoded
 *           into again (fcgi_put_data) to be read back.
 * The rest is fed twice, in those pieces and all at once: the events must
 * be the same (a split of the stream must not change its meaning).  Each
 * event is checked against a model of the request's life (BEGIN, PARAMS,
 * STDIN..., STDIN_END, with ABORT at any time), its strings and lengths
 * against the bounds of fcgi.h, and every byte it points to is read, so
 * that ASan sees a pointer outside the connection's buffers.  Leaks are
 * LeakSanitizer's; tests/fuzz/run sets -malloc_limit_mb so that an
 * allocation sized by a length field instead of received bytes fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"
#include "fuzz.h"

/* What the model knows about the connection. */
struct model {
	int		 active;	/* a request begun, not yet ended */
	uint16_t	 id;
	int		 params;	/* its PARAMS event was seen */
	int		 stdin_end;
	int		 aborted;
	uint64_t	 digest;	/* of every event, in order */
	size_t		 nevents;
};

/* The pieces' sizes: a small xorshift, the same sequence every run. */
struct pieces {
	size_t		 max;
	uint32_t	 state;
};

static size_t
next_piece(struct pieces *p, size_t left)
{
	size_t n;

	if (p->max == 0)
		return left;
	p->state ^= p->state << 13;
	p->state ^= p->state >> 17;
	p->state ^= p->state << 5;
	n = 1 + p->state % p->max;
	return n < left ? n : left;
}

static void
mix(struct model *m, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	/* FNV-1a: every byte is read, so ASan checks the whole range. */
	for (i = 0; i < len; i++)
		m->digest = (m->digest ^ p[i]) * 0x100000001b3ull;
}

static void
check_env(struct model *m, const struct fcgi_event *ev)
{
	size_t i, n, total = 0;
	const char *eq;

	if (ev->env == NULL || ev->nenv > FCGI_MAXPAIRS ||
	    ev->env[ev->nenv] != NULL)
		fuzz_fail("PARAMS: %zu strings, not NULL-terminated",
		    ev->nenv);
	for (i = 0; i < ev->nenv; i++) {
		n = strlen(ev->env[i]);
		eq = strchr(ev->env[i], '=');
		if (eq == NULL || eq == ev->env[i])
			fuzz_fail("PARAMS: \"%s\" is no name=value", ev->env[i]);
		mix(m, ev->env[i], n + 1);
		total += n + 1;
	}
	/* Each string is no longer than the pair it came from. */
	if (total > FCGI_MAXPARAMS)
		fuzz_fail("PARAMS: %zu bytes of strings", total);
}

/* Encodes STDIN data as STDOUT through a buffer of bufsize bytes. */
static void
check_reencode(const struct fcgi_event *ev, size_t bufsize)
{
	static uint8_t buf[FCGI_MAXRECORD + 64];
	struct fcgi_reader r;
	struct fcgi_record rec;
	size_t done = 0, n, enc, used, off, got;
	char err[128];

	while (done < ev->len) {
		n = fcgi_put_data(buf, bufsize, FCGI_STDOUT, ev->id,
		    ev->data + done, ev->len - done, &enc);
		if (n == 0 || enc == 0 || n > bufsize || n % 8 != 0 ||
		    enc > ev->len - done)
			fuzz_fail("fcgi_put_data: %zu bytes for %zu in %zu",
			    n, enc, bufsize);
		fcgi_reader_init(&r);
		for (off = 0, got = 0; off < n; off += used, got += rec.len) {
			if (fcgi_reader_feed(&r, buf + off, n - off, &used,
			    &rec, err, sizeof(err)) != 1 ||
			    rec.type != FCGI_STDOUT || rec.id != ev->id ||
			    memcmp(rec.content, ev->data + done + got,
			    rec.len) != 0)
				fuzz_fail("fcgi_put_data: not read back");
		}
		if (got != enc)
			fuzz_fail("fcgi_put_data: %zu bytes encoded, %zu read "
			    "back", enc, got);
		done += enc;
	}
}

/* Checks an event against the model of the request's life. */
static void
check_event(struct model *m, const struct fcgi_event *ev, size_t bufsize)
{
	int same = m->active && ev->id == m->id;

	m->nevents++;
	mix(m, &ev->type, sizeof(ev->type));
	mix(m, &ev->id, sizeof(ev->id));
	switch (ev->type) {
	case FCGI_EV_BEGIN:
		if (m->active || ev->id == 0)
			fuzz_fail("BEGIN while request %u is active", m->id);
		m->active = 1;
		m->params = m->stdin_end = m->aborted = 0;
		m->id = ev->id;
		mix(m, &ev->keep_conn, sizeof(ev->keep_conn));
		break;
	case FCGI_EV_PARAMS:
		if (!same || m->params || m->aborted)
			fuzz_fail("PARAMS out of turn");
		m->params = 1;
		check_env(m, ev);
		break;
	case FCGI_EV_STDIN:
	case FCGI_EV_STDIN_END:
		if (!same || !m->params || m->stdin_end || m->aborted)
			fuzz_fail("STDIN out of turn");
		if (ev->type == FCGI_EV_STDIN_END) {
			m->stdin_end = 1;
			break;
		}
		if (ev->len == 0 || ev->len > FCGI_MAXCONTENT)
			fuzz_fail("STDIN of %zu bytes", ev->len);
		mix(m, ev->data, ev->len);
		check_reencode(ev, bufsize);
		break;
	case FCGI_EV_ABORT:
		if (!same || m->aborted)
			fuzz_fail("ABORT out of turn");
		m->aborted = 1;
		break;
	case FCGI_EV_UNKNOWN_ROLE:
		if (m->active || ev->role == FCGI_RESPONDER || ev->id == 0)
			fuzz_fail("UNKNOWN_ROLE for role %d", ev->role);
		mix(m, &ev->role, sizeof(ev->role));
		break;
	case FCGI_EV_CANT_MPX:
		if (!m->active || ev->id == m->id || ev->id == 0)
			fuzz_fail("CANT_MPX for request %u", ev->id);
		break;
	case FCGI_EV_GET_VALUES:
		if (ev->values & ~7u)
			fuzz_fail("GET_VALUES: values %#x", ev->values);
		mix(m, &ev->values, sizeof(ev->values));
		break;
	case FCGI_EV_UNKNOWN_TYPE:
		if (ev->rtype < 0 || ev->rtype > 255)
			fuzz_fail("UNKNOWN_TYPE: type %d", ev->rtype);
		mix(m, &ev->rtype, sizeof(ev->rtype));
		break;
	default:
		fuzz_fail("event type %d", ev->type);
	}
}

/* A server would answer and end the request here. */
static int
ends_request(const struct model *m, const struct fcgi_event *ev)
{
	return ev->type == FCGI_EV_ABORT || (ev->type == FCGI_EV_STDIN_END &&
	    !m->aborted);
}

/*
 * Feeds the stream in pieces; returns 0 if it was consumed, or -1 at a
 * protocol error.  The model collects the events.
 */
static int
feed(const uint8_t *data, size_t len, struct pieces *pc, int never_end,
    size_t bufsize, struct model *m)
{
	struct fcgi_conn *c;
	struct fcgi_event ev;
	char err[256];
	size_t off = 0, n, used;
	int r, rc = 0;

	if ((c = fcgi_conn_new()) == NULL)
		fuzz_fail("fcgi_conn_new: out of memory");
	memset(m, 0, sizeof(*m));
	while (off < len && rc == 0) {
		n = next_piece(pc, len - off);
		while (n > 0) {
			memset(err, 'X', sizeof(err));
			r = fcgi_conn_feed(c, data + off, n, &used, &ev, err,
			    sizeof(err));
			if (used > n || (r == 0 && used != n) || r < -1 ||
			    r > 1)
				fuzz_fail("fcgi_conn_feed: %d, %zu of %zu used",
				    r, used, n);
			off += used;
			n -= used;
			if (r == -1) {
				fuzz_check_err(err, sizeof(err),
				    "fcgi_conn_feed");
				rc = -1;
				break;
			}
			if (r == 0)
				continue;
			check_event(m, &ev, bufsize);
			if (!never_end && ends_request(m, &ev)) {
				fcgi_conn_end(c);
				m->active = 0;
			}
		}
	}
	if (rc == 0) {
		memset(err, 'X', sizeof(err));
		r = fcgi_conn_eof(c, err, sizeof(err));
		if (r == -1)
			fuzz_check_err(err, sizeof(err), "fcgi_conn_eof");
		else if (r != 0 || m->active)
			fuzz_fail("fcgi_conn_eof: %d with a request active", r);
	}
	fcgi_conn_free(c);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model a, b;
	struct pieces whole = { 0, 1 }, split;
	size_t bufsize;
	int never_end, ra, rb;

	if (size < 2)
		return 0;
	split.max = data[0] & 0x7f;
	split.state = 0x9e3779b9u ^ data[1];
	never_end = (data[0] & 0x80) != 0;
	/* 16 bytes, the least that holds a data record, up to 64 KiB. */
	bufsize = 16 + (size_t)data[1] * 257;
	data += 2;
	size -= 2;
	ra = feed(data, size, &split, never_end, bufsize, &a);
	rb = feed(data, size, &whole, never_end, bufsize, &b);
	if (ra != rb || a.digest != b.digest || a.nevents != b.nevents)
		fuzz_fail("pieces of up to %zu bytes: %d, %zu events; at "
		    "once: %d, %zu events", split.max, ra, a.nevents, rb,
		    b.nevents);
	return 0;
}
