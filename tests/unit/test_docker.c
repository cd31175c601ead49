/* docker/: the Engine API client against a fake daemon on a unix socket in
 * a temporary directory (one thread, a connection at a time): parsed
 * answers, the status and message of an error answer, bodies that are not
 * JSON, chunked and EOF-framed bodies, kept-alive connections, an
 * unreachable socket, and addresses that are refused. */
#include "docker/docker.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[] = "/tmp/kapsel-test-docker-XXXXXX";
static char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int lfd = -1;
static pthread_t server;
static char last_agent[128];

static const struct {
	const char *path;
	int status;
	const char *body;
} answers[] = {
	{ "/version", 200, "{\"Version\":\"27.1.0\",\"ApiVersion\":\"1.46\"}" },
	{ "/containers/gone/json", 404, "{\"message\":\"No such container: gone\"}" },
	{ "/info", 500, "{\"message\":\"boom\"}" },
	{ "/text", 200, "plain text" },
	{ "/empty", 204, "" },
	{ "/list", 200, "[1,2,3]" },
};

static int accepts;

/* One connection: answers until the client closes it, or an answer that
 * ends it ("Connection: close", an EOF-framed body, /bye's silent close). */
static void converse(int c)
{
	for (;;) {
		char req[4096];
		size_t n = 0;
		while (n < sizeof(req) - 1 && !memmem(req, n, "\r\n\r\n", 4)) {
			ssize_t r = read(c, req + n, sizeof(req) - 1 - n);
			if (r <= 0)
				return;
			n += (size_t)r;
		}
		req[n] = '\0';
		char path[512] = "";
		sscanf(req, "GET %511s", path);
		const char *ua = strstr(req, "User-Agent: ");
		if (ua)
			snprintf(last_agent, sizeof(last_agent), "%.*s", (int)strcspn(ua + 12, "\r\n"), ua + 12);
		char out[8192];
		int len;
		if (!strcmp(path, "/chunked")) /* Go's net/http for a big body: chunks, kept alive */
			len = snprintf(out, sizeof(out),
				       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
				       "1\r\n[\r\n4;ext=1\r\n1,2,\r\nA\r\n3,4,5,6,7]\r\n0\r\nX-Trailer: t\r\n\r\n");
		else if (!strcmp(path, "/keep") || !strcmp(path, "/bye"))
			len = snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
		else if (!strcmp(path, "/eof"))
			len = snprintf(out, sizeof(out), "HTTP/1.0 200 OK\r\n\r\n[\"to the end\"]");
		else if (!strcmp(path, "/garbage"))
			len = snprintf(out, sizeof(out), "SSH-2.0-OpenSSH\r\n\r\n");
		else if (!strcmp(path, "/interim")) /* a 100 Continue first: not the answer */
			len = snprintf(out, sizeof(out),
				       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 7\r\n"
				       "Connection: close\r\n\r\n[1,0,0]");
		else if (!strcmp(path, "/loose")) /* no length: strtoll would take the body's "3" */
			len = snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n3abc");
		else if (!strcmp(path, "/bighead")) { /* 70 lines of 1000 bytes: each fits a line, not a head */
			len = snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\n");
			if (write(c, out, (size_t)len) < 0)
				return;
			memset(out, 'h', 1000);
			memcpy(out, "X-Pad: ", 7);
			memcpy(out + 998, "\r\n", 2);
			for (int i = 0; i < 70; i++)
				if (write(c, out, 1000) < 0)
					return;
			len = snprintf(out, sizeof(out), "Content-Length: 2\r\n\r\n{}");
		} else if (!strcmp(path, "/short"))
			len = snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n[1,");
		else {
			int status = 404;
			const char *body = "{\"message\":\"page not found\"}";
			for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
				if (!strcmp(answers[i].path, path)) {
					status = answers[i].status;
					body = answers[i].body;
				}
			len = snprintf(out, sizeof(out),
				       "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
				       "Connection: close\r\n\r\n%s",
				       status, status == 204 ? (size_t)0 : strlen(body), status == 204 ? "" : body);
		}
		if (write(c, out, (size_t)len) < 0)
			return;
		if (strcmp(path, "/chunked") && strcmp(path, "/keep"))
			return; /* /bye: closed without a word, as an idle timeout does */
	}
}

static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0)
			return NULL;
		__atomic_add_fetch(&accepts, 1, __ATOMIC_SEQ_CST);
		converse(c);
		close(c);
	}
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/docker.sock", dir);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 16) < 0)
		return -1;
	return pthread_create(&server, NULL, serve, NULL) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	shutdown(lfd, SHUT_RDWR);
	pthread_join(server, NULL);
	close(lfd);
	unlink(sock);
	rmdir(dir);
	return 0;
}

static struct kdocker *client(void)
{
	char host[300];
	kerr e;
	snprintf(host, sizeof(host), "unix://%s", sock);
	struct kdocker *d = kdocker_new(host, "kapsel-test/1", &e);
	assert_non_null(d);
	assert_string_equal(kdocker_socket(d), sock);
	return d;
}

static void test_version_and_json(void **state)
{
	(void)state;
	struct kdocker *d = client();
	json_object *v = NULL, *l = NULL;
	kerr e;
	assert_int_equal(kdocker_version(d, &v, &e), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(v, "ApiVersion")), "1.46");
	assert_string_equal(last_agent, "kapsel-test/1");
	json_object_put(v);
	assert_int_equal(kdocker_version(d, NULL, &e), 0);
	assert_int_equal(kdocker_get_json(d, "/list", &l, &e), 0);
	assert_int_equal(json_object_array_length(l), 3);
	json_object_put(l);
	kdocker_free(d);
}

static void test_error_answers(void **state)
{
	(void)state;
	struct kdocker *d = client();
	json_object *o = (json_object *)1;
	kerr e;
	char want[512];

	assert_int_equal(kdocker_get_json(d, "/containers/gone/json", &o, &e), -1);
	assert_null(o);
	assert_int_equal(e.errnum, ENOENT);
	snprintf(want, sizeof(want), "unix://%s: GET /containers/gone/json answered 404: No such container: gone", sock);
	assert_string_equal(e.msg, want);

	assert_int_equal(kdocker_get_json(d, "/info", &o, &e), -1);
	assert_int_equal(e.errnum, EIO);
	assert_non_null(strstr(e.msg, "GET /info answered 500: boom"));

	assert_int_equal(kdocker_get_json(d, "/text", &o, &e), -1);
	assert_non_null(strstr(e.msg, "GET /text answered 200 without a JSON body"));
	assert_int_equal(kdocker_get_json(d, "/empty", &o, &e), -1);
	assert_non_null(strstr(e.msg, "GET /empty answered 204"));
	assert_int_equal(kdocker_get(d, "/containers/gone/json", &o, &e), 404);
	assert_non_null(o);
	json_object_put(o);
	kdocker_free(d);
}

/* Framing as Go's net/http sends it, connections kept and reused, one the
 * daemon closed meanwhile replaced, and answers that are not HTTP. */
static void test_framing_and_keep_alive(void **state)
{
	(void)state;
	struct kdocker *d = client();
	json_object *o = NULL;
	kerr e;
	int before = __atomic_load_n(&accepts, __ATOMIC_SEQ_CST);
	assert_int_equal(kdocker_get_json(d, "/chunked", &o, &e), 0);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "[1,2,3,4,5,6,7]");
	json_object_put(o);
	assert_int_equal(kdocker_get_json(d, "/keep", &o, &e), 0);
	json_object_put(o);
	assert_int_equal(kdocker_get_json(d, "/chunked", &o, &e), 0);
	json_object_put(o);
	assert_int_equal(__atomic_load_n(&accepts, __ATOMIC_SEQ_CST), before + 1); /* one connection for all three */
	/* /bye answers and closes unannounced: the kept connection is dead,
	 * the next request makes a new one and succeeds */
	assert_int_equal(kdocker_get_json(d, "/bye", &o, &e), 0);
	json_object_put(o);
	usleep(20000);
	assert_int_equal(kdocker_get_json(d, "/keep", &o, &e), 0);
	json_object_put(o);
	assert_int_equal(__atomic_load_n(&accepts, __ATOMIC_SEQ_CST), before + 2);
	/* a body to the end of the connection (HTTP/1.0) */
	assert_int_equal(kdocker_get_json(d, "/eof", &o, &e), 0);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(o, 0)), "to the end");
	json_object_put(o);
	/* not HTTP, and a body cut short */
	assert_int_equal(kdocker_get(d, "/garbage", &o, &e), -1);
	assert_non_null(strstr(e.msg, "GET /garbage: not an HTTP/1.x answer"));
	assert_int_equal(kdocker_get(d, "/short", &o, &e), -1);
	assert_non_null(strstr(e.msg, "GET /short"));
	/* an interim 100 is read over; a length that is no number, and a head
	 * of 70 KB, are refused */
	assert_int_equal(kdocker_get_json(d, "/interim", &o, &e), 0);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "[1,0,0]");
	json_object_put(o);
	assert_int_equal(kdocker_get(d, "/loose", &o, &e), -1);
	assert_non_null(strstr(e.msg, "GET /loose: not an HTTP/1.x answer"));
	assert_int_equal(kdocker_get(d, "/bighead", &o, &e), -1);
	assert_non_null(strstr(e.msg, "GET /bighead: the answer is larger than"));
	kdocker_free(d);
}

static void test_unreachable_and_bad_hosts(void **state)
{
	(void)state;
	kerr e;
	char host[300];
	snprintf(host, sizeof(host), "%s/none.sock", dir);
	struct kdocker *d = kdocker_new(host, NULL, &e);
	assert_non_null(d);
	json_object *o = NULL;
	assert_int_equal(kdocker_get(d, "/version", &o, &e), -1);
	assert_int_equal(e.errnum, ECONNREFUSED);
	assert_non_null(strstr(e.msg, "no such socket"));
	assert_non_null(strstr(e.msg, host));
	assert_int_equal(kdocker_version(d, &o, &e), -1);
	kdocker_free(d);

	/* a regular file where the socket should be */
	snprintf(host, sizeof(host), "%s/file", dir);
	FILE *f = fopen(host, "w");
	assert_non_null(f);
	fclose(f);
	d = kdocker_new(host, NULL, &e);
	assert_int_equal(kdocker_get(d, "/version", &o, &e), -1);
	assert_non_null(strstr(e.msg, "not a socket"));
	kdocker_free(d);
	unlink(host);

	static const char *const bad[] = { "tcp://127.0.0.1:2375", "ssh://host", "https://x", "relative.sock" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(kdocker_new(bad[i], NULL, &e));
		assert_non_null(strstr(e.msg, bad[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_json),
		cmocka_unit_test(test_framing_and_keep_alive),
		cmocka_unit_test(test_error_answers),
		cmocka_unit_test(test_unreachable_and_bad_hosts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
