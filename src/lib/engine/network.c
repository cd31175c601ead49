/* Networks through the CNI plugins (network.h): the conflists, the
 * plugins executed per the CNI spec (1.0.0), kapsel's iptables and
 * ip6tables rules of each network, the containers' attachments ADDed and
 * DELeted (their files: attach.c; their /etc/hosts: hosts.c), the port
 * mappings, `kapsel network` with connect and disconnect. */
#include "network.h"

#include "attach.h"
#include "cidr.h"
#include "conflist.h"
#include "hosts.h"
#include "internal.h"
#include "rootfs.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/str.h"
#include "common/strv.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


extern char **environ;

bool keng_net_is_cni(const char *net)
{
	return strcmp(net, "none") && strcmp(net, "host") && strncmp(net, "container:", 10);
}

/* ---- the conflists ---- */

/* ---- running programs ---- */

/* Run BIN with ARGV and ENVP, INPUT on its stdin (small: far below a
 * pipe's buffer, written whole before reading), *out its stdout (may be
 * NULL: not kept); returns its wait status, or -1. */
static int spawn_io(const char *bin, char *const argv[], char *const envp[], const char *input, char **out, kerr *e)
{
	int inp[2], outp[2];
	if (pipe2(inp, O_CLOEXEC) < 0)
		return kerr_errno(e, "pipe");
	if (pipe2(outp, O_CLOEXEC) < 0) {
		close(inp[0]);
		close(inp[1]);
		return kerr_errno(e, "pipe");
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, inp[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	pid_t pid;
	int rc = posix_spawn(&pid, bin, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(inp[0]);
	close(outp[1]);
	if (rc) {
		close(inp[1]);
		close(outp[0]);
		return kerr_set(e, rc, "run %s", bin);
	}
	size_t len = strlen(input), off = 0;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigaction(SIGPIPE, &ign, &old);
	while (off < len) {
		ssize_t w = write(inp[1], input + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(inp[1]);
	sigaction(SIGPIPE, &old, NULL);
	char *buf = NULL;
	kerr re = { 0 };
	int rr = kfs_read_fd(outp[0], &buf, NULL, &re);
	close(outp[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			free(buf);
			return kerr_errno(e, "wait for %s", bin);
		}
	if (rr < 0) {
		*e = re;
		return -1;
	}
	if (out)
		*out = buf;
	else
		free(buf);
	return st;
}

#define SAFE_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Run plugin TYPE with COMMAND on CONF: *result its parsed stdout (ADD),
 * or a CNI error result turned into E. */
static int run_plugin(const char *cni_path, const char *type, const char *cmd, const char *id, const char *netns,
		      const char *ifname, const char *ip, json_object *conf, json_object **result, kerr *e)
{
	if (!*type || strchr(type, '/'))
		return kerr_msg(e, EINVAL, "network plugin \"%s\": not a plugin name", type);
	_cleanup_free_ char *bin = NULL;
	_cleanup_strv_ char **dirs = kstrv_split(cni_path, ":");
	for (char **p = dirs; p && *p && !bin; p++) {
		char *c = kstr_printf("%s/%s", *p, type);
		if (c && access(c, X_OK) == 0)
			bin = c;
		else
			free(c);
	}
	if (!bin)
		return kerr_msg(e, ENOENT,
				"network plugin %s not found in %s (apt-get install containernetworking-plugins)", type,
				cni_path);
	const char *in = json_object_to_json_string_ext(conf, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	_cleanup_free_ char *ecmd = kstr_printf("CNI_COMMAND=%s", cmd), *eid = kstr_printf("CNI_CONTAINERID=%s", id),
			    *ens = kstr_printf("CNI_NETNS=%s", netns ? netns : ""),
			    *epath = kstr_printf("CNI_PATH=%s", cni_path), *eif = kstr_printf("CNI_IFNAME=%s", ifname),
			    /* an address asked for: host-local's IP argument (the
			     * other plugins told to ignore what they do not know) */
			    *eargs = kstr_printf("CNI_ARGS=%s%s", ip ? "IgnoreUnknown=1;IP=" : "", ip ? ip : "");
	if (!ecmd || !eid || !ens || !epath || !eif || !eargs)
		return kerr_errno(e, "network plugin %s", type);
	char *envp[] = { ecmd, eid, ens, eif, epath, SAFE_PATH, ip ? eargs : NULL, NULL };
	char *argv[] = { (char *)type, NULL };
	_cleanup_free_ char *out = NULL;
	int st = spawn_io(bin, argv, envp, in, &out, e);
	if (st < 0)
		return kerr_wrap(e, "network plugin %s %s", type, cmd);
	_cleanup_json_ json_object *res = out && *out ? json_tokener_parse(out) : NULL;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		const char *msg = kj_get_str(res, "msg"), *det = kj_get_str(res, "details");
		return kerr_msg(e, EIO, "network plugin %s %s: %s%s%s", type, cmd,
				msg             ? msg
				: WIFEXITED(st) ? "failed"
						: "killed",
				det && *det ? ": " : "", det ? det : "");
	}
	if (result) {
		if (!json_object_is_type(res, json_type_object))
			return kerr_msg(e, EIO, "network plugin %s %s: no result on stdout", type, cmd);
		*result = steal_ptr(res);
	}
	return 0;
}

/* ---- kapsel's own rules of a network ----
 *
 * Masquerading out of the subnet and accepting its forwarded traffic
 * (sent by it; to it when established, related or a published port's
 * DNAT): one set per network, not the bridge plugin's ipMasq and the
 * firewall plugin's chains per container, which cost ~60 ms of iptables
 * runs at every create and again at every rm (docs/benchmarks.md).  Made
 * once per boot (RUNTIME_ROOT/networks/NAME holds the boot ID), in one
 * iptables-restore; removed with the network. */

/* The rules of network NAME (SUBNET, bridge BR): masquerade, forward
 * accepts, and drops between it and each of PEERS (the other networks'
 * subnets), which come last so that they sit above every network's
 * accepts.  -I puts each rule on top: the first here is the lowest, the
 * drop of whatever else comes in for the subnet from another interface
 * than BR (a LAN neighbour routing the subnet via this host: a new
 * connection to a container's address that no published port DNAT'ed),
 * where the FORWARD policy (often ACCEPT) would let it through. */
static char *rules_text(const char *name, const char *subnet, const char *br, char *const *peers)
{
	_cleanup_free_ char *drop =
		br ? kstr_printf("-I FORWARD ! -i %s -d %s -m comment --comment kapsel:%s -j DROP\n", br, subnet, name)
		   : strdup("");
	if (!drop)
		return NULL;
	char *t = kstr_printf(
		"*nat\n"
		"-A POSTROUTING -s %s ! -d %s -m comment --comment kapsel:%s -j MASQUERADE\n"
		"COMMIT\n"
		"*filter\n"
		"%s"
		"-I FORWARD -s %s -m comment --comment kapsel:%s -j ACCEPT\n"
		"-I FORWARD -d %s -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -m comment --comment "
		"kapsel:%s -j ACCEPT\n",
		subnet, subnet, name, drop, subnet, name, subnet, name);
	for (char *const *p = peers; t && p && *p; p++) {
		char *n = kstr_printf(
			"%s-I FORWARD -s %s -d %s -m comment --comment kapsel:%s -j DROP\n"
			"-I FORWARD -s %s -d %s -m comment --comment kapsel:%s -j DROP\n",
			t, subnet, *p, name, *p, subnet, name);
		free(t);
		t = n;
	}
	char *n = t ? kstr_printf("%sCOMMIT\n", t) : NULL;
	free(t);
	return n;
}

/* TEXT through iptables-restore (V6: ip6tables-restore). */
static int rules_apply(const char *text, bool v6, kerr *e)
{
	const char *prog = v6 ? "ip6tables-restore" : "iptables-restore";
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", NULL };
	char bin[64] = "";
	for (size_t k = 0; dirs[k] && !*bin; k++) {
		snprintf(bin, sizeof(bin), "%s/%s", dirs[k], prog);
		if (access(bin, X_OK) < 0)
			*bin = 0;
	}
	if (!*bin)
		return kerr_msg(e, ENOENT, "%s not found (apt-get install iptables)", prog);
	char *argv[] = { (char *)prog, "--noflush", "-w", NULL }, *envp[] = { SAFE_PATH, NULL };
	int st = spawn_io(bin, argv, envp, text, NULL, e);
	if (st < 0)
		return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return kerr_msg(e, EIO, "%s failed (status %d)", prog, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

/* RUNTIME_ROOT/networks/NAME (IPv4), RUNTIME_ROOT/networks6/NAME (IPv6) */
static char *rules_marker(const struct keng *g, const char *name, bool v6)
{
	return kstr_printf("%s/networks%s/%s", g->runtime_root, v6 ? "6" : "", name);
}

/* Every network's subnet but NAME's (the default bridge's and the user
 * networks'; V6: their IPv6 ones). */
static char **peer_subnets(const struct keng *g, const struct keng_defaults *d, const char *name, bool v6)
{
	_cleanup_strv_ char **names = NULL;
	char **v = calloc(1, sizeof(char *));
	kerr ig = { 0 };
	if (!v)
		return NULL;
	if (strcmp(name, "bridge") && !v6)
		kstrv_add(&v, d->bridge_subnet);
	if (keng_user_networks(g, &names, &ig) < 0)
		return v;
	for (char **n = names; *n; n++) {
		_cleanup_json_ json_object *l = NULL;
		const char *sub;
		if (strcmp(*n, name) && keng_network_load(g, *n, &l, &ig) == 0 &&
		    (sub = kj_get_str(v6 ? keng_conflist_range6(l) : keng_conflist_range4(l), "subnet")))
			kstrv_add(&v, sub);
		kerr_clear(&ig);
	}
	return v;
}

#define RULES_VERSION "v2" /* v2: the drop of what is not from the bridge */

/* The rules of marker TEXT (changed: its first line is skipped), deleted. */
static void rules_undo(char *text, bool v6)
{
	kerr ig = { 0 };
	char *body = strchr(text, '\n');
	for (char *l = body; l && *l; l = strchr(l + 1, '\n'))
		if ((l[1] == '-' && (l[2] == 'A' || l[2] == 'I')) && l[3] == ' ')
			l[2] = 'D';
	if (body)
		rules_apply(body + 1, v6, &ig);
}

/* The marker: "BOOT_ID SUBNET VERSION" on its first line, then the rules put in
 * (what rules_drop takes out again, whatever the networks are by then). */
static int rules_ensure_family(const struct keng *g, const struct keng_defaults *d, json_object *list, bool v6,
			       kerr *e)
{
	const char *name = kj_get_str(list, "name") ?: "";
	const char *subnet = kj_get_str(v6 ? keng_conflist_range6(list) : keng_conflist_range4(list), "subnet");
	if (!subnet)
		return 0; /* not an IPAM kapsel knows (or no IPv6): the plugins' own business */
	_cleanup_free_ char *boot = NULL, *mark = rules_marker(g, name, v6), *have = NULL, *want = NULL,
			    *dir = NULL;
	kerr ig = { 0 };
	if (kfs_read_file("/proc/sys/kernel/random/boot_id", &boot, NULL, e) < 0)
		return -1;
	/* RULES_VERSION: rules of an older kapsel are taken out and made anew */
	want = kstr_printf("%s %s " RULES_VERSION "\n", strtok(boot, "\n") ?: "", subnet);
	dir = kstr_printf("%s/networks%s", g->runtime_root, v6 ? "6" : "");
	if (!mark || !want || !dir)
		return kerr_errno(e, "network %s", name);
	if (kfs_read_file(mark, &have, NULL, &ig) == 0 && kstr_starts(have, want))
		return 0;
	if (have && kstr_starts(have, boot)) /* this boot's, by an older kapsel */
		rules_undo(have, v6);
	_cleanup_strv_ char **peers = peer_subnets(g, d, name, v6);
	_cleanup_free_ char *text = rules_text(name, subnet, keng_conflist_bridge(list), peers), *both = NULL;
	if (!text || !(both = kstr_printf("%s%s", want, text)))
		return kerr_errno(e, "network %s", name);
	if (rules_apply(text, v6, e) < 0 || kfs_mkdir_p(dir, 0700, e) < 0 ||
	    kfs_write_file(mark, both, strlen(both), 0600, 1, e) < 0)
		return kerr_wrap(e, "network %s: %s masquerade, forward and isolation rules", name, v6 ? "IPv6" : "IPv4");
	return 0;
}

static int bridge_nodad(const char *name, kerr *e);

/* Before an ADD to LIST: its rules, and an IPv6 network's bridge. */
static int rules_ensure(const struct keng *g, const struct keng_defaults *d, json_object *list, kerr *e)
{
	const char *br = keng_conflist_bridge(list);
	if (keng_conflist_range6(list) && br && bridge_nodad(br, e) < 0)
		return kerr_wrap(e, "network %s", kj_get_str(list, "name") ?: "");
	return rules_ensure_family(g, d, list, false, e) < 0 ? -1 : rules_ensure_family(g, d, list, true, e);
}

void keng_net_rules_drop(const struct keng *g, const char *name)
{
	for (int v6 = 0; v6 < 2; v6++) {
		_cleanup_free_ char *mark = rules_marker(g, name, v6), *text = NULL;
		kerr ig = { 0 };
		if (!mark || kfs_read_file(mark, &text, NULL, &ig) < 0)
			continue;
		rules_undo(text, v6);
		unlink(mark);
	}
}

static const char *cni_path_of(json_object *att)
{
	return kj_get_str(att, "cniPath") ?: "/usr/lib/cni:/opt/cni/bin";
}

/* The configuration of plugin I of LIST: the plugin's object with the
 * list's name and version, the runtimeConfig its capabilities ask for,
 * the previous result. */
static json_object *plugin_conf(json_object *list, size_t i, json_object *mappings, json_object *prev)
{
	json_object *p = json_object_array_get_idx(kj_get(list, "plugins"), i), *c = NULL;
	json_object_deep_copy(p, &c, NULL);
	json_object_object_add(c, "cniVersion", json_object_new_string(kj_get_str(list, "cniVersion") ?: CNI_VERSION));
	json_object_object_add(c, "name", json_object_new_string(kj_get_str(list, "name") ?: ""));
	json_object_object_del(c, "capabilities");
	if (mappings && kj_get_bool(kj_get(p, "capabilities"), "portMappings")) {
		json_object *rc = json_object_new_object();
		json_object_object_add(rc, "portMappings", json_object_get(mappings));
		json_object_object_add(c, "runtimeConfig", rc);
	}
	if (prev)
		json_object_object_add(c, "prevResult", json_object_get(prev));
	return c;
}

/* DEL in reverse order, every plugin even after a failure; the first
 * error is E. */
static int cni_del(json_object *att, const char *netns, kerr *e)
{
	json_object *list = kj_get(att, "conflist"), *pl = kj_get(list, "plugins");
	const char *id = kj_get_str(att, "id") ?: "";
	int rc = 0;
	for (size_t i = json_object_is_type(pl, json_type_array) ? json_object_array_length(pl) : 0; i-- > 0;) {
		_cleanup_json_ json_object *c =
			plugin_conf(list, i, kj_get(att, "portMappings"), kj_get(att, "result"));
		kerr pe = { 0 };
		if (run_plugin(cni_path_of(att), kj_get_str(c, "type") ?: "", "DEL", id, netns, keng_att_ifname(att),
			       kj_get_str(att, "ip"), c, NULL,
			       &pe) < 0 &&
		    rc == 0) {
			*e = pe;
			rc = -1;
		}
	}
	return rc;
}

/* ADD through every plugin in order; *result the last one's. */
static int cni_add(json_object *att, const char *netns, json_object **result, kerr *e)
{
	json_object *list = kj_get(att, "conflist"), *pl = kj_get(list, "plugins");
	const char *id = kj_get_str(att, "id") ?: "";
	json_object *prev = NULL;
	size_t n = json_object_is_type(pl, json_type_array) ? json_object_array_length(pl) : 0;
	if (!n)
		return kerr_msg(e, EINVAL, "network %s has no plugins", kj_get_str(list, "name") ?: "");
	for (size_t i = 0; i < n; i++) {
		_cleanup_json_ json_object *c = plugin_conf(list, i, kj_get(att, "portMappings"), prev);
		json_object *r = NULL;
		if (run_plugin(cni_path_of(att), kj_get_str(c, "type") ?: "", "ADD", id, netns, keng_att_ifname(att),
			       kj_get_str(att, "ip"), c, &r,
			       e) < 0) {
			json_object_put(prev);
			return -1;
		}
		json_object_put(prev);
		prev = r;
	}
	*result = prev;
	return 0;
}

/* ---- isolated ports on the default bridge ---- */

/* IFLA_BRPORT_ISOLATED on the bridge port KENG_ETH0: it forwards to no other
 * isolated port (the containers of "bridge" reach the gateway, not each
 * other; those of a user network do). */
/* Send the netlink request H (NLM_F_ACK) and read its answer: 0, or the
 * kernel's error for WHAT of NAME. */
static int nl_call(struct nlmsghdr *h, const char *what, const char *name, kerr *e)
{
	_cleanup_close_ int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0 || send(s, h, h->nlmsg_len, 0) < 0)
		return kerr_errno(e, "%s %s: netlink", what, name);
	char ans[1024];
	ssize_t n = recv(s, ans, sizeof(ans), 0);
	struct nlmsghdr *r = (struct nlmsghdr *)ans;
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || r->nlmsg_type != NLMSG_ERROR)
		return kerr_msg(e, EIO, "%s %s: no answer from netlink", what, name);
	int err = ((struct nlmsgerr *)NLMSG_DATA(r))->error;
	if (err)
		return kerr_set(e, -err, "%s %s", what, name);
	return 0;
}

static int port_isolate(const char *ifname, kerr *e)
{
	unsigned idx = if_nametoindex(ifname);
	if (!idx)
		return kerr_errno(e, "isolate %s", ifname);
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		char buf[64];
	} req = { 0 };
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.i));
	req.h.nlmsg_type = RTM_SETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.i.ifi_family = AF_BRIDGE;
	req.i.ifi_index = (int)idx;
	struct rtattr *nest = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.h.nlmsg_len));
	nest->rta_type = IFLA_PROTINFO | NLA_F_NESTED;
	struct rtattr *a = RTA_DATA(nest);
	a->rta_type = IFLA_BRPORT_ISOLATED;
	a->rta_len = RTA_LENGTH(1);
	*(unsigned char *)RTA_DATA(a) = 1;
	nest->rta_len = (unsigned short)(RTA_LENGTH(0) + RTA_ALIGN(a->rta_len));
	req.h.nlmsg_len = NLMSG_ALIGN(req.h.nlmsg_len) + RTA_ALIGN(nest->rta_len);
	return nl_call(&req.h, "isolate the bridge port", ifname, e);
}

/* The bridge NAME of an IPv6 network, made before the plugin gives it its
 * gateway address, with duplicate address detection off: else the address
 * stays "tentative" for a second or two after the bridge is made and the
 * host does not reach the first containers (the plugin makes a missing
 * bridge with DAD on).  A bridge that is there is left as it is. */
static int bridge_nodad(const char *name, kerr *e)
{
	if (if_nametoindex(name))
		return 0;
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		char buf[128];
	} req = { 0 };
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.i));
	req.h.nlmsg_type = RTM_NEWLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	req.i.ifi_family = AF_UNSPEC;
	struct rtattr *a = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.h.nlmsg_len));
	a->rta_type = IFLA_IFNAME;
	a->rta_len = (unsigned short)RTA_LENGTH(strlen(name) + 1);
	memcpy(RTA_DATA(a), name, strlen(name) + 1);
	req.h.nlmsg_len = NLMSG_ALIGN(req.h.nlmsg_len) + RTA_ALIGN(a->rta_len);
	struct rtattr *li = (struct rtattr *)((char *)&req + req.h.nlmsg_len);
	li->rta_type = IFLA_LINKINFO;
	struct rtattr *kind = RTA_DATA(li);
	kind->rta_type = IFLA_INFO_KIND;
	kind->rta_len = RTA_LENGTH(sizeof("bridge"));
	memcpy(RTA_DATA(kind), "bridge", sizeof("bridge"));
	li->rta_len = (unsigned short)(RTA_LENGTH(0) + RTA_ALIGN(kind->rta_len));
	req.h.nlmsg_len += RTA_ALIGN(li->rta_len);
	if (nl_call(&req.h, "make the bridge", name, e) < 0)
		return e->errnum == EEXIST ? (kerr_clear(e), 0) : -1;
	_cleanup_free_ char *p = kstr_printf("/proc/sys/net/ipv6/conf/%s/accept_dad", name);
	return p ? kfs_write_file(p, "0", 1, 0644, 0, e) : kerr_errno(e, "bridge %s", name);
}

/* ---- ports ---- */

static int port_num(const char *s, size_t n, int min, int *out)
{
	if (!n || n > 5)
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > 65535)
		return -1;
	*out = v;
	return 0;
}

/* "N" or "LO-HI" (LO <= HI): the first and last port */
static int port_range(const char *s, int min, int *lo, int *hi)
{
	const char *dash = strchr(s, '-');
	if (!dash)
		return port_num(s, strlen(s), min, lo) < 0 ? -1 : (*hi = *lo, 0);
	if (port_num(s, (size_t)(dash - s), min, lo) < 0 || port_num(dash + 1, strlen(dash + 1), min, hi) < 0 ||
	    *hi < *lo)
		return -1;
	return 0;
}

static void add_mapping(json_object *arr, int hport, int hend, int cport, const char *proto, const char *ip)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "hostPort", json_object_new_int(hport));
	if (hend > hport) /* a host range for one container port: ports_assign picks in it */
		json_object_object_add(m, "hostPortEnd", json_object_new_int(hend));
	json_object_object_add(m, "containerPort", json_object_new_int(cport));
	json_object_object_add(m, "protocol", json_object_new_string(proto));
	json_object_object_add(m, "hostIP", json_object_new_string(ip));
	json_object_array_add(arr, m);
}

int keng_ports_parse(char *const *publish, const struct keng_defaults *d, json_object **out, kerr *e)
{
	*out = NULL;
	if (!publish || !*publish)
		return 0;
	_cleanup_json_ json_object *arr = json_object_new_array();
	for (char *const *p = publish; *p; p++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "%s", *p);
		const char *proto = "tcp";
		char *sl = strchr(buf, '/');
		if (sl) {
			*sl = 0;
			proto = sl + 1;
			if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
				return kerr_msg(e, EINVAL, "-p %s: the protocol is tcp or udp, not \"%s\"", *p, proto);
		}
		/* IP:HOST:CONTAINER, HOST:CONTAINER, CONTAINER (IP:: for a picked port) */
		char *parts[3];
		int n = 0;
		for (char *s = buf;;) {
			parts[n++] = s;
			char *c = strchr(s, ':');
			if (!c || n == 3)
				break; /* the third part keeps what follows */
			*c = 0;
			s = c + 1;
		}
		if (n == 3 && strchr(parts[2], ':'))
			return kerr_msg(
				e, EINVAL,
				"-p %s: expected [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp] (IPv6 is not supported)", *p);
		const char *ip = n == 3 ? parts[0] : d->publish_address, *hp = n >= 2 ? parts[n - 2] : "";
		int c1, c2, h1 = 0, h2 = 0;
		struct in_addr a;
		if (port_range(parts[n - 1], 1, &c1, &c2) < 0)
			return kerr_msg(e, EINVAL,
					"-p %s: container port \"%s\" is not a port 1-65535 or a range LOW-HIGH of them",
					*p, parts[n - 1]);
		if (*hp && port_range(hp, 0, &h1, &h2) < 0)
			return kerr_msg(e, EINVAL, "-p %s: host port \"%s\" is not a port 0-65535 or a range LOW-HIGH of them",
					*p, hp);
		if (!*ip) /* ":8080:80" */
			ip = d->publish_address;
		if (inet_pton(AF_INET, ip, &a) != 1)
			return kerr_msg(e, EINVAL, "-p %s: \"%s\" is not an IPv4 address", *p, ip);
		int nc = c2 - c1 + 1, nh = h2 - h1 + 1;
		if (*hp && nc > 1 && nh != nc)
			return kerr_msg(e, EINVAL,
					"-p %s: %d container ports need as many host ports, or none (picked), not %d", *p,
					nc, nh);
		if (*hp && nc > 1 && h1 == 0)
			return kerr_msg(e, EINVAL, "-p %s: host port 0 in a range", *p);
		if (json_object_array_length(arr) + (size_t)nc > KENG_MAX_PORT_MAPPINGS)
			return kerr_msg(e, EINVAL, "-p %s: more than %d published ports for one container", *p,
					KENG_MAX_PORT_MAPPINGS);
		if (nc == 1)
			add_mapping(arr, h1, h2, c1, proto, ip);
		else
			for (int i = 0; i < nc; i++)
				add_mapping(arr, *hp ? h1 + i : 0, 0, c1 + i, proto, ip);
	}
	*out = steal_ptr(arr);
	return 0;
}

/* Bind IP:PORT/PROTO on the host (PORT 0: any): the port, or -1. */
static int port_probe(const char *ip, int port, const char *proto)
{
	_cleanup_close_ int s = socket(AF_INET, (strcmp(proto, "udp") ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	socklen_t sl = sizeof(sa);
	if (s < 0 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	return ntohs(sa.sin_port);
}

/* Who has HP/PROTO on IP already: another container's attachment in ALL
 * (its ID in *WHO), or one of this container's first N MAPPINGS (*WHO
 * NULL): 1, else 0. */
static int port_taken(json_object *all, json_object *mappings, size_t n, const char *ip, int hp, const char *proto,
		      const char **who)
{
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *a = json_object_array_get_idx(all, i), *pm = kj_get(a, "portMappings");
		for (size_t j = 0; json_object_is_type(pm, json_type_array) && j < json_object_array_length(pm); j++) {
			json_object *o = json_object_array_get_idx(pm, j);
			const char *oip = kj_get_str(o, "hostIP") ?: "0.0.0.0";
			if (kj_get_i64(o, "hostPort", 0) == hp && !strcmp(kj_get_str(o, "protocol") ?: "tcp", proto) &&
			    (!strcmp(oip, ip) || !strcmp(oip, "0.0.0.0") || !strcmp(ip, "0.0.0.0"))) {
				*who = kj_get_str(a, "id") ?: "";
				return 1;
			}
		}
	}
	for (size_t j = 0; j < n; j++) {
		json_object *o = json_object_array_get_idx(mappings, j);
		if (kj_get_i64(o, "hostPort", 0) == hp && !strcmp(kj_get_str(o, "protocol") ?: "tcp", proto)) {
			*who = NULL;
			return 1;
		}
	}
	return 0;
}

/* Free host ports for the mappings that have none or a range (the first
 * free one in it); refuse a port another container publishes or a host
 * process holds. */
static int ports_assign(const struct keng *g, json_object *mappings, kerr *e)
{
	_cleanup_json_ json_object *all = keng_atts(g);
	for (size_t i = 0; i < json_object_array_length(mappings); i++) {
		json_object *m = json_object_array_get_idx(mappings, i);
		const char *ip = kj_get_str(m, "hostIP") ?: "0.0.0.0", *proto = kj_get_str(m, "protocol") ?: "tcp";
		int hp = (int)kj_get_i64(m, "hostPort", 0), cp = (int)kj_get_i64(m, "containerPort", 0);
		int end = (int)kj_get_i64(m, "hostPortEnd", 0);
		const char *who;
		if (hp == 0) {
			if ((hp = port_probe(ip, 0, proto)) < 0)
				return kerr_errno(e, "-p %s::%d/%s: pick a free host port", ip, cp, proto);
			json_object_object_add(m, "hostPort", json_object_new_int(hp));
			continue;
		}
		if (end > hp) {
			int got = -1;
			for (int h = hp; h <= end && got < 0; h++)
				if (!port_taken(all, mappings, i, ip, h, proto, &who) && port_probe(ip, h, proto) == h)
					got = h;
			if (got < 0)
				return kerr_msg(e, EADDRINUSE, "-p %s:%d-%d:%d/%s: no free host port in %d-%d", ip, hp, end,
						cp, proto, hp, end);
			json_object_object_add(m, "hostPort", json_object_new_int(got));
			json_object_object_del(m, "hostPortEnd");
			continue;
		}
		if (port_taken(all, mappings, i, ip, hp, proto, &who))
			return who ? kerr_msg(e, EADDRINUSE,
					      "-p %s:%d:%d/%s: host port %d is already published by container %.12s", ip,
					      hp, cp, proto, hp, who)
				   : kerr_msg(e, EADDRINUSE, "-p: host port %d/%s given twice", hp, proto);
		if (port_probe(ip, hp, proto) < 0)
			return kerr_errno(e, "-p %s:%d:%d/%s: host port %d", ip, hp, cp, proto, hp);
	}
	return 0;
}

/* ---- attachments ---- */

/* Docker's NetworkSettings.Networks entry of attachment A. */
static json_object *network_entry(json_object *a)
{
	char addr[64], nidbuf[65], eidbuf[65];
	int plen;
	const char *gw, *mac;
	keng_att_addr(a, addr, &plen, &gw, &mac);
	const char *net = kj_get_str(a, "network") ?: "";
	json_object *n = json_object_new_object(), *al = kj_get(a, "aliases");
	json_object_object_add(n, "Aliases", json_object_is_type(al, json_type_array) && json_object_array_length(al)
						     ? json_object_get(al)
						     : NULL);
	json_object_object_add(n, "NetworkID", json_object_new_string(keng_network_id(kj_get(a, "conflist"), nidbuf)));
	json_object_object_add(n, "EndpointID", json_object_new_string(keng_att_endpoint_id(a, eidbuf)));
	json_object_object_add(n, "Gateway", json_object_new_string(gw));
	json_object_object_add(n, "IPAddress", json_object_new_string(addr));
	json_object_object_add(n, "IPPrefixLen", json_object_new_int(plen));
	char a6[64];
	int p6 = 0;
	const char *gw6 = "";
	keng_att_addr6(a, a6, &p6, &gw6);
	json_object_object_add(n, "IPv6Gateway", json_object_new_string(gw6));
	json_object_object_add(n, "GlobalIPv6Address", json_object_new_string(a6));
	json_object_object_add(n, "GlobalIPv6PrefixLen", json_object_new_int(p6));
	json_object_object_add(n, "MacAddress", json_object_new_string(mac));
	/* the names it is known by on a user network (/etc/hosts lines) */
	json_object *dns = NULL;
	if (strcmp(net, "bridge")) {
		dns = json_object_new_array();
		json_object_array_add(dns, json_object_new_string(kj_get_str(a, "name") ?: ""));
		for (size_t i = 0; json_object_is_type(al, json_type_array) && i < json_object_array_length(al); i++)
			json_object_array_add(dns, json_object_get(json_object_array_get_idx(al, i)));
	}
	json_object_object_add(n, "DNSNames", dns);
	return n;
}

/* Docker's NetworkSettings of a container from its attachments MINE (by
 * interface: the ports are eth0's), SandboxKey NETNS; the top-level
 * address fields are the default bridge's, as Docker's. */
static json_object *settings_of(json_object *mine, const char *netns)
{
	json_object *ns = json_object_new_object(), *nets = json_object_new_object(), *ports = json_object_new_object();
	json_object *dflt = NULL;
	size_t n = json_object_array_length(mine);
	for (size_t k = 0; k < n; k++) {
		json_object *a = json_object_array_get_idx(mine, k), *pm = kj_get(a, "portMappings");
		const char *net = kj_get_str(a, "network") ?: "";
		json_object *entry = network_entry(a);
		json_object_object_add(nets, net, entry);
		if (!strcmp(net, "bridge"))
			dflt = entry;
		for (size_t i = 0; json_object_is_type(pm, json_type_array) && i < json_object_array_length(pm); i++) {
			json_object *m = json_object_array_get_idx(pm, i);
			char key[32], hp[8];
			snprintf(key, sizeof(key), "%d/%s", (int)kj_get_i64(m, "containerPort", 0),
				 kj_get_str(m, "protocol") ?: "tcp");
			snprintf(hp, sizeof(hp), "%d", (int)kj_get_i64(m, "hostPort", 0));
			json_object *b = json_object_new_object(), *arr = kj_get(ports, key);
			json_object_object_add(b, "HostIp", json_object_new_string(kj_get_str(m, "hostIP") ?: "0.0.0.0"));
			json_object_object_add(b, "HostPort", json_object_new_string(hp));
			if (!arr) {
				arr = json_object_new_array();
				json_object_object_add(ports, key, arr);
			}
			json_object_array_add(arr, b);
		}
	}
	json_object *first = n ? json_object_array_get_idx(mine, 0) : NULL;
	json_object_object_add(ns, "Bridge", json_object_new_string(first ? keng_conflist_bridge(kj_get(first, "conflist")) ?: "" : ""));
	json_object_object_add(ns, "SandboxKey", json_object_new_string(netns));
	json_object_object_add(ns, "Ports", ports);
	json_object_object_add(ns, "IPAddress", json_object_new_string(kj_get_str(dflt, "IPAddress") ?: ""));
	json_object_object_add(ns, "IPPrefixLen", json_object_new_int((int)kj_get_i64(dflt, "IPPrefixLen", 0)));
	json_object_object_add(ns, "Gateway", json_object_new_string(kj_get_str(dflt, "Gateway") ?: ""));
	json_object_object_add(ns, "MacAddress", json_object_new_string(kj_get_str(dflt, "MacAddress") ?: ""));
	json_object_object_add(ns, "Networks", nets);
	return ns;
}

int keng_net_settings(const struct keng *g, const char *id, const char *netns, json_object **settings)
{
	_cleanup_json_ json_object *all = keng_atts(g), *mine = keng_atts_of(all, id);
	*settings = settings_of(mine, netns);
	return (int)json_object_array_length(mine);
}

/* ADD A's container, isolate its port on the default bridge, write the
 * attachment; DEL again on failure. */
static int attach_att(const struct keng *g, json_object *a, const char *netns, kerr *e)
{
	const char *id = kj_get_str(a, "id") ?: "";
	_cleanup_free_ char *p = keng_att_path(g, id, keng_att_ifname(a));
	if (!p)
		return kerr_errno(e, "network");
	/* the attachment first: a kapsel killed during ADD leaves what the
	 * sweep DELs */
	if (keng_write_json(p, a, e) < 0)
		return -1;
	json_object *res = NULL;
	if (cni_add(a, netns, &res, e) < 0)
		goto undo;
	json_object_object_add(a, "result", res);
	if (!strcmp(kj_get_str(a, "network") ?: "", "bridge")) {
		const char *br = keng_conflist_bridge(kj_get(a, "conflist"));
		json_object *ifs = kj_get(res, "interfaces");
		for (size_t i = 0; json_object_is_type(ifs, json_type_array) && i < json_object_array_length(ifs);
		     i++) {
			json_object *it = json_object_array_get_idx(ifs, i);
			const char *nm = kj_get_str(it, "name");
			if (nm && !kj_get(it, "sandbox") && (!br || strcmp(nm, br)) && port_isolate(nm, e) < 0)
				goto undo;
		}
	}
	if (keng_write_json(p, a, e) < 0)
		goto undo;
	return 0;
undo:;
	kerr ig = { 0 };
	cni_del(a, netns, &ig);
	unlink(p);
	return -1;
}

/* The attachment of ID (named NAME) to NET through CONFLIST (a copy:
 * portmap left out with no MAPPINGS to map, and so out of DEL, which runs
 * the attachment's list) on interface KENG_ETH0. */
static json_object *att_new(const struct keng_defaults *d, const char *id, const char *name, const char *net,
			    json_object *conflist, const char *ifname, json_object *mappings, char *const *aliases,
			    const char *ip)
{
	json_object *eff = NULL;
	json_object_deep_copy(conflist, &eff, NULL);
	json_object *pl = kj_get(eff, "plugins");
	for (size_t i = json_object_is_type(pl, json_type_array) ? json_object_array_length(pl) : 0;
	     !(mappings && json_object_array_length(mappings)) && i-- > 0;)
		if (!strcmp(kj_get_str(json_object_array_get_idx(pl, i), "type") ?: "", "portmap"))
			json_object_array_del_idx(pl, i, 1);
	json_object *a = json_object_new_object(), *al = json_object_new_array();
	for (char *const *p = aliases; p && *p; p++)
		json_object_array_add(al, json_object_new_string(*p));
	json_object_object_add(a, "id", json_object_new_string(id));
	json_object_object_add(a, "name", json_object_new_string(name));
	json_object_object_add(a, "network", json_object_new_string(net));
	json_object_object_add(a, "ifname", json_object_new_string(ifname));
	json_object_object_add(a, "cniPath", json_object_new_string(d->cni_path));
	json_object_object_add(a, "conflist", eff);
	json_object_object_add(a, "portMappings", mappings ? json_object_get(mappings) : json_object_new_array());
	json_object_object_add(a, "aliases", al);
	if (ip)
		json_object_object_add(a, "ip", json_object_new_string(ip));
	return a;
}

int keng_net_ip_check(const struct keng *g, const struct keng_defaults *d, const char *net, const char *ip, kerr *e)
{
	if (!ip)
		return 0;
	if (!keng_net_is_cni(net) || !strcmp(net, "bridge"))
		return kerr_msg(e, EINVAL, "--ip %s: an address is asked for on a user network, not on --network %s",
				ip, net);
	struct in_addr a;
	if (inet_pton(AF_INET, ip, &a) != 1)
		return kerr_msg(e, EINVAL, "--ip %s: not an IPv4 address", ip);
	_cleanup_json_ json_object *l = NULL;
	if (keng_net_conflist(g, d, net, &l, e) < 0)
		return -1;
	json_object *r = keng_conflist_range4(l);
	const char *sub = kj_get_str(r, "subnet") ?: "", *gw = kj_get_str(r, "gateway");
	uint32_t base, x = ntohl(a.s_addr);
	int pfx;
	if (keng_cidr4_parse(sub, &base, &pfx) < 0)
		return kerr_msg(e, EINVAL, "network %s has no IPv4 subnet", net);
	uint32_t mask = ~0u << (32 - pfx);
	char gbuf[INET_ADDRSTRLEN];
	if (!gw) {
		keng_ip4_str(base + 1, gbuf);
		gw = gbuf;
	}
	if ((x & mask) != base || x == base || x == (base | ~mask))
		return kerr_msg(e, EINVAL, "--ip %s is not a host address of network %s (%s)", ip, net, sub);
	if (!strcmp(ip, gw))
		return kerr_msg(e, EINVAL, "--ip %s is the gateway of network %s", ip, net);
	return 0;
}

int keng_net_aliases_check(const char *net, char *const *aliases, kerr *e)
{
	if (!aliases || !*aliases)
		return 0;
	if (!keng_net_is_cni(net) || !strcmp(net, "bridge"))
		return kerr_msg(e, EINVAL,
				"--network-alias %s: aliases are names on a user network (kapsel network create), "
				"not on --network %s",
				aliases[0], net);
	for (char *const *p = aliases; *p; p++)
		if (!keng_net_name_ok(*p))
			return kerr_msg(e, EINVAL, "alias %s: a name is [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64", *p);
	return 0;
}

int keng_net_attach(const struct keng *g, const struct keng_defaults *d, const char *id, const char *name,
		    const char *net, json_object *conflist, const char *netns, json_object *mappings,
		    char *const *aliases, const char *ip, json_object **settings, kerr *e)
{
	if (mappings && ports_assign(g, mappings, e) < 0)
		return -1;
	_cleanup_free_ char *cdir = kstr_printf("%s/cni", g->root);
	if (!cdir || kfs_mkdir_p(cdir, 0700, e) < 0)
		return -1;
	if (rules_ensure(g, d, conflist, e) < 0)
		return -1;
	_cleanup_json_ json_object *a = att_new(d, id, name, net, conflist, KENG_ETH0, mappings, aliases, ip);
	if (attach_att(g, a, netns, e) < 0)
		return kerr_wrap(e, "network %s", net);
	_cleanup_json_ json_object *mine = json_object_new_array();
	json_object_array_add(mine, json_object_get(a));
	*settings = settings_of(mine, netns);
	return 0;
}

int keng_net_reattach(const struct keng *g, const char *id, const char *netns, json_object **settings, kerr *e)
{
	*settings = NULL;
	_cleanup_json_ json_object *all = keng_atts(g), *mine = keng_atts_of(all, id);
	if (!json_object_array_length(mine))
		return 0;
	for (size_t i = 0; i < json_object_array_length(mine); i++) {
		json_object *a = json_object_array_get_idx(mine, i);
		/* the rules and the lease of the namespace that is gone, its
		 * address out of the members' hosts files (the new one may
		 * differ) */
		kerr ig = { 0 };
		cni_del(a, NULL, &ig);
		keng_hosts_forget(g, all, a);
		json_object_object_del(a, "result");
		if (attach_att(g, a, netns, e) < 0)
			return kerr_wrap(e, "network %s", kj_get_str(a, "network") ?: "");
	}
	*settings = settings_of(mine, netns);
	return 0;
}

int keng_net_renamed(const struct keng *g, const char *id, const char *name, const char *hostname,
		     json_object *extra, kerr *e)
{
	_cleanup_json_ json_object *all = keng_atts(g), *mine = keng_atts_of(all, id);
	if (!json_object_array_length(mine))
		return 0;
	for (size_t k = 0; k < json_object_array_length(mine); k++) {
		json_object *a = json_object_array_get_idx(mine, k);
		_cleanup_free_ char *p = keng_att_path(g, id, keng_att_ifname(a));
		json_object_object_add(a, "name", json_object_new_string(name));
		if (!p || keng_write_json(p, a, e) < 0)
			return p ? -1 : kerr_errno(e, "network");
	}
	/* keng_net_hosts rewrites the others' line of this address */
	return keng_net_hosts(g, id, hostname, extra, e);
}

/* DEL attachment A (in NETNS, or NULL when its namespace is gone), its
 * line out of the other members' hosts files, its file removed (kept
 * when DEL failed: the next sweep tries again). */
static int detach_att(const struct keng *g, json_object *all, json_object *a, const char *netns, kerr *e)
{
	const char *id = kj_get_str(a, "id") ?: "", *net = kj_get_str(a, "network") ?: "";
	int rc = cni_del(a, netns, e);
	keng_hosts_forget(g, all, a);
	if (rc < 0)
		return kerr_wrap(e, "network %s: release %.12s", net, id);
	_cleanup_free_ char *p = keng_att_path(g, id, keng_att_ifname(a));
	if (p)
		unlink(p);
	return 0;
}

int keng_net_detach(const struct keng *g, const char *id, kerr *e)
{
	_cleanup_json_ json_object *all = keng_atts(g), *mine = keng_atts_of(all, id);
	int rc = 0;
	/* the namespace is released first (its veth goes with it, in the
	 * kernel's own time): a DEL that enters it to delete the veth costs
	 * ~20 ms more, mostly waiting for the kernel */
	for (size_t k = json_object_array_length(mine); k-- > 0;) {
		kerr one = { 0 };
		if (detach_att(g, all, json_object_array_get_idx(mine, k), NULL, &one) < 0 && rc == 0) {
			*e = one;
			rc = -1;
		}
	}
	return rc;
}

void keng_net_sweep(const struct keng *g)
{
	_cleanup_json_ json_object *all = keng_atts(g);
	const char *last = "";
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		const char *id = kj_get_str(json_object_array_get_idx(all, i), "id") ?: "";
		if (!strcmp(id, last))
			continue;
		last = id;
		_cleanup_free_ char *cdir = keng_path(g, id, NULL);
		struct stat st;
		if (!cdir || stat(cdir, &st) == 0 || errno != ENOENT)
			continue;
		kerr ig = { 0 };
		keng_net_detach(g, id, &ig);
	}
}

/* ---- network connect, disconnect ---- */

int keng_net_connect(const struct keng *g, const struct keng_defaults *d, const char *id, const char *name,
		     const char *net, char *const *aliases, const char *ip, const char *netns, kerr *e)
{
	if (keng_net_aliases_check(net, aliases, e) < 0 || keng_net_ip_check(g, d, net, ip, e) < 0)
		return -1;
	_cleanup_json_ json_object *all = keng_atts(g), *mine = keng_atts_of(all, id), *conflist = NULL;
	if (keng_att_on(all, id, net))
		return kerr_msg(e, EEXIST, "container %s is already on network %s", name, net);
	/* the first free ethN */
	int k = 0;
	for (bool used = true; used; k += used) {
		used = false;
		for (size_t i = 0; i < json_object_array_length(mine); i++)
			used |= keng_att_index(json_object_array_get_idx(mine, i)) == k;
	}
	if (k > 999)
		return kerr_msg(e, ENOSPC, "container %s is on too many networks", name);
	char ifn[16];
	snprintf(ifn, sizeof(ifn), "eth%d", k);
	_cleanup_free_ char *cdir = kstr_printf("%s/cni", g->root);
	if (!cdir || kfs_mkdir_p(cdir, 0700, e) < 0)
		return -1;
	if (keng_net_conflist(g, d, net, &conflist, e) < 0 || rules_ensure(g, d, conflist, e) < 0)
		return -1;
	_cleanup_json_ json_object *a = att_new(d, id, name, net, conflist, ifn, NULL, aliases, ip);
	return attach_att(g, a, netns, e) < 0 ? kerr_wrap(e, "network %s", net) : 0;
}

int keng_net_disconnect(const struct keng *g, const char *id, const char *name, const char *net, const char *netns,
			kerr *e)
{
	_cleanup_json_ json_object *all = keng_atts(g);
	json_object *a = keng_att_on(all, id, net);
	if (!a)
		return kerr_msg(e, ENOENT, "container %s is not on network %s", name, net);
	/* in the namespace: the container lives on, its interface must go */
	return detach_att(g, all, a, netns, e);
}

void keng_net_bridge_drop(const char *name)
{
	unsigned idx = if_nametoindex(name);
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = { .h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_DELLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
		  .i = { .ifi_family = AF_UNSPEC, .ifi_index = (int)idx } };
	kerr ig = { 0 };
	if (idx)
		nl_call(&req.h, "remove the bridge", name, &ig);
}
