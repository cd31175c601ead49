/* policy check [FILE] | policy explain [--format json] BUNDLE | policy rules */
#include "runtime.h"

#include "common/jsonw.h"
#include "oci/spec.h"
#include "policy/policy.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int check(struct globals *g, int argc, char **argv)
{
	struct kpolicy p;
	kerr e = { 0 };
	if (argc > 2)
		return usage_error("policy check", "takes at most one file");
	if (kpolicy_load(argc == 2 ? argv[1] : g->policy, &p, &e) < 0)
		return fail(&e);
	printf("%s: ok (enforce %s, warn %s, audit %s, action %s, %zu exemption patterns, %zu rules disabled)\n",
	       p.file, kpol_level_name(p.enforce), kpol_level_name(p.warn), kpol_level_name(p.audit),
	       kpol_action_name(p.action), p.n_image + p.n_name + p.n_namespace, p.n_disabled);
	kpolicy_free(&p);
	return 0;
}

static int rules(int argc, char **argv)
{
	int json = argc == 3 && !strcmp(argv[1], "--format") && !strcmp(argv[2], "json");
	if (argc != 1 && !json)
		return usage_error("policy rules", "usage: policy rules [--format json]");
	size_t n;
	const struct kpol_rule *r = kpol_rules(&n);
	struct jsonw w;
	jsonw_init(&w);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < n; i++) {
		if (json) {
			jsonw_obj_open(&w);
			jsonw_key_str(&w, "id", r[i].id);
			jsonw_key_str(&w, "name", r[i].slug);
			jsonw_key_str(&w, "level", kpol_level_name(r[i].level));
			jsonw_key_str(&w, "title", r[i].title);
			jsonw_key_str(&w, "cis", r[i].cis);
			jsonw_key_str(&w, "remediation", r[i].remediation);
			jsonw_key_bool(&w, "harden", r[i].fix != NULL);
			jsonw_key_bool(&w, "fix", r[i].fill_in); /* action fix (the default) applies it */
			jsonw_obj_close(&w);
		} else {
			printf("%-4s %-21s %-10s %s%s%s%s\n     fix: %s%s\n", r[i].id, r[i].slug, kpol_level_name(r[i].level),
			       r[i].title, *r[i].cis ? "  [CIS " : "", *r[i].cis ? r[i].cis : "", *r[i].cis ? "]" : "", r[i].remediation,
			       r[i].fill_in ? " (fixed by default: action fix or harden fills this in)"
			       : r[i].fix ? " (harden fills this in)" : "");
		}
	}
	jsonw_arr_close(&w);
	if (json)
		printf("%s\n", w.buf);
	jsonw_free(&w);
	return 0;
}

static int explain(struct globals *g, int argc, char **argv)
{
	int json = 0, c;
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { 0 } };
	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c == 'f' && !strcmp(optarg, "json"))
			json = 1;
		else if (c == 'f' && !strcmp(optarg, "text"))
			json = 0;
		else
			return usage_error("policy explain", "usage: policy explain [--format text|json] BUNDLE");
	}
	if (argc - optind != 1)
		return usage_error("policy explain", "usage: policy explain [--format text|json] BUNDLE");
	struct kpolicy p;
	struct oci_spec *s = NULL;
	struct kpol_decision d;
	kerr e = { 0 };
	if (kpolicy_load(g->policy, &p, &e) < 0)
		return fail(&e);
	if (oci_spec_load(argv[optind], &s, &e) < 0) {
		kpolicy_free(&p);
		return fail(&e);
	}
	/* the same tree twice: as handed in, and after harden */
	json_object *orig = json_tokener_parse(json_object_to_json_string(s->root));
	if (kpolicy_decide(&p, "explain", s->root, &d, &e) < 0) {
		json_object_put(orig);
		oci_spec_free(s);
		kpolicy_free(&p);
		return fail(&e);
	}
	static const char *const verdicts[] = { "allow", "allow-warn", "hardened", "deny" };
	size_t n;
	const struct kpol_rule *r = kpol_rules(&n);
	struct jsonw w;
	jsonw_init(&w);
	jsonw_obj_open(&w);
	jsonw_key_str(&w, "policy", p.file);
	jsonw_key_str(&w, "level", kpol_level_name(d.level));
	jsonw_key_str(&w, "level_reason", d.level_reason);
	jsonw_key_str(&w, "verdict", verdicts[d.verdict]);
	jsonw_key(&w, "rules");
	jsonw_arr_open(&w);
	if (!json)
		printf("policy %s: level %s (%s), action %s\n", p.file, kpol_level_name(d.level), d.level_reason,
		       kpol_action_name(p.action));
	for (size_t i = 0; i < n; i++) {
		char ev[256] = "";
		int before = r[i].check(orig, ev, sizeof(ev));
		const struct kpol_finding *f = NULL;
		for (size_t k = 0; k < d.n_findings; k++)
			if (d.findings[k].rule == &r[i])
				f = &d.findings[k];
		const char *mode = d.level != KPOL_PRIVILEGED && r[i].level <= d.level ? "enforce"
				   : r[i].level <= p.warn ? "warn" : r[i].level <= p.audit ? "audit" : "off";
		int disabled = 0;
		for (size_t k = 0; k < p.n_disabled; k++)
			disabled |= !strcmp(p.disabled[k], r[i].id) || !strcmp(p.disabled[k], r[i].slug);
		const char *result = disabled ? "disabled" : !strcmp(mode, "off") ? "not checked"
				     : f ? "FAIL" : before ? "HARDENED" : "PASS";
		if (json) {
			jsonw_obj_open(&w);
			jsonw_key_str(&w, "id", r[i].id);
			jsonw_key_str(&w, "name", r[i].slug);
			jsonw_key_str(&w, "level", kpol_level_name(r[i].level));
			jsonw_key_str(&w, "mode", mode);
			jsonw_key_str(&w, "result", result);
			jsonw_key_str(&w, "evidence", f ? f->evidence : before ? ev : "");
			jsonw_key_str(&w, "cis", r[i].cis);
			jsonw_key_str(&w, "remediation", r[i].remediation);
			jsonw_obj_close(&w);
		} else {
			printf("  %-9s %-4s %-21s %-10s %-7s %s", result, r[i].id, r[i].slug, kpol_level_name(r[i].level),
			       mode, r[i].title);
			if (f)
				printf("\n            %s\n            fix: %s", f->evidence, r[i].remediation);
			else if (before && strcmp(result, "not checked") && strcmp(result, "disabled"))
				printf("\n            was: %s", ev);
			printf("\n");
		}
	}
	jsonw_arr_close(&w);
	jsonw_key(&w, "changes");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < d.n_changes; i++) {
		jsonw_str(&w, d.changes[i]);
		if (!json)
			printf("  harden: %s\n", d.changes[i]);
	}
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	if (json)
		printf("%s\n", w.buf);
	else
		printf("verdict: %s\n", verdicts[d.verdict]);
	jsonw_free(&w);
	json_object_put(orig);
	oci_spec_free(s);
	kpolicy_free(&p);
	return d.verdict == KPOL_DENY ? 3 : 0;
}

int cmd_policy(struct globals *g, int argc, char **argv)
{
	if (argc < 2)
		return usage_error("policy", "usage: policy check [FILE] | explain [--format json] BUNDLE | rules");
	if (!strcmp(argv[1], "check"))
		return check(g, argc - 1, argv + 1);
	if (!strcmp(argv[1], "explain"))
		return explain(g, argc - 1, argv + 1);
	if (!strcmp(argv[1], "rules"))
		return rules(argc - 1, argv + 1);
	return usage_error("policy", "unknown subcommand \"%s\" (check, explain, rules)", argv[1]);
}
