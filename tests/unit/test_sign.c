/* sign.h and trust.h: the payload cosign writes, an upstream signature
 * (containers/image's fixture) verifying and a flipped byte not, our own
 * sign/verify round trip, and the policy parser's errors. */
#include "common/fs.h"
#include "image/sign.h"
#include "image/trust.h"

#include <errno.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *fixture(const char *name, size_t *len)
{
	char path[4096];
	char *buf;
	kerr e = { 0 };
	snprintf(path, sizeof(path), "%s/tests/fixtures/trust/containers-image/%s", getenv("KAPSEL_SOURCE_ROOT"), name);
	assert_int_equal(kfs_read_file(path, &buf, len, &e), 0);
	return buf;
}

static void test_payload_shape(void **st)
{
	(void)st;
	kerr e = { 0 };
	char *p = ksign_payload("192.168.64.2:5000/test-repo-2100826901021538654/alpine",
				"sha256:fa93b01658e3a5a1686dc3ae55f170d8de487006fb53a28efcd12ab0710a2e5f", &e);
	size_t len;
	char *up = fixture("rekor-payload", &len);
	assert_non_null(p);
	assert_string_equal(p, up); /* byte for byte what cosign signed */
	struct ksign_claim c;
	assert_int_equal(ksign_payload_parse(up, len, "payload", &c, &e), 0);
	assert_string_equal(c.digest, "sha256:fa93b01658e3a5a1686dc3ae55f170d8de487006fb53a28efcd12ab0710a2e5f");
	ksign_claim_clear(&c);
	const char *wrong = "{\"critical\":{\"identity\":{\"docker-reference\":\"x\"},\"image\":{\"docker-manifest-"
			    "digest\":\"sha256:00\"},\"type\":\"cosign container image signature\"}}";
	assert_int_equal(ksign_payload_parse(wrong, strlen(wrong), "payload", &c, &e), -1);
	assert_non_null(strstr(e.msg, "docker-manifest-digest"));
	free(p);
	free(up);
}

static void test_upstream_signature(void **st)
{
	(void)st;
	kerr e = { 0 };
	size_t plen, slen, klen, olen;
	char *payload = fixture("rekor-payload", &plen), *sig = fixture("rekor-sig", &slen);
	char *pem = fixture("fulcio-cert.pub", &klen), *other = fixture("cosign.pub", &olen);
	ksign_key *k = ksign_public_key(pem, klen, "fulcio-cert.pub", &e), *o = ksign_public_key(other, olen, "o", &e);
	assert_non_null(k);
	assert_non_null(o);
	assert_int_equal(ksign_verify(k, payload, plen, sig, &e), 0);
	assert_int_equal(ksign_verify(o, payload, plen, sig, &e), -1); /* another key */
	assert_int_equal(e.errnum, EPERM);
	payload[40] ^= 1; /* a flipped byte */
	assert_int_equal(ksign_verify(k, payload, plen, sig, &e), -1);
	assert_int_equal(e.errnum, EPERM);
	payload[40] ^= 1;
	assert_int_equal(ksign_verify(k, payload, plen, "not base64!", &e), -1);
	assert_int_equal(e.errnum, EINVAL);
	ksign_key_free(k);
	ksign_key_free(o);
	free(payload);
	free(sig);
	free(pem);
	free(other);
}

static void test_round_trip(void **st)
{
	(void)st;
	kerr e = { 0 };
	EVP_PKEY *gen = EVP_EC_gen("P-256");
	BIO *b = BIO_new(BIO_s_mem());
	assert_true(PEM_write_bio_PrivateKey(b, gen, NULL, NULL, 0, NULL, NULL));
	char *pem;
	long n = BIO_get_mem_data(b, &pem);
	ksign_key *k = ksign_private_key(pem, (size_t)n, "k", &e);
	assert_non_null(k);
	const char *msg = "payload";
	char *sig = ksign_sign(k, msg, strlen(msg), &e);
	assert_non_null(sig);
	assert_int_equal(ksign_verify(k, msg, strlen(msg), sig, &e), 0);
	assert_int_equal(ksign_verify(k, "payloaD", 7, sig, &e), -1);
	free(sig);
	ksign_key_free(k);
	BIO_free(b);
	EVP_PKEY_free(gen);
	const char *enc = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nxx\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
	assert_null(ksign_private_key(enc, strlen(enc), "cosign.key", &e));
	assert_non_null(strstr(e.msg, "not supported"));
}

static void bad_policy(const char *text, const char *want)
{
	kerr e = { 0 };
	struct ktrust_policy *p;
	assert_int_equal(ktrust_parse("p.json", text, strlen(text), &p, &e), -1);
	if (!strstr(e.msg, want))
		fail_msg("%s: got \"%s\", want \"%s\"", text, e.msg, want);
}

static void test_policy_errors(void **st)
{
	(void)st;
	bad_policy("[]", "expected an object");
	bad_policy("{}", "default: expected a non-empty array");
	bad_policy("{\"default\":[{\"type\":\"nope\"}]}", "default[0].type: unknown requirement type");
	bad_policy("{\"default\":[{\"type\":\"signedBy\"}]}", "signedBy (GPG signatures) is not supported");
	bad_policy("{\"default\":[{\"type\":\"reject\",\"x\":1}]}", "default[0]: x: unknown field");
	bad_policy("{\"default\":[{\"type\":\"sigstoreSigned\"}]}", "exactly one of keyPath and keyData");
	bad_policy("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"busybox\":[{\"type\":\"reject\"}]}}}",
		   "transports.docker[\"busybox\"]: \"busybox\" does not start with a registry");
	bad_policy("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"*.x/y\":[{\"type\":\"reject\"}]}}}",
		   "wildcard");
	bad_policy("{\"default\":[{\"type\":\"reject\"}],\"frob\":1}", "frob: unknown field");
}

static void test_policy_scopes(void **st)
{
	(void)st;
	const char *text = "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
			   "\"docker.io/library/busybox\":[{\"type\":\"insecureAcceptAnything\"}],"
			   "\"reg.example/team/app:1\":[{\"type\":\"reject\"}],"
			   "\"reg.example/team\":[{\"type\":\"insecureAcceptAnything\"}],"
			   "\"*.example.com\":[{\"type\":\"insecureAcceptAnything\"}]}}}";
	kerr e = { 0 };
	struct ktrust_policy *p;
	char how[512];
	assert_int_equal(ktrust_parse("p.json", text, strlen(text), &p, &e), 0);
	assert_int_equal(ktrust_check(p, "busybox:latest", NULL, NULL, 0, how, sizeof(how), &e), 0);
	assert_non_null(strstr(how, "docker.io/library/busybox"));
	assert_int_equal(ktrust_check(p, "alpine:3", NULL, NULL, 0, how, sizeof(how), &e), -1);
	assert_non_null(strstr(e.msg, "default[0]: reject"));
	assert_int_equal(ktrust_check(p, "reg.example/team/app:2", NULL, NULL, 0, NULL, 0, &e), 0);
	assert_int_equal(ktrust_check(p, "reg.example/team/app:1", NULL, NULL, 0, NULL, 0, &e), -1);
	assert_int_equal(ktrust_check(p, "reg.example/teams/app:1", NULL, NULL, 0, NULL, 0, &e), -1);
	assert_int_equal(ktrust_check(p, "a.b.example.com/x:1", NULL, NULL, 0, NULL, 0, &e), 0);
	assert_int_equal(ktrust_check(p, "example.com/x:1", NULL, NULL, 0, NULL, 0, &e), -1);
	assert_int_equal(ktrust_check(p, NULL, NULL, NULL, 0, NULL, 0, &e), -1);
	ktrust_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_shape),   cmocka_unit_test(test_upstream_signature),
		cmocka_unit_test(test_round_trip),      cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_policy_scopes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
