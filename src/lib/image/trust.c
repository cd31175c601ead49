/* The trust policy (trust.h): parsed once into requirement lists per
 * scope, evaluated against an image's name, manifest digest and kept
 * signatures. */
#include "image/trust.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "image/sign.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum req_type { REQ_ACCEPT, REQ_REJECT, REQ_SIGSTORE };
enum ident_type { ID_REPO_DIGEST_OR_EXACT, ID_EXACT, ID_REPOSITORY, ID_EXACT_REFERENCE, ID_EXACT_REPOSITORY };

struct req {
	enum req_type type;
	ksign_key *key;
	char *key_name; /* keyPath, or "keyData" */
	enum ident_type ident;
	char *ident_value; /* dockerReference / dockerRepository, full */
	char *where;       /* default[0], transports.docker["scope"][1] */
};

struct scope {
	char *scope;
	struct req *reqs;
	size_t n;
};

struct ktrust_policy {
	char *what;
	struct scope def; /* scope NULL */
	struct scope *docker;
	size_t ndocker;
};

static void scope_clear(struct scope *s)
{
	for (size_t i = 0; i < s->n; i++) {
		ksign_key_free(s->reqs[i].key);
		free(s->reqs[i].key_name);
		free(s->reqs[i].ident_value);
		free(s->reqs[i].where);
	}
	free(s->reqs);
	free(s->scope);
}

void ktrust_free(struct ktrust_policy *p)
{
	if (!p)
		return;
	scope_clear(&p->def);
	for (size_t i = 0; i < p->ndocker; i++)
		scope_clear(&p->docker[i]);
	free(p->docker);
	free(p->what);
	free(p);
}

/* The first path component names a registry when it has a dot or a port,
 * or is localhost (the rule Docker's reference package applies). */
static int has_host(const char *name)
{
	size_t n = strcspn(name, "/");
	if (!name[n])
		return 0;
	return memchr(name, '.', n) || memchr(name, ':', n) || (n == 9 && !strncmp(name, "localhost", 9));
}

char *ktrust_full_name(const char *name)
{
	char *out = NULL;
	if (!strncmp(name, "index.docker.io/", 16))
		name += 6;
	if (has_host(name))
		return strdup(name);
	if (asprintf(&out, "docker.io/%s%s", strchr(name, '/') ? "" : "library/", name) < 0)
		return NULL;
	return out;
}

/* The length of NAME's repository: without @digest and :tag. */
static size_t repo_len(const char *name)
{
	size_t n = strcspn(name, "@");
	const char *slash = memrchr(name, '/', n), *colon = memrchr(name, ':', n);
	if (colon && (!slash || colon > slash))
		n = (size_t)(colon - name);
	return n;
}

static int json_keys_only(json_object *o, const char *const *allowed, const char *what, kerr *e)
{
	json_object_object_foreach(o, k, v)
	{
		(void)v;
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			ok |= !strcmp(*a, k);
		if (!ok)
			return kerr_msg(e, EINVAL, "%s: %s: %s", what, k,
					!strcmp(k, "fulcio") || !strcmp(k, "rekorPublicKeyPath") ||
							!strcmp(k, "rekorPublicKeyData") || !strcmp(k, "pki") ||
							!strcmp(k, "keyPaths") || !strcmp(k, "keyDatas")
						? "not supported (kapsel verifies one key's signatures offline)"
						: "unknown field");
	}
	return 0;
}

static int parse_identity(json_object *o, struct req *r, const char *where, kerr *e)
{
	static const char *const only_type[] = { "type", NULL };
	static const char *const with_ref[] = { "type", "dockerReference", NULL };
	static const char *const with_repo[] = { "type", "dockerRepository", NULL };
	const char *t = kj_get_str(o, "type");
	if (!json_object_is_type(o, json_type_object) || !t)
		return kerr_msg(e, EINVAL, "%s.signedIdentity: expected an object with a type", where);
	char what[700];
	snprintf(what, sizeof(what), "%s.signedIdentity", where);
	const char *field = NULL;
	if (!strcmp(t, "matchRepoDigestOrExact"))
		r->ident = ID_REPO_DIGEST_OR_EXACT;
	else if (!strcmp(t, "matchExact"))
		r->ident = ID_EXACT;
	else if (!strcmp(t, "matchRepository"))
		r->ident = ID_REPOSITORY;
	else if (!strcmp(t, "exactReference"))
		r->ident = ID_EXACT_REFERENCE, field = "dockerReference";
	else if (!strcmp(t, "exactRepository"))
		r->ident = ID_EXACT_REPOSITORY, field = "dockerRepository";
	else if (!strcmp(t, "remapIdentity"))
		return kerr_msg(e, EINVAL, "%s.type: remapIdentity is not supported", what);
	else
		return kerr_msg(e, EINVAL, "%s.type: unknown identity type \"%s\"", what, t);
	if (json_keys_only(o, !field ? only_type : r->ident == ID_EXACT_REFERENCE ? with_ref : with_repo, what, e) < 0)
		return -1;
	if (field) {
		const char *v = kj_get_str(o, field);
		if (!v || !*v)
			return kerr_msg(e, EINVAL, "%s.%s: expected a reference", what, field);
		if (!has_host(v))
			return kerr_msg(e, EINVAL, "%s.%s: \"%s\" is not fully qualified (registry/repository)", what,
					field, v);
		if (r->ident == ID_EXACT_REPOSITORY && repo_len(v) != strlen(v))
			return kerr_msg(e, EINVAL, "%s.%s: \"%s\" has a tag or digest", what, field, v);
		if (r->ident == ID_EXACT_REFERENCE && repo_len(v) == strlen(v))
			return kerr_msg(e, EINVAL, "%s.%s: \"%s\" has neither tag nor digest", what, field, v);
		if (!(r->ident_value = ktrust_full_name(v)))
			return kerr_set(e, ENOMEM, "%s", what);
	}
	return 0;
}

static int parse_req(json_object *o, struct req *r, const char *where, kerr *e)
{
	static const char *const plain[] = { "type", NULL };
	static const char *const sigstore[] = { "type", "keyPath", "keyData", "signedIdentity", NULL };
	const char *t = kj_get_str(o, "type");
	if (!(r->where = strdup(where)))
		return kerr_set(e, ENOMEM, "%s", where);
	if (!json_object_is_type(o, json_type_object))
		return kerr_msg(e, EINVAL, "%s: expected an object", where);
	if (!t)
		return kerr_msg(e, EINVAL, "%s.type: expected a string", where);
	if (!strcmp(t, "insecureAcceptAnything") || !strcmp(t, "reject")) {
		r->type = t[0] == 'r' ? REQ_REJECT : REQ_ACCEPT;
		return json_keys_only(o, plain, where, e);
	}
	if (!strcmp(t, "signedBy"))
		return kerr_msg(e, EINVAL, "%s.type: signedBy (GPG signatures) is not supported: use sigstoreSigned",
				where);
	if (strcmp(t, "sigstoreSigned"))
		return kerr_msg(e, EINVAL, "%s.type: unknown requirement type \"%s\"", where, t);
	r->type = REQ_SIGSTORE;
	if (json_keys_only(o, sigstore, where, e) < 0)
		return -1;
	json_object *path = kj_get(o, "keyPath"), *data = kj_get(o, "keyData"), *id = kj_get(o, "signedIdentity");
	if (!path == !data)
		return kerr_msg(e, EINVAL, "%s: sigstoreSigned needs exactly one of keyPath and keyData", where);
	char what[700];
	if (path) {
		const char *p = json_object_is_type(path, json_type_string) ? json_object_get_string(path) : "";
		if (p[0] != '/')
			return kerr_msg(e, EINVAL, "%s.keyPath: expected an absolute path", where);
		if (!(r->key = ksign_public_key_file(p, e)))
			return kerr_wrap(e, "%s.keyPath", where);
		r->key_name = strdup(p);
	} else {
		unsigned char *pem;
		size_t len;
		snprintf(what, sizeof(what), "%s.keyData", where);
		if (!json_object_is_type(data, json_type_string) ||
		    ksign_unb64(json_object_get_string(data), &pem, &len, e) < 0)
			return kerr_msg(e, EINVAL, "%s: expected the base64 of a PEM public key", what);
		r->key = ksign_public_key((char *)pem, len, what, e);
		free(pem);
		if (!r->key)
			return -1;
		r->key_name = strdup("keyData");
	}
	if (!r->key_name)
		return kerr_set(e, ENOMEM, "%s", where);
	return id ? parse_identity(id, r, where, e) : 0;
}

static int parse_list(json_object *a, struct scope *s, const char *where, kerr *e)
{
	if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) == 0)
		return kerr_msg(e, EINVAL, "%s: expected a non-empty array of requirements", where);
	size_t n = json_object_array_length(a);
	if (!(s->reqs = calloc(n, sizeof(*s->reqs))))
		return kerr_set(e, ENOMEM, "%s", where);
	for (size_t i = 0; i < n; i++, s->n++) {
		char w[600];
		snprintf(w, sizeof(w), "%s[%zu]", where, i);
		if (parse_req(json_object_array_get_idx(a, i), &s->reqs[i], w, e) < 0) {
			s->n++; /* what it holds so far is freed with the rest */
			return -1;
		}
	}
	return 0;
}

/* A docker scope: a reference, repository, namespace or host with a
 * registry first, or *.domain. */
static int check_scope(const char *sc, const char *where, kerr *e)
{
	if (!strncmp(sc, "*.", 2)) {
		if (!sc[2] || strchr(sc + 2, '/') || strchr(sc + 2, '*'))
			return kerr_msg(e, EINVAL, "%s: a wildcard scope is *.DOMAIN, nothing after it", where);
		return 0;
	}
	if (!*sc || strchr(sc, '*') || sc[strlen(sc) - 1] == '/' || strstr(sc, "//"))
		return kerr_msg(e, EINVAL, "%s: not a scope (registry[/namespace...][/repo[:tag]])", where);
	size_t n = strcspn(sc, "/");
	int host = memchr(sc, '.', n) || memchr(sc, ':', n) || (n == 9 && !strncmp(sc, "localhost", 9));
	if (!host)
		return kerr_msg(e, EINVAL, "%s: \"%s\" does not start with a registry (write docker.io/library/%s)",
				where, sc, sc);
	return 0;
}

int ktrust_parse(const char *what, const char *buf, size_t len, struct ktrust_policy **out, kerr *e)
{
	static const char *const top[] = { "default", "transports", NULL };
	*out = NULL;
	struct ktrust_policy *p = calloc(1, sizeof(*p));
	if (!p || !(p->what = strdup(what))) {
		free(p);
		return kerr_set(e, ENOMEM, "%s", what);
	}
	_cleanup_json_ json_object *j = kj_parse(what, buf, len, e);
	char where[600];
	if (!j)
		goto fail;
	if (!json_object_is_type(j, json_type_object)) {
		kerr_msg(e, EINVAL, "%s: expected an object", what);
		goto fail;
	}
	if (json_keys_only(j, top, what, e) < 0)
		goto fail;
	snprintf(where, sizeof(where), "%s: default", what);
	if (parse_list(kj_get(j, "default"), &p->def, where, e) < 0)
		goto fail;
	json_object *tr = kj_get(j, "transports");
	if (tr && !json_object_is_type(tr, json_type_object)) {
		kerr_msg(e, EINVAL, "%s: transports: expected an object", what);
		goto fail;
	}
	if (!tr)
		goto done;
	json_object_object_foreach(tr, tname, scopes)
	{
		if (!json_object_is_type(scopes, json_type_object)) {
			kerr_msg(e, EINVAL, "%s: transports.%s: expected an object of scopes", what, tname);
			goto fail;
		}
		int docker = !strcmp(tname, "docker");
		json_object_object_foreach(scopes, sc, list)
		{
			struct scope tmp = { 0 };
			snprintf(where, sizeof(where), "%s: transports.%s[\"%s\"]", what, tname, sc);
			if ((docker && check_scope(sc, where, e) < 0) || parse_list(list, &tmp, where, e) < 0) {
				scope_clear(&tmp);
				goto fail;
			}
			if (!docker) {
				scope_clear(&tmp); /* checked, applies to nothing here */
				continue;
			}
			struct scope *nv = realloc(p->docker, (p->ndocker + 1) * sizeof(*nv));
			if (!nv || !(tmp.scope = strdup(sc))) {
				p->docker = nv ? nv : p->docker;
				scope_clear(&tmp);
				kerr_set(e, ENOMEM, "%s", what);
				goto fail;
			}
			p->docker = nv;
			p->docker[p->ndocker++] = tmp;
		}
	}
done:
	*out = p;
	return 0;
fail:
	ktrust_free(p);
	return -1;
}

static const char builtin[] = "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}";

int ktrust_load(const char *path, struct ktrust_policy **out, kerr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	const char *file = path ? path : KTRUST_POLICY;
	if (kfs_read_file(file, &buf, &len, e) < 0) {
		if (!path && e->errnum == ENOENT)
			return ktrust_parse("built-in trust policy", builtin, sizeof(builtin) - 1, out, e);
		return -1;
	}
	return ktrust_parse(file, buf, len, out, e);
}

/* The requirements for the full name FULL (NULL: default). */
static const struct scope *pick(const struct ktrust_policy *p, const char *full)
{
	if (!full)
		return &p->def;
	size_t n = strlen(full), host = strcspn(full, "/");
	/* exact, then the repository, then each namespace up to the host */
	for (size_t len = n; len > 0;) {
		for (size_t i = 0; i < p->ndocker; i++)
			if (strlen(p->docker[i].scope) == len && !strncmp(p->docker[i].scope, full, len))
				return &p->docker[i];
		if (len == n && repo_len(full) < n) {
			len = repo_len(full);
			continue;
		}
		const char *slash = memrchr(full, '/', len);
		if (!slash)
			break;
		len = (size_t)(slash - full);
		if (len < host)
			break;
	}
	/* *.example.com matches a.example.com and a.b.example.com, the longest first */
	const struct scope *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < p->ndocker; i++) {
		const char *sc = p->docker[i].scope;
		size_t sl = strlen(sc);
		if (strncmp(sc, "*.", 2) || sl - 1 > host || sl <= best_len)
			continue;
		if (!strncmp(full + host - (sl - 1), sc + 1, sl - 1)) {
			best = &p->docker[i];
			best_len = sl;
		}
	}
	return best ? best : &p->def;
}

/* Does the signature's identity CLAIMED fit the image FULL under R? */
static int identity_ok(const struct req *r, const char *full, const char *claimed, char *why, size_t wlen)
{
	_cleanup_free_ char *c = ktrust_full_name(claimed);
	if (!c)
		return snprintf(why, wlen, "out of memory"), 0;
	switch (r->ident) {
	case ID_EXACT_REFERENCE:
		if (!strcmp(c, r->ident_value))
			return 1;
		return snprintf(why, wlen, "it names %s, the policy wants %s", claimed, r->ident_value), 0;
	case ID_EXACT_REPOSITORY:
		if (repo_len(c) == strlen(r->ident_value) && !strncmp(c, r->ident_value, repo_len(c)))
			return 1;
		return snprintf(why, wlen, "it names %s, the policy wants repository %s", claimed, r->ident_value), 0;
	default:
		break;
	}
	if (!full)
		return snprintf(why, wlen, "the image has no name to match its identity %s against", claimed), 0;
	/* matchRepoDigestOrExact for an image named by digest (a pull by
	 * digest): the repositories must match */
	if (r->ident == ID_REPOSITORY || (r->ident == ID_REPO_DIGEST_OR_EXACT && strchr(full, '@'))) {
		if (repo_len(c) == repo_len(full) && !strncmp(c, full, repo_len(c)))
			return 1;
		return snprintf(why, wlen, "it names repository %.*s, the image is %s", (int)repo_len(c), c, full), 0;
	}
	/* matchExact, and matchRepoDigestOrExact for a tagged name (the
	 * store's names are all tagged): the identity must be the name */
	if (!strcmp(c, full))
		return 1;
	return snprintf(why, wlen, "it names %s, not %s (signedIdentity %s)", claimed, full,
			r->ident == ID_EXACT ? "matchExact" : "matchRepoDigestOrExact: use matchRepository for "
							      "cosign's repository-only signatures"),
	       0;
}

static int check_req(const struct req *r, const char *full, const char *manifest, const struct kstore_sig *sigs,
		     size_t n, kerr *e)
{
	if (r->type == REQ_ACCEPT)
		return 0;
	if (r->type == REQ_REJECT)
		return kerr_msg(e, EPERM, "%s: reject", r->where);
	if (!manifest)
		return kerr_msg(e, EPERM, "%s: sigstoreSigned: the image has no manifest digest to check a signature of",
				r->where);
	if (n == 0)
		return kerr_msg(e, EPERM, "%s: sigstoreSigned: the image (manifest %s) is not signed", r->where,
				manifest);
	char why[KERR_MSG_MAX + 128] = "";
	for (size_t i = 0; i < n; i++) {
		kerr ve = { 0 };
		struct ksign_claim c;
		if (ksign_verify(r->key, sigs[i].payload, sigs[i].payload_len, sigs[i].signature, &ve) < 0) {
			snprintf(why, sizeof(why), "%s (key %s)", ve.msg, r->key_name);
			continue;
		}
		if (ksign_payload_parse(sigs[i].payload, sigs[i].payload_len, "payload", &c, &ve) < 0) {
			snprintf(why, sizeof(why), "%s", ve.msg);
			continue;
		}
		int ok = 0;
		if (strcmp(c.digest, manifest))
			snprintf(why, sizeof(why), "it signs manifest %s, the image's is %s", c.digest, manifest);
		else
			ok = identity_ok(r, full, c.reference, why, sizeof(why));
		ksign_claim_clear(&c);
		if (ok)
			return 0;
	}
	return kerr_msg(e, EPERM, "%s: sigstoreSigned: no signature of %zu is accepted: %s", r->where, n, why);
}

int ktrust_check(const struct ktrust_policy *p, const char *name, const char *manifest, const struct kstore_sig *sigs,
		 size_t n, char *how, size_t howlen, kerr *e)
{
	_cleanup_free_ char *full = name ? ktrust_full_name(name) : NULL;
	if (name && !full)
		return kerr_set(e, ENOMEM, "trust");
	const struct scope *s = pick(p, full);
	for (size_t i = 0; i < s->n; i++)
		if (check_req(&s->reqs[i], full, manifest, sigs, n, e) < 0)
			return kerr_wrap(e, "%s refused by the trust policy", name ? name : "an unnamed image");
	if (how) {
		const char *types[] = { "insecureAcceptAnything", "reject", "sigstoreSigned" };
		snprintf(how, howlen, "%s: %s%s%s", s->reqs[0].where, types[s->reqs[0].type],
			 s->reqs[0].key_name ? " key " : "", s->reqs[0].key_name ? s->reqs[0].key_name : "");
	}
	return 0;
}

int ktrust_check_stored(const struct ktrust_policy *p, const struct kstore *s, const char *name, const char *manifest,
			char *how, size_t howlen, kerr *e)
{
	struct kstore_sig *sigs = NULL;
	size_t n = 0;
	if (manifest && kstore_sigs(s, manifest, &sigs, &n, e) < 0)
		return -1;
	int rc = ktrust_check(p, name, manifest, sigs, n, how, howlen, e);
	kstore_sigs_free(sigs, n);
	return rc;
}
