/* A client for the Docker Engine API over its unix socket.
 *
 * Contract: kdocker_new() only checks the address (unix:///path or /path;
 * tcp, ssh and http are refused) and connects lazily.  Every request is a
 * blocking GET with a 3 s connect and 30 s total timeout.  The client is
 * thread-safe: concurrent requests each take a pooled connection (kept
 * alive between requests; HTTP/1.1 written in client.c, no libcurl).  Errors name the socket and the endpoint, and
 * for an answer that is not 2xx the HTTP status and the daemon's
 * "message": "unix:///var/run/docker.sock: GET /containers/x/json answered
 * 404: No such container: x".  An unreachable daemon is ECONNREFUSED with
 * the likely reason (no socket, not a socket, permission, refused).  Used by
 * `kapsel audit` and the monitor's discovery. */
#ifndef KAPSEL_DOCKER_H
#define KAPSEL_DOCKER_H

#include "common/err.h"

#include <json-c/json.h>

struct kdocker;

/* HOST: "unix:///path" or "/path"; NULL or "": /var/run/docker.sock.
 * AGENT: the User-Agent ("kapsel-audit/0.1.0"); NULL: "kapsel/VERSION". */
struct kdocker *kdocker_new(const char *host, const char *agent, kerr *e);
void kdocker_free(struct kdocker *d);
/* The socket path ("/var/run/docker.sock"). */
const char *kdocker_socket(const struct kdocker *d);

/* GET PATH ("/info"): the HTTP status, with the parsed body in *out (NULL
 * when it is empty or not JSON; the caller puts it), or -1 when the daemon
 * cannot be reached (e filled).  For callers that treat statuses
 * themselves (a 404 that means "gone"). */
int kdocker_get(struct kdocker *d, const char *path, json_object **out, kerr *e);
/* GET PATH and require a 2xx JSON answer: 0 with *out set, or -1 with e
 * naming the endpoint and the status (EIO; ENOENT for 404). */
int kdocker_get_json(struct kdocker *d, const char *path, json_object **out, kerr *e);
/* GET /version: the daemon is there and speaks the API.  *out (may be
 * NULL) receives the document ("Version", "ApiVersion", ...). */
int kdocker_version(struct kdocker *d, json_object **out, kerr *e);

#endif
