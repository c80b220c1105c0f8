/*
 * trivial: the baseline of the hello-world case.  The least a CGI program
 * can be: one write of a short response, then exit.  bench/run builds it
 * with "cc -O2 -static" so no dynamic loader is involved; its exec cost is
 * the floor any frontend exec'd per request is compared against.
 */
#include <unistd.h>

static const char resp[] = "Content-Type: text/plain\n\nhello, world\n";

int
main(void)
{
	return write(1, resp, sizeof(resp) - 1) == (ssize_t)(sizeof(resp) - 1)
	    ? 0 : 1;
}
