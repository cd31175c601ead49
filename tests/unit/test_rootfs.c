/* Which containers get their sysfs made by the runtime: those whose user
 * namespace may not mount one of their network namespace (a new user
 * namespace on a network namespace joined by path or the runtime's, a
 * joined one on the runtime's), and only when a sysfs is mounted. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "linux/rootfs.h"
#include "oci/spec.h"

static void test_sysfs_by_runtime(void **state)
{
	(void)state;
	const int U = CLONE_NEWUSER, N = CLONE_NEWNET, M = CLONE_NEWNS;
	static const struct {
		int new, join, want;
	} cases[] = {
		{ U | M, N, 1 },     /* ip netns add, a CNI plugin, container:NAME */
		{ U | M, 0, 1 },     /* the runtime's network namespace */
		{ M, U, 1 },         /* a joined user namespace, the runtime's network namespace */
		{ U | M | N, 0, 0 }, /* a network namespace of its own */
		{ M, U | N, 0 },     /* joined together: it may mount what it can join */
		{ M, N, 0 },         /* no user namespace: root of the host's mounts it */
		{ U, N, 0 },         /* no mount namespace: nothing is mounted */
		{ 0, U | M | N, 0 },
	};
	struct oci_mount sysfs = { .destination = "/sys", .type = "sysfs", .source = "sysfs" };
	struct oci_mount bind = { .destination = "/sys", .type = "bind", .source = "/sys", .is_bind = 1 };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct oci_spec s = { .ns_new_flags = cases[i].new, .ns_join_flags = cases[i].join };
		assert_int_equal(krootfs_sysfs_by_runtime(&s), 0); /* no sysfs mount */
		s.mounts = &bind;
		s.n_mounts = 1;
		assert_int_equal(krootfs_sysfs_by_runtime(&s), 0); /* a bind of /sys is a bind */
		s.mounts = &sysfs;
		assert_int_equal(krootfs_sysfs_by_runtime(&s), cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysfs_by_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
