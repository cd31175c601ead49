/* kreg_pull (registry.h): the manifest (an index resolved to this
 * platform's image), the config, then the layers the store lacks, fetched
 * in parallel on one curl multi handle into the store's tmp/, each hashed
 * as it streams and resumed with Range where a connection was cut; then
 * kstore_pull_commit. */
#include "image/cosign.h"
#include "image/registry.h"
#include "image/registry_int.h"
#include "image/store.h"
#include "image/store_int.h"
#include "image/store_pull.h"
#include "image/store_sig.h"
#include "image/trust.h"

#include "common/cleanup.h"
#include "common/json.h"
#include "common/sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRIES 6
#define CONFIG_MAX (16 << 20)

static const char *const accept_manifests[] = {
	"Accept: " MT_OCI_MANIFEST ", " MT_OCI_INDEX ", " MT_DOCKER_MANIFEST ", " MT_DOCKER_LIST,
	NULL,
};

static void emit(const struct kreg_opts *o, enum kreg_event ev, const char *digest, int64_t done, int64_t total)
{
	if (o->progress)
		o->progress(o->ud, ev, digest, done, total);
}

/* The media type of a manifest: its Content-Type (without parameters),
 * else its mediaType field. */
static void media_type(const struct kreg_resp *p, json_object *j, char *out, size_t n)
{
	const char *mt = kj_get_str(j, "mediaType");
	size_t l = strcspn(p->content_type, "; ");
	if (l && strncmp(p->content_type, "application/json", l) && strncmp(p->content_type, "text/plain", l))
		snprintf(out, n, "%.*s", (int)l, p->content_type);
	else
		snprintf(out, n, "%s", mt ? mt : "");
}

/* GET manifest REFERENCE (a tag or a digest); check its digest against
 * WANT (may be NULL) and the Docker-Content-Digest header. */
static int get_manifest(struct kreg *r, const char *reference, const char *want, struct kreg_resp *p,
			char digest[KSHA256_DIGEST], json_object **doc, char *mt, size_t mtn, kerr *e)
{
	_cleanup_free_ char *path = kreg_url(r, "/v2/%s/manifests/%s", r->repo, reference);
	if (!path)
		return kerr_set(e, ENOMEM, "manifest");
	p->max = KREG_MANIFEST_MAX;
	if (kreg_request(r, "GET", path, accept_manifests, NULL, -1, 0, p, e) < 0)
		return -1;
	if (p->status != 200) {
		char what[512];
		snprintf(what, sizeof(what), "manifest %s:%s", r->repo, reference);
		return kreg_status_error(p, what, e);
	}
	uint8_t sum[KSHA256_LEN];
	ksha256(p->body ? p->body : "", p->len, sum);
	ksha256_digest(sum, digest);
	if (want && strcmp(want, digest))
		return kerr_msg(e, EINVAL, "manifest digest mismatch: %s:%s should be %s, the registry sent %s",
				r->repo, reference, want, digest);
	if (p->digest[0] && !strncmp(p->digest, "sha256:", 7) && strcmp(p->digest, digest))
		return kerr_msg(e, EINVAL,
				"manifest digest mismatch: %s:%s: Docker-Content-Digest says %s, the body is %s",
				r->repo, reference, p->digest, digest);
	if (!(*doc = kj_parse("manifest", p->body ? p->body : "", p->len, e)))
		return kerr_wrap(e, "%s:%s", r->repo, reference);
	media_type(p, *doc, mt, mtn);
	return 0;
}

/* One blob to download. */
struct dl {
	const char *digest;
	int64_t size;
	struct kstore_blobw w;
	CURL *c;
	struct curl_slist *hl;
	struct kreg_resp resp; /* headers; an error body */
	char errbuf[CURL_ERROR_SIZE];
	char range[80];
	int tries, authed, active, done, failed;
	double not_before;
	struct pull *pl;
};

struct pull {
	struct kstore *s;
	struct kreg *r;
	const struct kreg_opts *o;
	struct dl *dl;
	size_t ndl;
	kerr *e;
	int failed; /* a write callback filled e */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The body of a blob answer: into the blob when it is the blob (200, or
 * 206 from where we are), else kept (small) for the error. */
static size_t on_blob(char *buf, size_t size, size_t nitems, void *ud)
{
	struct dl *d = ud;
	size_t n = size * nitems;
	long status = 0;
	curl_easy_getinfo(d->c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200 && status != 206) {
		if (d->resp.len + n > 4096)
			return n;
		char *nb = realloc(d->resp.body, d->resp.len + n + 1);
		if (!nb)
			return 0;
		memcpy(nb + d->resp.len, buf, n);
		d->resp.body = nb;
		d->resp.len += n;
		nb[d->resp.len] = '\0';
		return n;
	}
	if (d->range[0] && status == 200 && d->w.bytes) { /* the server ignored Range: start over */
		if (kstore_blob_rewind(d->pl->s, &d->w, d->pl->e) < 0)
			goto fail;
		d->range[0] = '\0';
	}
	if (status == 206 && d->range[0]) {
		long long from = -1;
		if (sscanf(d->resp.range, "bytes %lld-", &from) != 1 || from != d->w.bytes) {
			kerr_msg(d->pl->e, EPROTO, "blob %s: the registry resumed at \"%s\", not at byte %lld",
				 d->digest, d->resp.range, (long long)d->w.bytes);
			goto fail;
		}
		d->range[0] = '\0';
	}
	if (d->w.bytes + (int64_t)n > d->size) {
		kerr_msg(d->pl->e, EINVAL,
			 "blob %s: size mismatch: the registry sends more than the %lld bytes the manifest says",
			 d->digest, (long long)d->size);
		goto fail;
	}
	if (kstore_blob_append(d->pl->s, &d->w, buf, n, d->pl->e) < 0)
		goto fail;
	emit(d->pl->o, KREG_EV_PROGRESS, d->digest, d->w.bytes, d->size);
	return n;
fail:
	d->failed = d->pl->failed = 1;
	return 0;
}

static int start(struct pull *pl, CURLM *m, struct dl *d)
{
	kerr *e = pl->e;
	_cleanup_free_ char *url = kreg_url(pl->r, "/v2/%s/blobs/%s", pl->r->repo, d->digest);
	if (!url)
		return kerr_set(e, ENOMEM, "blob");
	kreg_resp_clear(&d->resp);
	if (!d->w.tmp[0] && kstore_blob_open(pl->s, &d->w, e) < 0)
		return -1;
	if (!(d->c = kreg_easy(pl->r, url, &d->resp, d->errbuf, e)))
		return -1;
	const char *hdr[2] = { NULL, NULL };
	char rh[80];
	d->range[0] = '\0';
	if (d->w.bytes > 0) {
		snprintf(rh, sizeof(rh), "Range: bytes=%lld-", (long long)d->w.bytes);
		snprintf(d->range, sizeof(d->range), "%s", rh);
		hdr[0] = rh;
	}
	d->hl = kreg_headers(pl->r, hdr);
	curl_easy_setopt(d->c, CURLOPT_HTTPHEADER, d->hl);
	curl_easy_setopt(d->c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(d->c, CURLOPT_MAXREDIRS, 5L);
	/* big reads: fewer wake-ups per blob, which a busy machine makes costly */
	curl_easy_setopt(d->c, CURLOPT_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(d->c, CURLOPT_WRITEFUNCTION, on_blob);
	curl_easy_setopt(d->c, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(d->c, CURLOPT_PRIVATE, d);
	if (curl_multi_add_handle(m, d->c) != CURLM_OK)
		return kerr_msg(e, EIO, "curl: cannot add a transfer");
	d->active = 1;
	return 0;
}

static void finish_handle(CURLM *m, struct dl *d)
{
	if (d->c) {
		curl_multi_remove_handle(m, d->c);
		curl_easy_cleanup(d->c);
		d->c = NULL;
	}
	curl_slist_free_all(d->hl);
	d->hl = NULL;
	d->active = 0;
}

/* A transfer ended: done, queued again (auth, retry, resume), or an error. */
static int ended(struct pull *pl, CURLM *m, struct dl *d, CURLcode rc)
{
	kerr *e = pl->e;
	long status = 0;
	curl_easy_getinfo(d->c, CURLINFO_RESPONSE_CODE, &status);
	d->resp.status = status;
	_cleanup_free_ char *url = kreg_url(pl->r, "/v2/%s/blobs/%s", pl->r->repo, d->digest);
	finish_handle(m, d);
	if (d->failed)
		return -1;
	if (rc == CURLE_OK && (status == 200 || status == 206)) {
		emit(pl->o, KREG_EV_VERIFYING, d->digest, d->w.bytes, d->size);
		if (kstore_blob_verify(pl->s, &d->w, d->digest, d->size, e) < 0)
			return -1;
		d->done = 1;
		emit(pl->o, KREG_EV_DONE, d->digest, d->w.bytes, d->size);
		return 0;
	}
	if (rc == CURLE_OK && status == 401 && !d->authed) {
		d->authed = 1;
		return kreg_auth(pl->r, &d->resp, e);
	}
	int again = rc == CURLE_OK ? status == 429 || status >= 500
				   : rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_SSL_CONNECT_ERROR &&
					     rc != CURLE_COULDNT_CONNECT && rc != CURLE_COULDNT_RESOLVE_HOST;
	if (again && ++d->tries < TRIES) {
		d->not_before = now_s() + 0.25 * (1 << (d->tries - 1));
		emit(pl->o, KREG_EV_RETRY, d->digest, d->w.bytes, d->size);
		return 0;
	}
	if (rc != CURLE_OK)
		return kreg_transport_error(pl->r, url ? url : d->digest, rc, d->errbuf, e);
	char what[128];
	snprintf(what, sizeof(what), "blob %s", d->digest);
	return kreg_status_error(&d->resp, what, e);
}

static int download(struct pull *pl)
{
	kerr *e = pl->e;
	CURLM *m = curl_multi_init();
	if (!m)
		return kerr_set(e, ENOMEM, "curl");
	size_t par = pl->o->parallel > 0 ? (size_t)pl->o->parallel : 4;
	int rc = 0;
	for (size_t i = 0; i < pl->ndl; i++)
		pl->dl[i].pl = pl;
	for (;;) {
		size_t active = 0, left = 0;
		double now = now_s(), next = 0;
		for (size_t i = 0; i < pl->ndl; i++) {
			struct dl *d = &pl->dl[i];
			active += d->active;
			left += !d->done && !d->active;
		}
		if (!active && !left)
			break;
		for (size_t i = 0; i < pl->ndl && active < par; i++) {
			struct dl *d = &pl->dl[i];
			if (d->done || d->active)
				continue;
			if (d->not_before > now) {
				if (!next || d->not_before < next)
					next = d->not_before;
				continue;
			}
			if ((rc = start(pl, m, d)) < 0)
				goto out;
			active++;
		}
		int running;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int q;
		while ((msg = curl_multi_info_read(m, &q)))
			if (msg->msg == CURLMSG_DONE) {
				struct dl *d;
				curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&d);
				if ((rc = ended(pl, m, d, msg->data.result)) < 0)
					goto out;
			}
		int wait_ms = 1000;
		if (next) {
			double w = (next - now_s()) * 1000;
			wait_ms = w < 0 ? 0 : w < 1000 ? (int)w : 1000;
		}
		/* wait for the transfers, or out a back-off; not when all just ended */
		if (running || next)
			curl_multi_poll(m, NULL, 0, wait_ms, NULL);
	}
out:
	for (size_t i = 0; i < pl->ndl; i++)
		if (pl->dl[i].active)
			finish_handle(m, &pl->dl[i]);
	curl_multi_cleanup(m);
	return rc;
}

/* A small blob (the config) into memory, verified. */
static int get_small_blob(struct kreg *r, const char *digest, int64_t size, char **out, size_t *len, kerr *e)
{
	_cleanup_free_ char *path = kreg_url(r, "/v2/%s/blobs/%s", r->repo, digest);
	struct kreg_resp p = { .max = CONFIG_MAX };
	if (!path)
		return kerr_set(e, ENOMEM, "blob");
	if (size > CONFIG_MAX)
		return kerr_msg(e, EFBIG, "blob %s: a config of %lld bytes (at most %d)", digest, (long long)size,
				CONFIG_MAX);
	if (kreg_request(r, "GET", path, NULL, NULL, -1, 0, &p, e) < 0)
		goto fail;
	if (p.status != 200) {
		char what[128];
		snprintf(what, sizeof(what), "blob %s", digest);
		kreg_status_error(&p, what, e);
		goto fail;
	}
	uint8_t sum[KSHA256_LEN];
	char what[192];
	snprintf(what, sizeof(what), "blob %s", digest);
	ksha256(p.body ? p.body : "", p.len, sum);
	if ((int64_t)p.len != size) {
		kerr_msg(e, EINVAL, "%s: size mismatch: the descriptor says %lld bytes, the registry sent %zu", what,
			 (long long)size, p.len);
		goto fail;
	}
	if (ksha256_verify(digest, sum, what, e) < 0)
		goto fail;
	*out = p.body ? steal_ptr(p.body) : strdup("");
	*len = p.len;
	return 0;
fail:
	kreg_resp_clear(&p);
	return -1;
}

/* BUF (a verified blob) into a temp file of the store. */
static int stage_buffer(struct kstore *s, const char *digest, const char *buf, size_t len, char tmp[64], kerr *e)
{
	struct kstore_blobw w;
	tmp[0] = '\0';
	if (kstore_has_blob(s, digest))
		return 0;
	if (kstore_blob_open(s, &w, e) < 0)
		return -1;
	if (kstore_blob_append(s, &w, buf, len, e) < 0 || kstore_blob_verify(s, &w, digest, (int64_t)len, e) < 0) {
		kstore_blob_discard(s, &w);
		return -1;
	}
	memcpy(tmp, w.tmp, 64);
	return 0;
}

/* The cosign signatures the registry has for MDIGEST: the manifest tagged
 * sha256-<hex>.sig in R's repository (404: none), each simple-signing
 * payload fetched and checked against its descriptor. */
int kreg_get_signatures(struct kreg *r, const char *mdigest, struct kstore_sig **out, size_t *n, kerr *e)
{
	char tag[80], mdig[KSHA256_DIGEST], mt[128];
	struct kreg_resp p = { 0 };
	_cleanup_json_ json_object *doc = NULL;
	*out = NULL;
	*n = 0;
	kcosign_tag(mdigest, tag);
	/* HEAD first: most images are unsigned, and Docker Hub counts GETs of
	 * manifests against its pull limit, not HEADs */
	_cleanup_free_ char *path = kreg_url(r, "/v2/%s/manifests/%s", r->repo, tag);
	if (!path)
		return kerr_set(e, ENOMEM, "signatures");
	if (kreg_request(r, "HEAD", path, accept_manifests, NULL, -1, 0, &p, e) < 0)
		return kerr_wrap(e, "signatures %s", tag);
	long head = p.status;
	kreg_resp_clear(&p);
	if (head == 404)
		return 0;
	if (get_manifest(r, tag, NULL, &p, mdig, &doc, mt, sizeof(mt), e) < 0) {
		int missing = p.status == 404;
		kreg_resp_clear(&p);
		if (missing)
			*e = (kerr){ 0 };
		return missing ? 0 : kerr_wrap(e, "signatures %s", tag);
	}
	struct kcosign_layer *l;
	size_t nl;
	char what[128];
	snprintf(what, sizeof(what), "signatures %s:%s", r->repo, tag);
	int rc = kcosign_parse(p.body ? p.body : "", p.len, what, &l, &nl, e);
	kreg_resp_clear(&p);
	if (rc < 0)
		return -1;
	struct kstore_sig *v = nl ? calloc(nl, sizeof(*v)) : NULL;
	if (nl && !v)
		rc = kerr_set(e, ENOMEM, "signatures");
	for (size_t i = 0; rc == 0 && i < nl; i++) {
		if (get_small_blob(r, l[i].digest, l[i].size, &v[i].payload, &v[i].payload_len, e) < 0 ||
		    !(v[i].signature = strdup(l[i].signature)))
			rc = e->msg[0] ? kerr_wrap(e, "%s", what) : kerr_set(e, ENOMEM, "signatures");
		*n = i + 1;
	}
	kcosign_layers_free(l, nl);
	if (rc < 0) {
		kstore_sigs_free(v, *n);
		*n = 0;
		return -1;
	}
	*out = v;
	*n = nl;
	return 0;
}

/* The policy O->trust for the image (NAME, or REPO@MDIGEST when pulled by
 * digest alone) with the registry's signatures SIGS; FETCH_ERR (may be
 * empty) is why there are none, told when the policy wanted some. */
static int check_trust(const struct kreg_opts *o, const struct kreg *r, const char *name, const char *mdigest,
		       const struct kstore_sig *sigs, size_t n, const kerr *fetch_err, kerr *e)
{
	if (!o->trust)
		return 0;
	_cleanup_free_ char *byd = NULL;
	if (!name && asprintf(&byd, "%s/%s@%s", r->registry, r->repo, mdigest) < 0)
		return kerr_set(e, ENOMEM, "trust");
	if (ktrust_check(o->trust, name ? name : byd, mdigest, sigs, n, NULL, 0, e) == 0)
		return 0;
	if (fetch_err->msg[0]) {
		char why[KERR_MSG_MAX];
		snprintf(why, sizeof(why), "%s", e->msg);
		kerr_msg(e, EPERM, "%.1000s (reading the registry's signatures failed: %.900s)", why, fetch_err->msg);
	}
	return -1;
}

/* What the pull builds: the record, the blobs and their temp files. */
struct job {
	struct kstore_image rec;
	char **digests;
	char (*tmp)[64];
	size_t nblobs;
	struct dl *dl;
	size_t ndl;
};

static int add_blob(struct job *j, const char *digest, kerr *e)
{
	for (size_t i = 0; i < j->nblobs; i++)
		if (!strcmp(j->digests[i], digest))
			return 0;
	char **nd = realloc(j->digests, (j->nblobs + 1) * sizeof(*nd));
	if (nd)
		j->digests = nd;
	char(*nt)[64] = nd ? realloc(j->tmp, (j->nblobs + 1) * sizeof(*nt)) : NULL;
	if (!nt || !(nd[j->nblobs] = strdup(digest)))
		return kerr_set(e, ENOMEM, "pull");
	j->tmp = nt;
	j->tmp[j->nblobs++][0] = '\0';
	return 0;
}

static void job_free(struct kstore *s, struct job *j)
{
	for (size_t i = 0; i < j->ndl; i++) {
		kstore_blob_discard(s, &j->dl[i].w);
		kreg_resp_clear(&j->dl[i].resp);
	}
	free(j->dl);
	for (size_t i = 0; i < j->nblobs; i++) {
		if (j->tmp[i][0])
			kstore_tmp_remove(s, j->tmp[i]);
		free(j->digests[i]);
	}
	free(j->digests);
	free(j->tmp);
	kstore_image_clear(&j->rec);
}

/* The image manifest MAN (digest MDIGEST, its bytes BODY) of R into the
 * store. */
/* PF: the platform asked for with --platform, which the config must
 * name too (an image without an index, or an index that lies); NULL: any.
 * IDIGEST: the index MDIGEST was picked from (by digest), NULL: none. */
static int pull_image(struct kstore *s, struct kreg *r, const struct kreg_ref *ref, json_object *man,
		      const char *mdigest, const char *idigest, const struct kreg_resp *body,
		      const struct kreg_opts *o, const struct kreg_platform *pf, const struct kstore_image **out,
		      kerr *e)
{
	struct job j = { 0 };
	struct kstore_sig *sigs = NULL;
	size_t nsig = 0;
	kerr fetch_err = { 0 };
	int rc = -1;
	struct kreg_manifest m;
	_cleanup_free_ const char **diff_ids = NULL;
	if (kreg_manifest_parse(man, mdigest, &m, e) < 0)
		return -1;
	const char *cdigest = m.config.digest;
	size_t nl = m.nlayers;
	/* the config: from the store, or the registry */
	_cleanup_free_ char *cbuf = NULL;
	size_t clen;
	_cleanup_json_ json_object *cfg = NULL;
	if (kstore_has_blob(s, cdigest) ? kstore_blob_read(s, cdigest, CONFIG_MAX, &cbuf, &clen, e)
					: get_small_blob(r, cdigest, m.config.size, &cbuf, &clen, e)) {
		kerr_wrap(e, "config");
		goto out;
	}
	if (!(cfg = kj_parse("config", cbuf, clen, e))) {
		kerr_wrap(e, "%s", cdigest);
		goto out;
	}
	if (kreg_config_check(cfg, &m, pf, &diff_ids, e) < 0)
		goto out;
	/* the trust policy, before a layer is fetched: the platform manifest's
	 * signatures, else (cosign signing a multi-platform tag signs its
	 * index) the index's: the index names this manifest by digest, and
	 * the manifest was checked against that digest */
	if (kreg_get_signatures(r, mdigest, &sigs, &nsig, &fetch_err) < 0)
		nsig = 0;
	if (check_trust(o, r, ref->name, mdigest, sigs, nsig, &fetch_err, e) < 0) {
		if (!idigest)
			goto out;
		struct kstore_sig *isigs = NULL;
		size_t nis = 0;
		kerr ife = { 0 }, ie = { 0 };
		if (kreg_get_signatures(r, idigest, &isigs, &nis, &ife) < 0)
			nis = 0;
		int ok = nis > 0 && check_trust(o, r, ref->name, idigest, isigs, nis, &ife, &ie) == 0;
		kstore_sigs_free(isigs, nis);
		if (!ok) {
			if (nis > 0)
				kerr_msg(e, EPERM, "%.900s; the index's signatures: %.900s", e->msg, ie.msg);
			goto out;
		}
		kerr_clear(e);
	}
	if (!(j.rec.id = strdup(cdigest)) || !(j.rec.manifest = strdup(mdigest)) ||
	    !(j.rec.layers = calloc(nl, sizeof(*j.rec.layers))) || !(j.dl = calloc(nl, sizeof(*j.dl)))) {
		kerr_set(e, ENOMEM, "pull");
		goto out;
	}
	const char *created = kj_get_str(cfg, "created");
	j.rec.created = created ? strdup(created) : NULL;
	if (add_blob(&j, cdigest, e) < 0 || add_blob(&j, mdigest, e) < 0)
		goto out;
	struct kstore_image *have = kstore_find_image(s, cdigest);
	for (size_t i = 0; i < nl; i++) {
		const char *mt = m.layers[i].media_type, *ld = m.layers[i].digest, *diff = diff_ids[i];
		int64_t lsize = m.layers[i].size;
		struct kstore_layer *sl = &j.rec.layers[j.rec.nlayers++];
		if (!(sl->digest = strdup(ld)) || !(sl->diff_id = strdup(diff)) || !(sl->media_type = strdup(mt))) {
			kerr_set(e, ENOMEM, "pull");
			goto out;
		}
		sl->size = lsize;
		size_t before = j.nblobs;
		if (add_blob(&j, ld, e) < 0)
			goto out;
		if (j.nblobs == before)
			continue; /* the same blob twice */
		if (have || kstore_has_blob(s, ld)) {
			emit(o, KREG_EV_EXISTS, ld, lsize, lsize);
			continue;
		}
		struct dl *d = &j.dl[j.ndl++];
		d->digest = j.digests[j.nblobs - 1];
		d->size = lsize;
		d->w.fd = -1; /* its temp file is made when the transfer starts */
		emit(o, KREG_EV_WAITING, ld, 0, lsize);
	}
	struct pull pl = { .s = s, .r = r, .o = o, .dl = j.dl, .ndl = j.ndl, .e = e };
	if (download(&pl) < 0)
		goto out;
	for (size_t i = 0; i < j.ndl; i++)
		for (size_t k = 0; k < j.nblobs; k++)
			if (!strcmp(j.digests[k], j.dl[i].digest)) {
				memcpy(j.tmp[k], j.dl[i].w.tmp, 64);
				j.dl[i].w.tmp[0] = '\0';
			}
	if (stage_buffer(s, cdigest, cbuf, clen, j.tmp[0], e) < 0 ||
	    stage_buffer(s, mdigest, body->body, body->len, j.tmp[1], e) < 0)
		goto out;
	struct kstore_pulled p = { &j.rec, j.digests, j.tmp, j.nblobs, ref->name };
	rc = kstore_pull_commit(s, &p, out, e);
	/* the signatures kept with it: those that claim this manifest */
	for (size_t i = 0; rc == 0 && i < nsig; i++)
		if (kcosign_claims(&sigs[i], mdigest) &&
		    kstore_sig_add(s, mdigest, sigs[i].payload, sigs[i].payload_len, sigs[i].signature, e) < 0)
			rc = kerr_wrap(e, "keep the signatures of %s", mdigest);
out:
	kstore_sigs_free(sigs, nsig);
	job_free(s, &j);
	kreg_manifest_clear(&m);
	return rc;
}

int kreg_pull(struct kstore *s, const char *refs, const struct kreg_opts *o, const struct kstore_image **out,
	      char digest[72], kerr *e)
{
	struct kreg_ref ref;
	struct kreg_platform pf;
	struct kreg r;
	const struct kstore_image *img = NULL;
	if (kreg_ref_parse(refs, &ref, e) < 0 || kreg_platform_parse(o->platform, &pf, e) < 0) {
		kreg_ref_clear(&ref);
		return kerr_wrap(e, "pull %s", refs);
	}
	if (kreg_open(&r, ref.registry, ref.repo, o, 0, e) < 0) {
		kreg_ref_clear(&ref);
		return kerr_wrap(e, "pull %s", refs);
	}
	struct kreg_resp p = { 0 };
	_cleanup_json_ json_object *doc = NULL;
	char mdigest[KSHA256_DIGEST], mt[128], idigest[KSHA256_DIGEST] = "";
	int rc = get_manifest(&r, ref.digest ? ref.digest : ref.tag, ref.digest, &p, mdigest, &doc, mt, sizeof(mt), e);
	if (rc == 0 &&
	    (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST) || (!*mt && kj_get(doc, "manifests")))) {
		const char *child;
		int64_t csize;
		if ((rc = kreg_pick_platform(doc, &pf, &child, &csize, e)) == 0) {
			_cleanup_free_ char *want = strdup(child);
			memcpy(idigest, mdigest, sizeof(idigest));
			json_object_put(steal_ptr(doc));
			kreg_resp_clear(&p);
			rc = want ? get_manifest(&r, want, want, &p, mdigest, &doc, mt, sizeof(mt), e)
				  : kerr_set(e, ENOMEM, "pull");
			if (rc == 0 && (int64_t)p.len != csize)
				rc = kerr_msg(e, EINVAL,
					      "manifest %s: size mismatch: the index says %lld bytes, got %zu", want,
					      (long long)csize, p.len);
		}
	}
	if (rc == 0 && strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST) && (*mt || !kj_get(doc, "layers")))
		rc = kerr_msg(e, EINVAL, "manifest %s: media type \"%.100s\" is not an image manifest kapsel reads",
			      mdigest, mt);
	if (rc == 0) {
		emit(o, KREG_EV_RESOLVED, mdigest, 0, 0);
		rc = pull_image(s, &r, &ref, doc, mdigest, *idigest ? idigest : NULL, &p, o,
				o->platform && *o->platform ? &pf : NULL, &img, e);
	}
	kreg_resp_clear(&p);
	kreg_close(&r);
	kreg_ref_clear(&ref);
	if (rc < 0)
		return kerr_wrap(e, "pull %s", refs);
	if (out)
		*out = img;
	if (digest)
		snprintf(digest, 72, "%s", mdigest);
	return 0;
}
