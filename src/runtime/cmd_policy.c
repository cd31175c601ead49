/* policy check [FILE] | policy explain [--format text|json] BUNDLE |
 * policy rules [--format text|json] */
#include "runtime.h"

#include "common/jsonw.h"
#include "linux/lsm.h"
#include "linux/process.h"
#include "oci/spec.h"
#include "policy/policy.h"

#include <stdio.h>
#include <string.h>

static int check_run(const struct cli_call *c)
{
	const struct globals *g = c->globals;
	struct kpolicy p;
	kerr e = { 0 };
	if (kpolicy_load(c->argc == 1 ? c->argv[0] : g->policy, &p, &e) < 0)
		return fail(&e);
	printf("%s: ok (enforce %s, warn %s, audit %s, action %s, %zu exemption patterns, %zu rules disabled)\n",
	       p.file, kpol_level_name(p.enforce), kpol_level_name(p.warn), kpol_level_name(p.audit),
	       kpol_action_name(p.action), p.n_image + p.n_name + p.n_namespace, p.n_disabled);
	kpolicy_free(&p);
	return 0;
}

struct format_args {
	int format; /* 0 text, 1 json */
};

static const char *const formats[] = { "text", "json", NULL };

static const struct cli_option format_options[] = {
	CLI_OPT_CHOICE(0, "format", struct format_args, format, formats, "output format (default text)"),
	CLI_OPT_END,
};

static int rules_run(const struct cli_call *c)
{
	int json = ((const struct format_args *)c->opts)->format == 1;
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

/* explain's verdict is an answer: 1 when the policy refuses, 3 when
 * there is no answer (docs/cli.md) */
static int no_verdict(const kerr *e)
{
	fail(e);
	return CLI_EXIT_CHECK_ERROR;
}

static int explain_run(const struct cli_call *c)
{
	const struct globals *g = c->globals;
	int json = ((const struct format_args *)c->opts)->format == 1;
	struct kpolicy p;
	struct oci_spec *s = NULL;
	struct kpol_decision d;
	kerr e = { 0 };
	if (kpolicy_load(g->policy, &p, &e) < 0)
		return no_verdict(&e);
	/* the host's facts, as create has them */
	struct klsm_host lsm;
	klsm_detect("", &lsm);
	p.apparmor_default = klsm_default_apparmor(&lsm);
	p.oom_score_adj_floor = kproc_own_oom_score_adj();
	if (oci_spec_load(c->argv[0], &s, &e) < 0) {
		kpolicy_free(&p);
		return no_verdict(&e);
	}
	/* the same tree twice: as handed in, and after harden */
	json_object *orig = json_tokener_parse(json_object_to_json_string(s->root));
	if (kpolicy_decide(&p, "explain", s->root, &d, &e) < 0) {
		json_object_put(orig);
		oci_spec_free(s);
		kpolicy_free(&p);
		return no_verdict(&e);
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
		int before = kpol_rule_check(&r[i], &p, orig, ev, sizeof(ev));
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
	return d.verdict == KPOL_DENY ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static const struct cli_command policy_check = {
	.name = "check",
	.run = check_run,
	.min_args = 0,
	.max_args = 1,
	.args = "[FILE]",
	.summary = "validate a policy file (default: the one --policy names, else the built-in path)",
};

static const struct cli_command policy_explain = {
	.name = "explain",
	.run = explain_run,
	.min_args = 1,
	.max_args = 1,
	.args = "BUNDLE",
	.summary = "show the policy's decision for a bundle, rule by rule",
	.description = "Exit status: 0 the bundle would run (maybe hardened), 1 the policy would refuse it,\n"
		       "3 no decision (the policy or the config could not be read).\n",
	CLI_CMD_OPTIONS(struct format_args, format_options),
};

static const struct cli_command policy_rules = {
	.name = "rules",
	.run = rules_run,
	.min_args = 0,
	.max_args = 0,
	.summary = "list the rules",
	CLI_CMD_OPTIONS(struct format_args, format_options),
};

static const struct cli_command *const policy_commands[] = { &policy_check, &policy_explain, &policy_rules, NULL };

const struct cli_command cmd_policy = {
	.name = "policy",
	.summary = "check a policy file, explain a decision, list the rules",
	.description = "The hardening policy that create and run apply (docs/policy.md).\n",
	.subcommands = policy_commands,
};
