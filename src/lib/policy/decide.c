/* Deciding on one container: which level applies (exemptions, the
 * annotation), which rules fail, what harden changes, the verdict; the
 * refusal message; the decision log. */
#include "policy/policy.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/jsonw.h"
#include "common/log.h"
#include "common/time.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LEVEL_ANNOTATION "io.kapsel.policy.level"

static const char *annotation(json_object *spec, const char *key)
{
	json_object *v = kj_get(kj_get(spec, "annotations"), key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* What the clients tell us about the container, by annotation. */
static const char *const image_keys[] = { "io.kubernetes.cri.image-name", "org.opencontainers.image.ref.name",
					  "io.containerd.image.name", "org.opencontainers.image.base.digest",
					  "io.kapsel.image", NULL };
static const char *const name_keys[] = { "io.kubernetes.cri.container-name", "io.kubernetes.pod.name",
					 "io.kubernetes.cri.sandbox-name", "io.podman.annotations.name",
					 "io.kapsel.name", NULL };
static const char *const ns_keys[] = { "io.kubernetes.pod.namespace", "io.kubernetes.cri.sandbox-namespace", NULL };

static const char *match_any(json_object *spec, const char *const *keys, char *const *pats, size_t n,
			     const char *extra)
{
	for (size_t i = 0; i < n; i++) {
		for (const char *const *k = keys; *k; k++) {
			const char *v = annotation(spec, *k);
			if (v && !fnmatch(pats[i], v, 0))
				return pats[i];
		}
		if (extra && !fnmatch(pats[i], extra, 0))
			return pats[i];
	}
	return NULL;
}

static int disabled(const struct kpolicy *p, const struct kpol_rule *r)
{
	for (size_t i = 0; i < p->n_disabled; i++)
		if (!strcmp(p->disabled[i], r->id) || !strcmp(p->disabled[i], r->slug))
			return 1;
	return 0;
}

static void evaluate(const struct kpolicy *p, json_object *spec, enum kpol_level upto, struct kpol_decision *d)
{
	size_t n;
	const struct kpol_rule *rules = kpol_rules(&n);
	d->n_findings = 0;
	for (size_t i = 0; i < n && d->n_findings < KPOL_MAX_RULES; i++) {
		if (rules[i].level > upto || disabled(p, &rules[i]))
			continue;
		struct kpol_finding *f = &d->findings[d->n_findings];
		f->evidence[0] = '\0';
		if (kpol_rule_check(&rules[i], p, spec, f->evidence, sizeof(f->evidence))) {
			f->rule = &rules[i];
			d->n_findings++;
		}
	}
}

/* How to run this container as its config says: an exemption by the
 * most specific name a client gave it, in the policy file in use (the
 * default path when the policy is the built-in one). */
static void exempt_hint(const struct kpolicy *p, const char *id, json_object *spec, char *buf, size_t n)
{
	const char *name = NULL;
	for (const char *const *k = name_keys; *k && !name; k++)
		name = annotation(spec, *k);
	snprintf(buf, n, "to run it unchanged, exempt it: \"[exempt] name = %s\" in %s", name ? name : id,
		 strcmp(p->file, "built-in") ? p->file : KPOL_DEFAULT_FILE);
}

static enum kpol_level maxl(enum kpol_level a, enum kpol_level b)
{
	return a > b ? a : b;
}

int kpolicy_decide(const struct kpolicy *p, const char *id, json_object *spec, struct kpol_decision *d, kerr *e)
{
	const char *m;

	memset(d, 0, sizeof(*d));
	d->level = p->enforce;
	d->level_reason = "policy";
	if ((m = match_any(spec, image_keys, p->exempt_image, p->n_image, NULL))) {
		d->level = KPOL_PRIVILEGED;
		snprintf(d->reason_buf, sizeof(d->reason_buf), "exempt: image matches \"%s\"", m);
		d->level_reason = d->reason_buf;
	} else if ((m = match_any(spec, name_keys, p->exempt_name, p->n_name, id))) {
		d->level = KPOL_PRIVILEGED;
		snprintf(d->reason_buf, sizeof(d->reason_buf), "exempt: name matches \"%s\"", m);
		d->level_reason = d->reason_buf;
	} else if ((m = match_any(spec, ns_keys, p->exempt_namespace, p->n_namespace, NULL))) {
		d->level = KPOL_PRIVILEGED;
		snprintf(d->reason_buf, sizeof(d->reason_buf), "exempt: namespace matches \"%s\"", m);
		d->level_reason = d->reason_buf;
	} else if ((m = annotation(spec, LEVEL_ANNOTATION))) {
		enum kpol_level want;
		if (kpol_level_parse(m, &want) < 0)
			return kerr_msg(e, EINVAL, "config.json: annotations.%s: \"%s\" is not a level "
					"(privileged, baseline, restricted)", LEVEL_ANNOTATION, m);
		if (want >= p->enforce) {
			d->level = want; /* asking for more is always fine */
			snprintf(d->reason_buf, sizeof(d->reason_buf), "annotation %s=%s", LEVEL_ANNOTATION, m);
		} else if (p->allow_annotation && want >= p->min_level) {
			d->level = want;
			snprintf(d->reason_buf, sizeof(d->reason_buf), "annotation %s=%s (allowed down to %s)",
				 LEVEL_ANNOTATION, m, kpol_level_name(p->min_level));
		} else {
			snprintf(d->reason_buf, sizeof(d->reason_buf),
				 "policy (annotation %s=%s ignored: the policy does not allow lowering below %s)",
				 LEVEL_ANNOTATION, m, kpol_level_name(p->allow_annotation ? p->min_level : p->enforce));
		}
		d->level_reason = d->reason_buf;
	}
	enum kpol_level warn = maxl(d->level, p->warn);
	enum kpol_level upto = maxl(warn, p->audit);
	d->exempt = !strncmp(d->level_reason, "exempt", 6);
	if (d->exempt) /* exempt: recorded, never refused nor warned */
		upto = maxl(p->warn, p->audit);
	evaluate(p, spec, upto, d);

	if (p->action != KPOL_REFUSE && d->level != KPOL_PRIVILEGED) {
		/* harden: fill in what is missing, up to the warned level; fix:
		 * only the enforced rules' fill-in fixes */
		for (size_t i = 0; i < d->n_findings; i++) {
			const struct kpol_rule *r = d->findings[i].rule;
			if (!r->fix || d->n_changes >= KPOL_MAX_RULES)
				continue;
			if (p->action == KPOL_HARDEN ? r->level > warn : r->level > d->level || !r->fill_in)
				continue;
			/* the same fix serves two rules (seccomp): once */
			char change[160] = "";
			if (r->fix(spec, p, change, sizeof(change)) == 0) {
				int dup = 0;
				for (size_t k = 0; k < d->n_changes; k++) {
					const char *c = strchr(d->changes[k], ':'); /* "ID: change" */
					dup |= c && !strcmp(c + 2, change);
				}
				if (!dup)
					snprintf(d->changes[d->n_changes++], sizeof(d->changes[0]), "%s: %s", r->id, change);
				d->modified = 1;
			}
		}
		if (d->modified)
			evaluate(p, spec, upto, d);
	}
	d->verdict = KPOL_ALLOW;
	for (size_t i = 0; i < d->n_findings; i++) {
		if (d->findings[i].rule->level <= d->level && d->level != KPOL_PRIVILEGED)
			d->verdict = KPOL_DENY;
		else if (!d->exempt && d->findings[i].rule->level <= warn && d->verdict == KPOL_ALLOW)
			d->verdict = KPOL_ALLOW_WARN;
	}
	if (d->verdict != KPOL_DENY && d->modified)
		d->verdict = KPOL_HARDENED;
	if (d->modified)
		exempt_hint(p, id, spec, d->exempt_hint, sizeof(d->exempt_hint));
	return 0;
}

void kpolicy_refusal(const struct kpolicy *p, const struct kpol_decision *d, char *buf, size_t n)
{
	size_t off = 0;
	int k = 0;
	off += snprintf(buf + off, n - off, "refused by the kapsel policy (%s level %s, %s):",
			p->action == KPOL_HARDEN ? "harden+enforce" : "enforce", kpol_level_name(d->level), p->file);
	for (size_t i = 0; i < d->n_findings && off < n; i++) {
		const struct kpol_rule *r = d->findings[i].rule;
		if (r->level > d->level)
			continue;
		off += snprintf(buf + off, n - off, "%s [%s %s] %s: %s; fix: %s", k++ ? ";" : "", r->id, r->slug,
				r->title, d->findings[i].evidence, r->remediation);
	}
}

static const char *const verdict_names[] = { "allow", "allow-warn", "hardened", "deny" };

static int send_syslog(int pri, const char *msg)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	char buf[8192];
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int len = snprintf(buf, sizeof(buf), "<%d>%s[%d]: %s", pri, klog_ident(), getpid(), msg);
	if (len >= (int)sizeof(buf))
		len = sizeof(buf) - 1;
	int r = sendto(fd, buf, len, 0, (struct sockaddr *)&addr, sizeof(addr));
	close(fd);
	return r < 0 ? -1 : 0;
}

int kpolicy_log(const struct kpolicy *p, const struct kpol_decision *d, const char *id, const char *bundle,
		json_object *spec, kerr *e)
{
	struct jsonw w;
	char ts[64];

	if (ktime_now(ts, sizeof(ts), KTIME_MICRO) < 0)
		ts[0] = '\0';

	jsonw_init(&w);
	jsonw_obj_open(&w);
	jsonw_key_str(&w, "time", ts);
	jsonw_key_str(&w, "id", id);
	jsonw_key_str(&w, "bundle", bundle);
	jsonw_key(&w, "hints");
	jsonw_obj_open(&w);
	static const char *const hint_keys[] = {
		"io.kubernetes.pod.name", "io.kubernetes.pod.namespace", "io.kubernetes.cri.container-name",
		"io.kubernetes.cri.image-name", "io.container.manager", "io.kapsel.name", "io.kapsel.image", NULL };
	for (const char *const *k = hint_keys; *k; k++)
		if (annotation(spec, *k))
			jsonw_key_str(&w, *k, annotation(spec, *k));
	jsonw_obj_close(&w);
	/* the image, when a client names it in an annotation */
	const char *image = NULL;
	for (const char *const *k = image_keys; *k && !image; k++)
		image = annotation(spec, *k);
	jsonw_key_str(&w, "image", image);
	jsonw_key_str(&w, "level", kpol_level_name(d->level));
	jsonw_key_str(&w, "level_reason", d->level_reason);
	jsonw_key(&w, "mode");
	jsonw_obj_open(&w);
	jsonw_key_str(&w, "enforce", kpol_level_name(p->enforce));
	jsonw_key_str(&w, "warn", kpol_level_name(p->warn));
	jsonw_key_str(&w, "audit", kpol_level_name(p->audit));
	jsonw_key_str(&w, "action", kpol_action_name(p->action));
	jsonw_obj_close(&w);
	jsonw_key_str(&w, "verdict", verdict_names[d->verdict]);
	jsonw_key(&w, "failed");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < d->n_findings; i++) {
		const struct kpol_rule *r = d->findings[i].rule;
		jsonw_obj_open(&w);
		jsonw_key_str(&w, "rule", r->id);
		jsonw_key_str(&w, "name", r->slug);
		jsonw_key_str(&w, "level", kpol_level_name(r->level));
		jsonw_key_str(&w, "mode", d->level != KPOL_PRIVILEGED && r->level <= d->level ? "enforce"
					  : !d->exempt && r->level <= p->warn ? "warn" : "audit");
		jsonw_key_str(&w, "cis", r->cis);
		jsonw_key_str(&w, "evidence", d->findings[i].evidence);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	jsonw_key(&w, "changes");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < d->n_changes; i++)
		jsonw_str(&w, d->changes[i]);
	jsonw_arr_close(&w);
	if (d->exempt_hint[0])
		jsonw_key_str(&w, "exempt_hint", d->exempt_hint);
	jsonw_key_str(&w, "policy", p->file);
	jsonw_obj_close(&w);
	if (w.oom) {
		jsonw_free(&w);
		return kerr_set(e, ENOMEM, "policy decision log");
	}

	int enforcing = p->enforce != KPOL_PRIVILEGED;
	int rc = 0;
	if (p->log) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", p->log);
		char *slash = strrchr(dir, '/');
		kerr ig;
		if (slash && slash != dir) {
			*slash = '\0';
			kfs_mkdir_p(dir, 0750, &ig);
		}
		int fd = open(p->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		jsonw_raw(&w, "\n");
		if (fd < 0 || write(fd, w.buf, w.len) != (ssize_t)w.len) {
			int err = errno;
			if (enforcing)
				rc = kerr_set(e, err, "policy: cannot write the decision log %s (refusing: an enforced "
						      "decision must be recorded)", p->log);
			else
				klog_warn("policy: cannot write the decision log %s: %s", p->log, strerror(err));
		}
		if (fd >= 0)
			close(fd);
		w.buf[--w.len] = '\0';
	}
	if (rc == 0 && p->syslog != KPOL_SYSLOG_NO) {
		int pri = LOG_AUTHPRIV | (d->verdict == KPOL_DENY ? LOG_WARNING : LOG_NOTICE);
		if (send_syslog(pri, w.buf) < 0) {
			if (p->syslog == KPOL_SYSLOG_REQUIRED && enforcing)
				rc = kerr_errno(e, "policy: cannot send the decision to syslog (/dev/log)");
			else
				klog_debug("policy: syslog unavailable: %s", strerror(errno));
		}
	}
	jsonw_free(&w);
	return rc;
}

int kpolicy_enforce(const struct kpolicy *p, const char *id, const char *bundle, json_object *spec,
		    struct kpol_decision *d, kerr *e)
{
	if (kpolicy_decide(p, id, spec, d, e) < 0 || kpolicy_log(p, d, id, bundle, spec, e) < 0)
		return -1;
	if (d->verdict == KPOL_DENY) {
		char msg[KERR_MSG_MAX];
		kpolicy_refusal(p, d, msg, sizeof(msg));
		return kerr_msg(e, EPERM, "%s", msg);
	}
	return 0;
}
