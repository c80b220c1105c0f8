/*
 * fcgi.h: the FastCGI 1.0 codec (responder role) for a speedy-fcgi server.
 *
 * Own codec, not Debian's libfcgi (2.4.2-2+deb12u1 in Debian 12, which
 * carries the fix for CVE-2025-23016, the ReadParams integer overflow).
 * libfcgi owns the socket: FCGX_Accept reads and writes with blocking
 * calls behind process-global state (FCGX_Init, the listen socket,
 * buffered streams with read-ahead), which suits a poll() loop badly and
 * makes it impossible to hand a connection's descriptor to another
 * process without losing bytes already buffered.  The protocol itself is
 * small: this module never touches a descriptor, works on bytes as they
 * arrive, bounds every length and is fuzzed (tests/fuzz/fuzz_fcgi.c).
 *
 * Two layers: a record reader (struct fcgi_reader) that cuts a byte
 * stream into records, and a connection (struct fcgi_conn) that assembles
 * a responder request from them and reports events.  Encoders write
 * records into the caller's buffer.  Nothing prints or exits; errors come
 * back as -1 with a message.  Section numbers are those of the FastCGI
 * 1.0 specification (Open Market, 1996).
 */
#ifndef SPEEDY_FCGI_H
#define SPEEDY_FCGI_H

#include <stddef.h>
#include <stdint.h>

#define FCGI_VERSION_1		1
#define FCGI_HDRLEN		8
#define FCGI_MAXCONTENT		65535
#define FCGI_MAXPADDING		255
#define FCGI_MAXRECORD	(FCGI_HDRLEN + FCGI_MAXCONTENT + FCGI_MAXPADDING)

/*
 * The bounds of a request's parameters: the PARAMS stream as sent (which
 * is never shorter than the "name=value" strings made from it) and the
 * number of pairs.  Both stay far below what proto.h lets a request
 * carry to a backend (PROTO_MAXBODY), and far above what a web server
 * sends (nginx: a few KiB; Apache: at most 100 header fields).
 */
#define FCGI_MAXPARAMS		(1u << 20)
#define FCGI_MAXPAIRS		4096

/* Record types (FastCGI 1.0, section 8). */
enum fcgi_type {
	FCGI_BEGIN_REQUEST = 1,
	FCGI_ABORT_REQUEST,
	FCGI_END_REQUEST,
	FCGI_PARAMS,
	FCGI_STDIN,
	FCGI_STDOUT,
	FCGI_STDERR,
	FCGI_DATA,
	FCGI_GET_VALUES,
	FCGI_GET_VALUES_RESULT,
	FCGI_UNKNOWN_TYPE
};

#define FCGI_RESPONDER		1	/* BEGIN_REQUEST roles */
#define FCGI_AUTHORIZER		2
#define FCGI_FILTER		3
#define FCGI_KEEP_CONN		1	/* BEGIN_REQUEST flags */

/* END_REQUEST protocol status. */
enum fcgi_pstatus {
	FCGI_REQUEST_COMPLETE = 0,
	FCGI_CANT_MPX_CONN,
	FCGI_OVERLOADED,
	FCGI_UNKNOWN_ROLE
};

/* The variables of GET_VALUES this codec knows, as bits. */
#define FCGI_VAL_MAX_CONNS	0x1u	/* "FCGI_MAX_CONNS" */
#define FCGI_VAL_MAX_REQS	0x2u	/* "FCGI_MAX_REQS" */
#define FCGI_VAL_MPXS_CONNS	0x4u	/* "FCGI_MPXS_CONNS" */

/* One record; content points into the reader's buffer. */
struct fcgi_record {
	int		 type;
	uint16_t	 id;	/* requestId, 0 for management */
	const uint8_t	*content;
	size_t		 len;	/* content bytes, padding removed */
};

/* Cuts a byte stream into records: at most one record is buffered. */
struct fcgi_reader {
	uint8_t		 buf[FCGI_MAXRECORD];
	size_t		 have;	/* bytes of the current record */
	size_t		 need;	/* its size once the header is in */
};

/* Makes r empty, ready for the first byte of a connection. */
void	fcgi_reader_init(struct fcgi_reader *r);

/*
 * Consumes bytes of data (len of them at most) until a record is
 * complete.  Returns 1 with the record in rec (valid until the next call
 * on r), 0 when all of data went into an incomplete record, or -1 with
 * err set when the header is malformed (version other than 1).  *used is
 * set to the bytes consumed in every case; the caller passes the rest
 * again.  Any split of the stream works, down to one byte per call.
 */
int	fcgi_reader_feed(struct fcgi_reader *r, const void *data, size_t len,
	    size_t *used, struct fcgi_record *rec, char *err, size_t errlen);

/* Returns 1 if r holds part of a record (the stream must not end here). */
int	fcgi_reader_partial(const struct fcgi_reader *r);

/* What fcgi_conn_feed reports. */
enum fcgi_event_type {
	FCGI_EV_BEGIN = 1,	/* a responder request began */
	FCGI_EV_PARAMS,		/* its parameters: env, nenv */
	FCGI_EV_STDIN,		/* body bytes: data, len */
	FCGI_EV_STDIN_END,	/* the body is complete */
	FCGI_EV_ABORT,		/* the web server gave up */
	FCGI_EV_UNKNOWN_ROLE,	/* answer END_REQUEST UNKNOWN_ROLE */
	FCGI_EV_CANT_MPX,	/* answer END_REQUEST CANT_MPX_CONN */
	FCGI_EV_GET_VALUES,	/* answer GET_VALUES_RESULT */
	FCGI_EV_UNKNOWN_TYPE	/* answer UNKNOWN_TYPE for rtype */
};

struct fcgi_event {
	int		  type;		/* enum fcgi_event_type */
	uint16_t	  id;		/* the requestId concerned */
	int		  keep_conn;	/* FCGI_KEEP_CONN was set (BEGIN,
					   PARAMS, UNKNOWN_ROLE) */
	int		  role;		/* UNKNOWN_ROLE: the role */
	char *const	 *env;		/* PARAMS: "name=value"s */
	size_t		  nenv;
	const uint8_t	 *data;		/* STDIN; valid till next feed */
	size_t		  len;
	unsigned int	  values;	/* GET_VALUES: FCGI_VAL_* asked */
	int		  rtype;	/* UNKNOWN_TYPE: the type */
};

struct fcgi_conn;

/* A connection's decoder, or NULL with errno set (ENOMEM). */
struct fcgi_conn *fcgi_conn_new(void);

/*
 * Makes c as new, for the next connection: a server keeps its decoders
 * rather than allocating (and clearing) one per connection.
 */
void	fcgi_conn_reset(struct fcgi_conn *c);

/* Frees c and everything its events point to. */
void	fcgi_conn_free(struct fcgi_conn *c);

/*
 * Consumes bytes of data (len at most) until something happens.  Returns
 * 1 with an event in ev, 0 when all of data is consumed without one, or
 * -1 with err set when the peer broke the protocol: the caller closes the
 * connection (and abandons its request, if any).  *used is set to the
 * bytes consumed in every case; the caller passes the rest again, when it
 * is ready for the next event (which is how a busy backend slows the
 * reading of a body down).
 *
 * One request at a time is active (nginx, Apache and lighttpd never
 * multiplex): a BEGIN_REQUEST for another requestId meanwhile gives
 * FCGI_EV_CANT_MPX.  Records for a requestId that was begun on this
 * connection but is not active (rejected, or ended) are ignored, as
 * section 3.3 says: the web server may have sent them before it saw the
 * END_REQUEST.  Records for a requestId never begun on the connection are
 * refused, as are: STDIN before the end of PARAMS, PARAMS after it,
 * anything after the end of STDIN but ABORT_REQUEST, application record
 * types on requestId 0, GET_VALUES on another, BEGIN_REQUEST content
 * that is not 8 bytes, records only an application sends (END_REQUEST,
 * STDOUT, STDERR, GET_VALUES_RESULT, UNKNOWN_TYPE), a PARAMS stream over
 * FCGI_MAXPARAMS bytes or FCGI_MAXPAIRS pairs, a pair whose lengths go
 * past the end of its stream, an empty name, a name holding '=' or NUL,
 * a value holding NUL (neither fits a "name=value" C string).  Duplicate
 * names are passed on as they are.  Any other record type (DATA, or one
 * newer than this codec) gives FCGI_EV_UNKNOWN_TYPE.
 */
int	fcgi_conn_feed(struct fcgi_conn *c, const void *data, size_t len,
	    size_t *used, struct fcgi_event *ev, char *err, size_t errlen);

/*
 * Tells c that the caller sent END_REQUEST for the active request (after
 * its end or an ABORT): the requestId becomes inactive, the parameters
 * of FCGI_EV_PARAMS are freed, and a new request may begin.
 */
void	fcgi_conn_end(struct fcgi_conn *c);

/*
 * The peer closed the connection.  Returns 0 if that was clean (between
 * records, no request active), -1 with err saying what was cut short.
 */
int	fcgi_conn_eof(const struct fcgi_conn *c, char *err, size_t errlen);

/*
 * The encoders write whole records into buf (size bytes) and return the
 * number of bytes written, or 0 if they do not fit (nothing is written).
 * Content is padded to a multiple of 8 bytes.
 */

/* The bytes a record with len bytes of content takes. */
size_t	fcgi_record_size(size_t len);

/* One record of any type; len at most FCGI_MAXCONTENT. */
size_t	fcgi_put_record(uint8_t *buf, size_t size, int type, uint16_t id,
	    const void *content, size_t len);

/*
 * Stream data (STDOUT, STDERR): as much of data as fits in buf, in
 * records of at most FCGI_MAXCONTENT bytes.  *used is set to the bytes
 * of data encoded; 0 is returned (and nothing written) for len 0, since
 * an empty record would end the stream: that is fcgi_put_eos.
 */
size_t	fcgi_put_data(uint8_t *buf, size_t size, int type, uint16_t id,
	    const void *data, size_t len, size_t *used);

/* The empty record that ends a stream (8 bytes). */
size_t	fcgi_put_eos(uint8_t *buf, size_t size, int type, uint16_t id);

/* END_REQUEST with the script's exit status (16 bytes). */
size_t	fcgi_put_end_request(uint8_t *buf, size_t size, uint16_t id,
	    uint32_t app_status, int pstatus);

/* UNKNOWN_TYPE for a record type the caller got (16 bytes). */
size_t	fcgi_put_unknown_type(uint8_t *buf, size_t size, int type);

/* What GET_VALUES_RESULT says, supplied by the server. */
struct fcgi_values {
	unsigned int	max_conns;
	unsigned int	max_reqs;
	unsigned int	mpxs_conns;
};

/* The largest GET_VALUES_RESULT record fcgi_put_values writes. */
#define FCGI_VALUES_MAX	88

/*
 * GET_VALUES_RESULT with the variables of asked (FCGI_VAL_* bits) that
 * this codec knows, taken from v.
 */
size_t	fcgi_put_values(uint8_t *buf, size_t size, unsigned int asked,
	    const struct fcgi_values *v);

#endif
