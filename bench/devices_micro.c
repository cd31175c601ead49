/* devices_micro: what the cgroup-device eBPF program costs on the start
 * path, averaged over N rounds, in a scratch cgroup under CGROUP2 (a
 * cgroup2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid
 * host): building the instructions, loading them (the verifier included),
 * attaching to a cgroup that has none (create), and building, loading and
 * replacing one (update).  Two rule sets: runc's default spec (deny all;
 * kapsel adds its 8 default nodes) and Docker's default rules.
 *
 *   devices_micro CGROUP2 N      (root) */
#include "cgroup/devices_bpf.h"
#include "cgroup/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* RULES followed by kapsel's defaults, as the v2 driver plans them. */
static size_t with_defaults(const struct kcg_dev_rule *rules, size_t n, struct kcg_dev_rule *out)
{
	memcpy(out, rules, n * sizeof(*out));
	memcpy(out + n, kcg_default_devices, kcg_n_default_devices * sizeof(*out));
	return n + kcg_n_default_devices;
}

static int one(const char *name, const char *dir, const struct kcg_dev_rule *rules, size_t n, int rounds)
{
	double t_build = 0, t_load = 0, t_attach = 0, t_replace = 0;
	size_t insns = 0;
	kerr e = { 0 };
	for (int i = 0; i < rounds; i++) {
		if (mkdir(dir, 0755) < 0) {
			perror(dir);
			return 1;
		}
		struct kcg_devbpf p;
		double a = now_us();
		if (kcg_devbpf_build(rules, n, &p, &e) < 0)
			goto fail;
		double b = now_us();
		int fd = kcg_devbpf_load(&p, &e);
		insns = p.n;
		kcg_devbpf_free(&p);
		if (fd < 0)
			goto fail;
		double c = now_us();
		if (kcg_devbpf_attach(dir, fd, &e) < 0)
			goto fail;
		double d = now_us();
		close(fd);
		if (kcg_devbpf_apply(dir, rules, n, &e) < 0)
			goto fail;
		double f = now_us();
		t_build += b - a;
		t_load += c - b;
		t_attach += d - c;
		t_replace += f - d;
		if (rmdir(dir) < 0) {
			perror(dir);
			return 1;
		}
	}
	printf("%-22s %5zu %6zu %9.1f %9.1f %9.1f %9.1f %9.1f\n", name, n, insns, t_build / rounds, t_load / rounds,
	       t_attach / rounds, (t_build + t_load + t_attach) / rounds, t_replace / rounds);
	return 0;
fail:
	fprintf(stderr, "%s\n", e.msg);
	rmdir(dir);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: devices_micro CGROUP2 N\n");
		return 2;
	}
	int rounds = atoi(argv[2]);
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/kapsel-devices-micro-%d", argv[1], (int)getpid());

	static const struct kcg_dev_rule runc_spec[] = { { 0, 'a', -1, -1, "rwm" } };
	/* Docker's defaults (moby's oci/defaults.go, as rules) */
	static const struct kcg_dev_rule docker[] = {
		{ 0, 'a', -1, -1, "rwm" }, { 1, 'c', -1, -1, "m" },   { 1, 'b', -1, -1, "m" },
		{ 1, 'c', 1, 3, "rwm" },   { 1, 'c', 1, 8, "rwm" },   { 1, 'c', 1, 7, "rwm" },
		{ 1, 'c', 5, 0, "rwm" },   { 1, 'c', 1, 5, "rwm" },   { 1, 'c', 1, 9, "rwm" },
		{ 1, 'c', 136, -1, "rwm" }, { 1, 'c', 5, 2, "rwm" },  { 1, 'c', 10, 200, "rwm" },
	};
	struct kcg_dev_rule all[64];
	printf("%-22s %5s %6s %9s %9s %9s %9s %9s\n", "rules", "n", "insns", "build us", "load us", "attach us",
	       "create us", "update us");
	size_t n = with_defaults(runc_spec, 1, all);
	if (one("runc spec + defaults", dir, all, n, rounds))
		return 1;
	n = with_defaults(docker, sizeof(docker) / sizeof(docker[0]), all);
	return one("docker + defaults", dir, all, n, rounds);
}
