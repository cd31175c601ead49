/* Unit tests for engine/: the image config -> runtime config conversion
 * (convert.c), kapsel.conf's [run] defaults (defaults.c), label keys the
 * policy reads (spec.c) and the --format templates (template.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "engine/cidr.h"
#include "engine/convert.h"
#include "engine/engine.h"
#include "engine/mounts.h"
#include "engine/network.h"
#include "engine/spec.h"
#include "engine/template.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static const char passwd[] =
	"root:x:0:0:root:/root:/bin/sh\n"
	"# a comment\n"
	"app:x:1000:1001:app:/home/app:/bin/sh\n"
	"broken line\n"
	"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
	"nohome:x:1200:1200:::/bin/sh\n";
static const char group[] =
	"root:x:0:\n"
	"app:x:1001:\n"
	"wheel:x:10:app,other\n"
	"video:x:44:other\n"
	"staff:x:50:app\n"
	"nogroup:x:65534:\n";

/* ---- env ---- */

static void test_env_merge(void **state)
{
	(void)state;
	char *img[] = { "PATH=/img/bin", "A=image", "B=image", NULL };
	char *over[] = { "A=flag", "C=new", NULL };
	_cleanup_strv_ char **env = NULL;
	kerr e = { 0 };
	assert_int_equal(keng_env_merge(img, over, "/home/app", &env, &e), 0);
	/* the flags' first, then the image's they did not set (Docker's
	 * order); PATH kept from the image; HOME added */
	assert_int_equal(kstrv_len(env), 5);
	assert_string_equal(env[0], "A=flag");
	assert_string_equal(env[1], "C=new");
	assert_string_equal(env[2], "PATH=/img/bin");
	assert_string_equal(env[3], "B=image");
	assert_string_equal(env[4], "HOME=/home/app");
	char *twice[] = { "X=1", "Y=2", "X=3", NULL };
	_cleanup_strv_ char **env3 = NULL;
	assert_int_equal(keng_env_merge(img, twice, NULL, &env3, &e), 0);
	assert_string_equal(env3[0], "X=3");
	assert_string_equal(env3[1], "Y=2");
}

static void test_env_defaults(void **state)
{
	(void)state;
	_cleanup_strv_ char **env = NULL;
	kerr e = { 0 };
	assert_int_equal(keng_env_merge(NULL, NULL, NULL, &env, &e), 0);
	assert_int_equal(kstrv_len(env), 2);
	assert_string_equal(env[0], "PATH=" KENG_DEFAULT_PATH);
	assert_string_equal(env[1], "HOME=/");
	char *home[] = { "HOME=/data", NULL };
	_cleanup_strv_ char **env2 = NULL;
	assert_int_equal(keng_env_merge(NULL, home, "/root", &env2, &e), 0);
	assert_true(kstrv_contains(env2, "HOME=/data"));
	assert_false(kstrv_contains(env2, "HOME=/root"));
}

static void test_env_bad(void **state)
{
	(void)state;
	_cleanup_strv_ char **env = NULL;
	kerr e = { 0 };
	char *bare[] = { "JUSTKEY", NULL };
	assert_int_equal(keng_env_merge(NULL, bare, NULL, &env, &e), -1);
	assert_int_equal(e.errnum, EINVAL);
	assert_non_null(strstr(e.msg, "JUSTKEY"));
	char *empty[] = { "=x", NULL };
	assert_int_equal(keng_env_merge(empty, NULL, NULL, &env, &e), -1);
	assert_null(env);
}

static void test_env_file(void **state)
{
	(void)state;
	_cleanup_strv_ char **env = NULL;
	kerr e = { 0 };
	assert_int_equal(keng_env_file_parse("f.env", "# c\n\nA=1\r\n  B=two words\nHOSTVAR\n", &env, &e), 0);
	assert_int_equal(kstrv_len(env), 3);
	assert_string_equal(env[0], "A=1");
	assert_string_equal(env[1], "B=two words");
	assert_string_equal(env[2], "HOSTVAR");
	_cleanup_strv_ char **bad = NULL;
	assert_int_equal(keng_env_file_parse("f.env", "A=1\nBAD KEY=2\n", &bad, &e), -1);
	assert_non_null(strstr(e.msg, "f.env:2"));
	assert_int_equal(keng_env_file_parse("g.env", "=1\n", &bad, &e), -1);
	assert_non_null(strstr(e.msg, "g.env:1"));
}

/* ---- args ---- */

static void test_args(void **state)
{
	(void)state;
	char *ep[] = { "/entry", "-x", NULL };
	char *cmd[] = { "serve", "--port", "80", NULL };
	char *user[] = { "other", NULL };
	kerr e = { 0 };
	char **v = NULL;
	/* Entrypoint + Cmd */
	assert_int_equal(keng_args(ep, cmd, NULL, NULL, &v, &e), 0);
	assert_int_equal(kstrv_len(v), 5);
	assert_string_equal(v[0], "/entry");
	assert_string_equal(v[2], "serve");
	kstrv_free(v);
	/* arguments replace Cmd, keep Entrypoint */
	assert_int_equal(keng_args(ep, cmd, NULL, user, &v, &e), 0);
	assert_int_equal(kstrv_len(v), 3);
	assert_string_equal(v[2], "other");
	kstrv_free(v);
	/* --entrypoint drops the image's Cmd */
	assert_int_equal(keng_args(ep, cmd, "/bin/sh", NULL, &v, &e), 0);
	assert_int_equal(kstrv_len(v), 1);
	assert_string_equal(v[0], "/bin/sh");
	kstrv_free(v);
	assert_int_equal(keng_args(ep, cmd, "/bin/echo", user, &v, &e), 0);
	assert_int_equal(kstrv_len(v), 2);
	assert_string_equal(v[1], "other");
	kstrv_free(v);
	/* --entrypoint "" clears it: the arguments are the command */
	assert_int_equal(keng_args(ep, cmd, "", user, &v, &e), 0);
	assert_int_equal(kstrv_len(v), 1);
	assert_string_equal(v[0], "other");
	kstrv_free(v);
	/* Cmd alone */
	assert_int_equal(keng_args(NULL, cmd, NULL, NULL, &v, &e), 0);
	assert_string_equal(v[0], "serve");
	kstrv_free(v);
	/* nothing at all */
	v = NULL;
	assert_int_equal(keng_args(NULL, NULL, NULL, NULL, &v, &e), -1);
	assert_int_equal(e.errnum, EINVAL);
	assert_non_null(strstr(e.msg, "no command"));
	assert_int_equal(keng_args(ep, cmd, "", NULL, &v, &e), -1);
}

/* ---- user ---- */

static void test_user_by_name(void **state)
{
	(void)state;
	struct keng_user u;
	kerr e = { 0 };
	assert_int_equal(keng_user_resolve("app", passwd, group, NULL, &u, &e), 0);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1001);
	assert_string_equal(u.home, "/home/app");
	assert_string_equal(u.name, "app");
	/* primary first, then the groups listing app */
	assert_int_equal(u.ngids, 3);
	assert_int_equal(u.gids[0], 1001);
	assert_int_equal(u.gids[1], 10);
	assert_int_equal(u.gids[2], 50);
	keng_user_clear(&u);
	assert_int_equal(keng_user_resolve("nohome", passwd, group, NULL, &u, &e), 0);
	assert_string_equal(u.home, "/");
	keng_user_clear(&u);
}

static void test_user_numeric(void **state)
{
	(void)state;
	struct keng_user u;
	kerr e = { 0 };
	/* a known uid takes its passwd entry */
	assert_int_equal(keng_user_resolve("1000", passwd, group, NULL, &u, &e), 0);
	assert_int_equal(u.gid, 1001);
	assert_string_equal(u.name, "app");
	keng_user_clear(&u);
	/* an unknown uid gets gid = uid, never 0 */
	assert_int_equal(keng_user_resolve("4321", passwd, group, NULL, &u, &e), 0);
	assert_int_equal(u.uid, 4321);
	assert_int_equal(u.gid, 4321);
	assert_int_equal(u.ngids, 1);
	assert_int_equal(u.gids[0], 4321);
	assert_null(u.name);
	assert_string_equal(u.home, "/");
	keng_user_clear(&u);
	/* with no passwd at all too */
	assert_int_equal(keng_user_resolve("777", NULL, NULL, NULL, &u, &e), 0);
	assert_int_equal(u.gid, 777);
	keng_user_clear(&u);
	/* uid:gid numbers */
	assert_int_equal(keng_user_resolve("65534:65534", NULL, NULL, NULL, &u, &e), 0);
	assert_int_equal(u.uid, 65534);
	assert_int_equal(u.gid, 65534);
	keng_user_clear(&u);
}

static void test_user_group(void **state)
{
	(void)state;
	struct keng_user u;
	kerr e = { 0 };
	assert_int_equal(keng_user_resolve("app:video", passwd, group, NULL, &u, &e), 0);
	assert_int_equal(u.gid, 44);
	/* the named primary group is in the list, first */
	assert_int_equal(u.gids[0], 44);
	keng_user_clear(&u);
	char *add[] = { "video", "2000", NULL };
	assert_int_equal(keng_user_resolve("4000:4000", passwd, group, add, &u, &e), 0);
	assert_int_equal(u.ngids, 3);
	assert_int_equal(u.gids[0], 4000);
	assert_int_equal(u.gids[1], 44);
	assert_int_equal(u.gids[2], 2000);
	keng_user_clear(&u);
}

static void test_user_errors(void **state)
{
	(void)state;
	struct keng_user u;
	kerr e = { 0 };
	assert_int_equal(keng_user_resolve("ghost", passwd, group, NULL, &u, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_non_null(strstr(e.msg, "unable to find user ghost"));
	assert_int_equal(keng_user_resolve("ghost", NULL, NULL, NULL, &u, &e), -1);
	assert_non_null(strstr(e.msg, "the image has none"));
	assert_int_equal(keng_user_resolve("app:nosuch", passwd, group, NULL, &u, &e), -1);
	assert_non_null(strstr(e.msg, "unable to find group nosuch"));
	char *add[] = { "nosuch", NULL };
	assert_int_equal(keng_user_resolve("app", passwd, group, add, &u, &e), -1);
	assert_non_null(strstr(e.msg, "--group-add"));
	assert_int_equal(keng_user_resolve("", passwd, group, NULL, &u, &e), -1);
	assert_int_equal(keng_user_resolve("app:", passwd, group, NULL, &u, &e), -1);
	assert_int_equal(e.errnum, EINVAL);
	/* out of range is a name, so unknown */
	assert_int_equal(keng_user_resolve("99999999999", passwd, group, NULL, &u, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
}

/* From the attacker's side: an image whose /etc/passwd is a symlink out
 * of the root must not read the host's file.  The host file here names a
 * user "evil" with uid 0 that the image does not have. */
static void test_user_in_root_symlink_attack(void **state)
{
	(void)state;
	char dir[] = "/tmp/kapsel-test-engine-XXXXXX";
	char hostpw[] = "/tmp/kapsel-test-hostpw-XXXXXX";
	assert_non_null(mkdtemp(dir));
	int hfd = mkstemp(hostpw);
	assert_true(hfd >= 0);
	const char *evil = "evil:x:0:0:evil:/:/bin/sh\n";
	assert_int_equal(write(hfd, evil, strlen(evil)), (ssize_t)strlen(evil));
	close(hfd);
	char p[256], target[300];
	snprintf(p, sizeof(p), "%s/etc", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc/passwd", dir);
	snprintf(target, sizeof(target), "../../../../../../..%s", hostpw);
	assert_int_equal(symlink(target, p), 0);
	int rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	struct keng_user u;
	kerr e = { 0 };
	/* relative, absolute, and in the fallback walk: never the host's */
	for (int pass = 0; pass < 4; pass++) {
		if (pass == 1 || pass == 3) {
			assert_int_equal(unlink(p), 0);
			assert_int_equal(symlink(hostpw, p), 0);
		}
		if (pass == 2) {
			assert_int_equal(unlink(p), 0);
			assert_int_equal(symlink(target, p), 0);
		}
		kfs_force_fallback(pass >= 2);
		assert_int_equal(keng_user_in_root(rootfd, "evil", NULL, &u, &e), -1);
		assert_int_equal(e.errnum, ENOENT);
		assert_non_null(strstr(e.msg, "the image has none"));
	}
	kfs_force_fallback(0);
	/* a passwd symlink to itself loops: refused, not read elsewhere */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("/../../etc/passwd", p), 0);
	assert_int_equal(keng_user_in_root(rootfd, "evil", NULL, &u, &e), -1);
	/* a symlink that stays inside the root is followed there */
	assert_int_equal(unlink(p), 0);
	snprintf(target, sizeof(target), "%s/etc/passwd.real", dir);
	assert_int_equal(kfs_write_file(target, "svc:x:321:654::/srv:/bin/sh\n", 28, 0644, 0, &e), 0);
	assert_int_equal(symlink("/../../etc/passwd.real", p), 0);
	assert_int_equal(keng_user_in_root(rootfd, "svc", NULL, &u, &e), 0);
	assert_int_equal(u.uid, 321);
	assert_int_equal(u.gid, 654);
	keng_user_clear(&u);
	/* a passwd that is a directory is refused, not read */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(keng_user_in_root(rootfd, "svc", NULL, &u, &e), -1);
	close(rootfd);
	unlink(hostpw);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_workdir(void **state)
{
	(void)state;
	kerr e = { 0 };
	assert_int_equal(keng_workdir_check("/srv/app", &e), 0);
	assert_int_equal(keng_workdir_check("/srv/..app", &e), 0);
	assert_int_equal(keng_workdir_check("srv", &e), -1);
	assert_int_equal(keng_workdir_check("/srv/../..", &e), -1);
	assert_int_equal(keng_workdir_check("/..", &e), -1);
	assert_int_equal(keng_workdir_check(NULL, &e), -1);
}

/* ---- defaults ---- */

static void test_defaults_builtin(void **state)
{
	(void)state;
	struct keng_defaults d;
	kerr e = { 0 };
	assert_int_equal(keng_defaults_load("/nonexistent/kapsel.conf", &d, &e), 0);
	assert_string_equal(d.user, "65534:65534");
	assert_int_equal(d.memory, 256LL << 20);
	assert_int_equal(d.nano_cpus, 1000000000LL);
	assert_int_equal(d.pids_limit, 512);
	assert_int_equal(d.nofile, 1024);
	assert_true(d.read_only);
	assert_string_equal(d.network, "none");
	assert_string_equal(d.restart, "on-failure:5");
	assert_string_equal(d.bridge_name, "kapsel0");
	assert_string_equal(d.bridge_subnet, "10.89.0.0/16");
	assert_string_equal(d.publish_address, "127.0.0.1");
	keng_defaults_clear(&d);
}

/* The shipped data/kapsel.conf says exactly the built-in values. */
/* -p's forms into portMappings; each bad one named. */
static void test_ports_parse(void **state)
{
	(void)state;
	struct keng_defaults d;
	kerr e = { 0 };
	assert_int_equal(keng_defaults_load("/nonexistent", &d, &e), 0);
	char *good[] = { "80", "8080:80", "0.0.0.0:8081:81/udp", "10.1.2.3::82", "9000-9001:90-91", "92-93/udp",
			 "9100-9105:94", NULL };
	json_object *m = NULL;
	if (keng_ports_parse(good, &d, &m, &e) < 0)
		fail_msg("%s", e.msg);
	assert_string_equal(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN),
			    "[{\"hostPort\":0,\"containerPort\":80,\"protocol\":\"tcp\",\"hostIP\":\"127.0.0.1\"},"
			    "{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\",\"hostIP\":\"127.0.0.1\"},"
			    "{\"hostPort\":8081,\"containerPort\":81,\"protocol\":\"udp\",\"hostIP\":\"0.0.0.0\"},"
			    "{\"hostPort\":0,\"containerPort\":82,\"protocol\":\"tcp\",\"hostIP\":\"10.1.2.3\"},"
			    "{\"hostPort\":9000,\"containerPort\":90,\"protocol\":\"tcp\",\"hostIP\":\"127.0.0.1\"},"
			    "{\"hostPort\":9001,\"containerPort\":91,\"protocol\":\"tcp\",\"hostIP\":\"127.0.0.1\"},"
			    "{\"hostPort\":0,\"containerPort\":92,\"protocol\":\"udp\",\"hostIP\":\"127.0.0.1\"},"
			    "{\"hostPort\":0,\"containerPort\":93,\"protocol\":\"udp\",\"hostIP\":\"127.0.0.1\"},"
			    "{\"hostPort\":9100,\"hostPortEnd\":9105,\"containerPort\":94,\"protocol\":\"tcp\","
			    "\"hostIP\":\"127.0.0.1\"}]");
	json_object_put(m);
	static const char *const bad[][2] = {
		{ "0", "container port" },        { "65536", "container port" }, { "80/sctp", "tcp or udp" },
		{ "x:80", "host port" },          { "1.2.3:80:80", "IPv4" },     { "::1:80:80", "IPv6" },
		{ "81-80:80", "host port" },      { "", "container port" },      { "80-81:90-92", "as many host ports" },
		{ "8080:80-81", "as many" },      { "80-", "container port" },   { "1-1025", "more than 1024" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *one[] = { (char *)bad[i][0], NULL };
		kerr be = { 0 };
		m = NULL;
		if (keng_ports_parse(one, &d, &m, &be) != -1)
			fail_msg("-p %s: accepted", bad[i][0]);
		assert_null(m);
		if (!strstr(be.msg, bad[i][1]))
			fail_msg("-p %s: \"%s\" lacks \"%s\"", bad[i][0], be.msg, bad[i][1]);
	}
	assert_true(keng_net_is_cni("bridge") && keng_net_is_cni("mynet"));
	assert_false(keng_net_is_cni("none") || keng_net_is_cni("host"));
	keng_defaults_clear(&d);
}

static void test_defaults_shipped(void **state)
{
	(void)state;
	const char *src = getenv("KAPSEL_SOURCE_ROOT");
	if (!src)
		skip();
	char p[512];
	snprintf(p, sizeof(p), "%s/data/kapsel.conf", src);
	struct keng_defaults a, b;
	kerr e = { 0 };
	assert_int_equal(keng_defaults_load(p, &a, &e), 0);
	assert_int_equal(keng_defaults_load("/nonexistent", &b, &e), 0);
	assert_string_equal(a.user, b.user);
	assert_int_equal(a.memory, b.memory);
	assert_int_equal(a.nano_cpus, b.nano_cpus);
	assert_int_equal(a.cpu_shares, b.cpu_shares);
	assert_int_equal(a.pids_limit, b.pids_limit);
	assert_int_equal(a.nofile, b.nofile);
	assert_int_equal(a.nproc, b.nproc);
	assert_int_equal(a.read_only, b.read_only);
	assert_string_equal(a.network, b.network);
	assert_int_equal(a.tmp_size, b.tmp_size);
	assert_int_equal(a.run_size, b.run_size);
	assert_int_equal(a.volume_size, b.volume_size);
	assert_string_equal(a.restart, b.restart);
	assert_int_equal(a.stop_timeout, b.stop_timeout);
	assert_string_equal(a.log_driver, b.log_driver);
	assert_string_equal(a.log_max_size, b.log_max_size);
	assert_string_equal(a.log_max_file, b.log_max_file);
	assert_int_equal(a.log_compress, b.log_compress);
	assert_int_equal(a.userns_host_uid, b.userns_host_uid);
	assert_int_equal(a.userns_size, b.userns_size);
	assert_string_equal(a.bridge_name, b.bridge_name);
	assert_string_equal(a.bridge_subnet, b.bridge_subnet);
	assert_string_equal(a.publish_address, b.publish_address);
	assert_string_equal(a.cni_path, b.cni_path);
	keng_defaults_clear(&a);
	keng_defaults_clear(&b);
}

static void test_defaults_file(void **state)
{
	(void)state;
	char p[] = "/tmp/kapsel-test-conf-XXXXXX";
	int fd = mkstemp(p);
	assert_true(fd >= 0);
	const char *text = "[run]\nuser = 1000:1000\nmemory = 1g\ncpus = 0.5\nread_only = false\npids_limit = -1\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct keng_defaults d;
	kerr e = { 0 };
	assert_int_equal(keng_defaults_load(p, &d, &e), 0);
	assert_string_equal(d.user, "1000:1000");
	assert_int_equal(d.memory, 1LL << 30);
	assert_int_equal(d.nano_cpus, 500000000LL);
	assert_false(d.read_only);
	assert_int_equal(d.pids_limit, -1);
	keng_defaults_clear(&d);
	/* a misspelt key is an error naming the file and line */
	fd = open(p, O_WRONLY | O_TRUNC);
	const char *bad = "[run]\nmemroy = 1g\n";
	assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
	close(fd);
	assert_int_equal(keng_defaults_load(p, &d, &e), -1);
	assert_non_null(strstr(e.msg, ":2"));
	assert_non_null(strstr(e.msg, "memroy"));
	keng_defaults_clear(&d);
	fd = open(p, O_WRONLY | O_TRUNC);
	const char *badnet = "[run]\nnetwork = ../x\n";
	assert_int_equal(write(fd, badnet, strlen(badnet)), (ssize_t)strlen(badnet));
	close(fd);
	assert_int_equal(keng_defaults_load(p, &d, &e), -1);
	assert_non_null(strstr(e.msg, "network"));
	keng_defaults_clear(&d);
	fd = open(p, O_WRONLY | O_TRUNC);
	const char *bridge =
		"[run]\nnetwork = bridge\n[network]\nbridge_subnet = 10.77.0.0/16\npublish_address = 0.0.0.0\n";
	assert_int_equal(write(fd, bridge, strlen(bridge)), (ssize_t)strlen(bridge));
	close(fd);
	assert_int_equal(keng_defaults_load(p, &d, &e), 0);
	assert_string_equal(d.network, "bridge");
	assert_string_equal(d.bridge_subnet, "10.77.0.0/16");
	assert_string_equal(d.publish_address, "0.0.0.0");
	keng_defaults_clear(&d);
	fd = open(p, O_WRONLY | O_TRUNC);
	const char *badpub = "[network]\npublish_address = localhost\n";
	assert_int_equal(write(fd, badpub, strlen(badpub)), (ssize_t)strlen(badpub));
	close(fd);
	assert_int_equal(keng_defaults_load(p, &d, &e), -1);
	assert_non_null(strstr(e.msg, "publish_address"));
	keng_defaults_clear(&d);
	unlink(p);
	int64_t n;
	assert_int_equal(keng_cpus_parse("1.5", &n, &e), 0);
	assert_int_equal(n, 1500000000LL);
	assert_int_equal(keng_cpus_parse("x", &n, &e), -1);
	assert_int_equal(keng_cpus_parse("-1", &n, &e), -1);
}

static void test_label_reserved(void **state)
{
	(void)state;
	assert_true(keng_label_reserved("io.kapsel.policy.level"));
	assert_true(keng_label_reserved("io.kubernetes.cri.container-name"));
	assert_true(keng_label_reserved("io.podman.annotations.name"));
	assert_true(keng_label_reserved("org.opencontainers.image.ref.name"));
	assert_false(keng_label_reserved("org.opencontainers.image.title"));
	assert_false(keng_label_reserved("maintainer"));
}

/* ---- templates ---- */

static void test_template(void **state)
{
	(void)state;
	kerr e = { 0 };
	json_object *o = json_tokener_parse(
		"{\"State\":{\"Status\":\"running\",\"Pid\":42,\"Running\":true},"
		"\"Config\":{\"Cmd\":[\"sh\",\"-c\"],\"Labels\":{\"a.b\":\"x\"}},"
		"\"Name\":\"/web\",\"Null\":null}");
	assert_non_null(o);
	char *s = keng_template_apply("{{.State.Status}} {{ .State.Pid }} {{.State.Running}} {{.Name}}", o, &e);
	assert_string_equal(s, "running 42 true /web");
	free(s);
	s = keng_template_apply("{{json .Config.Cmd}}|{{.Config.Cmd}}|{{.Nope}}|{{.Null}}", o, &e);
	assert_string_equal(s, "[\"sh\",\"-c\"]|[\"sh\",\"-c\"]|<no value>|<nil>");
	free(s);
	s = keng_template_apply("{{index .Config.Labels \"a.b\"}} {{index .Config.Labels \"zz\"}}", o, &e);
	assert_string_equal(s, "x <no value>");
	free(s);
	s = keng_template_apply("plain", o, &e);
	assert_string_equal(s, "plain");
	free(s);
	assert_int_equal(keng_template_check("{{.A}} {{json .B.C}}", &e), 0);
	assert_int_equal(keng_template_check("{{range .Mounts}}{{end}}", &e), -1);
	assert_non_null(strstr(e.msg, "range"));
	assert_int_equal(keng_template_check("{{.A", &e), -1);
	assert_int_equal(keng_template_check("{{A}}", &e), -1);
	assert_int_equal(keng_template_check("{{.A.}}", &e), -1);
	assert_null(keng_template_apply("{{bad}}", o, &e));
	json_object_put(o);
}

/* ---- -v and --mount ---- */

static void test_mount_v(void **state)
{
	(void)state;
	kerr e = { 0 };
	struct keng_mount m = { 0 };
	assert_int_equal(keng_mount_parse_v("/host/dir:/data:ro,rslave", &m, &e), 0);
	assert_int_equal(m.type, KENG_MOUNT_BIND);
	assert_string_equal(m.source, "/host/dir");
	assert_string_equal(m.target, "/data");
	assert_true(m.ro);
	assert_string_equal(m.propagation, "rslave");
	assert_string_equal(m.mode, "ro,rslave");
	assert_int_equal(keng_mount_parse_v("cache:/var/cache:nocopy", &m, &e), 0);
	assert_int_equal(m.type, KENG_MOUNT_VOLUME);
	assert_string_equal(m.source, "cache");
	assert_true(m.nocopy && !m.ro);
	assert_false(m.idmap);
	assert_int_equal(keng_mount_parse_v("/host/dir:/data:idmap,ro", &m, &e), 0);
	assert_true(m.idmap && m.ro);
	assert_string_equal(m.mode, "idmap,ro");
	assert_int_equal(keng_mount_parse_v("/host/dir:/data", &m, &e), 0);
	assert_false(m.idmap); /* never by default */
	assert_int_equal(keng_mount_parse_v("/anon", &m, &e), 0);
	assert_int_equal(m.type, KENG_MOUNT_VOLUME);
	assert_null(m.source);
	assert_string_equal(m.target, "/anon");
	static const char *const bad[][2] = {
		{ "/a:/b:z", "invalid mode: z" },
		{ "/a:/b:nocopy", "invalid mode: nocopy" }, /* a volume's option, not a bind's */
		{ "vv:/b:rshared", "invalid mode: rshared" },
		{ "vv:/b:idmap", "invalid mode: idmap is for a bind" },
		{ "/a:/b:ro,rw", "conflict" },
		{ "/a:/b:", "invalid volume specification" },
		{ ":/b", "invalid volume specification" },
		{ "a:b:c:d", "invalid volume specification: 'a:b:c:d'" },
		{ "vv:rel", "mount path must be absolute" },
		{ "vv:/", "invalid mount path" },
		{ "vv:/a/../etc", "invalid mount path" },
		{ "../x:/b", "invalid characters for a local volume name" },
		{ "x:/b", "invalid characters for a local volume name" }, /* one character: too short */
		{ "", "invalid volume specification" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kerr_clear(&e);
		assert_int_equal(keng_mount_parse_v(bad[i][0], &m, &e), -1);
		if (!strstr(e.msg, bad[i][1]))
			fail_msg("-v %s: %s", bad[i][0], e.msg);
		assert_int_equal(e.errnum, EINVAL);
	}
	keng_mount_clear(&m);
}

static void test_mount_flag(void **state)
{
	(void)state;
	kerr e = { 0 };
	struct keng_mount m = { 0 };
	assert_int_equal(keng_mount_parse_mount("type=bind,src=/h,dst=/c,readonly,bind-propagation=rslave", &m, &e), 0);
	assert_int_equal(m.type, KENG_MOUNT_BIND);
	assert_string_equal(m.source, "/h");
	assert_string_equal(m.target, "/c");
	assert_true(m.ro);
	assert_string_equal(m.propagation, "rslave");
	assert_int_equal(keng_mount_parse_mount("target=/v,source=data,readonly=false,volume-nocopy=true", &m, &e), 0);
	assert_int_equal(m.type, KENG_MOUNT_VOLUME); /* Docker's default type */
	assert_string_equal(m.source, "data");
	assert_true(!m.ro && m.nocopy);
	assert_int_equal(keng_mount_parse_mount("type=volume,target=/v", &m, &e), 0);
	assert_null(m.source);
	assert_int_equal(keng_mount_parse_mount("type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770", &m, &e), 0);
	assert_int_equal(m.type, KENG_MOUNT_TMPFS);
	assert_int_equal(m.tmpfs_size, 1 << 20);
	assert_int_equal(m.tmpfs_mode, 01770);
	static const char *const bad[][2] = {
		{ "type=bind,source=/h,target=/c,colour=red", "unexpected key 'colour' in 'colour=red'" },
		{ "type=nfs,target=/c", "mount type unknown: \"nfs\"" },
		{ "type=bind,source=/h", "field Target must not be empty" },
		{ "type=bind,target=/c", "field Source must not be empty" },
		{ "type=bind,source=rel,target=/c", "'rel' mount path must be absolute" },
		{ "type=tmpfs,source=x,target=/c", "field Source must not be specified" },
		{ "type=bind,source=/h,target=/c,volume-nocopy", "an option of another type" },
		{ "type=volume,target=/c,tmpfs-size=1m", "an option of another type" },
		{ "type=tmpfs,target=/c,tmpfs-mode=99", "invalid value for tmpfs-mode" },
		{ "type=tmpfs,target=/c,tmpfs-size=lots", "invalid value for tmpfs-size" },
		{ "type=bind,source=/h,target=/c,readonly=maybe", "expected true or false" },
		{ "type=bind,source=/h,target=/c,bind-propagation=up", "invalid value for bind-propagation" },
		{ "type=bind,,source=/h,target=/c", "an empty field" },
		{ "type=volume,source=a/b,target=/c", "invalid characters" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kerr_clear(&e);
		assert_int_equal(keng_mount_parse_mount(bad[i][0], &m, &e), -1);
		if (!strstr(e.msg, bad[i][1]))
			fail_msg("--mount %s: %s", bad[i][0], e.msg);
	}
	assert_true(keng_volume_name_ok("ab"));
	assert_true(keng_volume_name_ok("my_vol.1-x"));
	assert_false(keng_volume_name_ok("a"));
	assert_false(keng_volume_name_ok("-ab"));
	assert_false(keng_volume_name_ok(".."));
	assert_false(keng_volume_name_ok("a/b"));
	keng_mount_clear(&m);
}

static void test_cidr(void **state)
{
	(void)state;
	uint32_t b;
	int p;
	assert_int_equal(keng_cidr4_parse("10.86.1.0/24", &b, &p), 0);
	assert_int_equal(b, 0x0a560100u);
	assert_int_equal(p, 24);
	assert_int_equal(keng_cidr4_parse("10.86.1.1/24", &b, &p), -1); /* host bits */
	assert_int_equal(keng_cidr4_parse("10.86.1.0/31", &b, &p), -1);
	assert_true(keng_cidr4_overlap(0x0a560000u, 16, 0x0a560100u, 24));
	assert_false(keng_cidr4_overlap(0x0a560100u, 24, 0x0a560200u, 24));
	uint8_t a6[16], c6[16];
	int p6, q6;
	assert_int_equal(keng_cidr6_parse("fd86:18::/64", a6, &p6), 0);
	assert_int_equal(p6, 64);
	assert_int_equal(a6[0], 0xfd);
	assert_int_equal(a6[1], 0x86);
	assert_int_equal(keng_cidr6_parse("fd86:18::1/64", c6, &q6), -1); /* host bits */
	assert_int_equal(keng_cidr6_parse("fd86:18:0:0:8000::/65", c6, &q6), 0);
	assert_int_equal(keng_cidr6_parse("fd86:18:0:0:8000::/64", c6, &q6), -1);
	assert_int_equal(keng_cidr6_parse("fd86::/8", c6, &q6), -1);         /* prefix 16..124 */
	assert_int_equal(keng_cidr6_parse("10.0.0.0/24", c6, &q6), -1);
	assert_int_equal(keng_cidr6_parse("fd86:18:0:0:1::/80", c6, &q6), 0);
	assert_true(keng_cidr6_overlap(a6, p6, c6, q6));
	assert_int_equal(keng_cidr6_parse("fd86:19::/64", c6, &q6), 0);
	assert_false(keng_cidr6_overlap(a6, p6, c6, q6));
	uint8_t ip[16] = { 0xfd, 0x86, 0, 0x18, [15] = 7 };
	assert_true(keng_cidr6_contains(a6, p6, ip));
	ip[7] = 1;
	assert_false(keng_cidr6_contains(a6, p6, ip));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_merge),
		cmocka_unit_test(test_env_defaults),
		cmocka_unit_test(test_env_bad),
		cmocka_unit_test(test_env_file),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_user_by_name),
		cmocka_unit_test(test_user_numeric),
		cmocka_unit_test(test_user_group),
		cmocka_unit_test(test_user_errors),
		cmocka_unit_test(test_user_in_root_symlink_attack),
		cmocka_unit_test(test_workdir),
		cmocka_unit_test(test_defaults_builtin),
		cmocka_unit_test(test_defaults_shipped),
		cmocka_unit_test(test_ports_parse),
		cmocka_unit_test(test_defaults_file),
		cmocka_unit_test(test_label_reserved),
		cmocka_unit_test(test_template),
		cmocka_unit_test(test_mount_v),
		cmocka_unit_test(test_mount_flag),
		cmocka_unit_test(test_cidr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
