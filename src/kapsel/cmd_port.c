/* kapsel port CONTAINER [PORT[/PROTO]]: the published ports, as Docker
 * prints them ("80/tcp -> 127.0.0.1:8080"; with PORT only the host
 * addresses), from inspect's NetworkSettings.Ports. */
#include "kapsel.h"

#include "common/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int port_run(const struct cli_call *c)
{
	char want[64] = "";
	if (c->argc > 1) {
		const char *p = c->argv[1], *sl = strchr(p, '/');
		char *end;
		long n = strtol(p, &end, 10);
		if (end == p || n < 1 || n > 65535 || (*end && end != sl) ||
		    (sl && strcmp(sl + 1, "tcp") && strcmp(sl + 1, "udp")))
			return cli_usage_error(c, "%s: expected PORT or PORT/tcp|udp", p);
		snprintf(want, sizeof(want), "%ld/%s", n, sl ? sl + 1 : "tcp");
	}
	struct keng *g;
	int rc = kapsel_engine(c, KENG_SHARED, &g);
	if (rc)
		return rc;
	char id[65];
	json_object *o = NULL;
	kerr e = { 0 };
	if ((rc = kapsel_container(c, g, c->argv[0], id)) == 0 && keng_inspect(g, id, &o, &e) < 0)
		rc = cli_error(c, CLI_EXIT_FAILURE, "%s", e.msg);
	keng_close(g);
	if (rc)
		return rc;
	json_object *ports = kj_get(kj_get(o, "NetworkSettings"), "Ports");
	bool found = false;
	if (json_object_is_type(ports, json_type_object)) {
		json_object_object_foreach(ports, key, binds)
		{
			if (*want && strcmp(key, want))
				continue;
			for (size_t i = 0;
			     json_object_is_type(binds, json_type_array) && i < json_object_array_length(binds); i++) {
				json_object *b = json_object_array_get_idx(binds, i);
				found = true;
				if (*want)
					printf("%s:%s\n", kj_get_str(b, "HostIp") ?: "",
					       kj_get_str(b, "HostPort") ?: "");
				else
					printf("%s -> %s:%s\n", key, kj_get_str(b, "HostIp") ?: "",
					       kj_get_str(b, "HostPort") ?: "");
			}
		}
	}
	json_object_put(o);
	if (*want && !found)
		return cli_error(c, CLI_EXIT_FAILURE, "no public port '%s' published for %s", want, c->argv[0]);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

const struct cli_command cmd_port = {
	.name = "port",
	.run = port_run,
	.min_args = 1,
	.max_args = 2,
	.args = "CONTAINER [PORT[/PROTO]]",
	.summary = "list a container's published ports",
};
