/* common/sha256, both engines (built-in and libcrypto): the FIPS 180-2
 * example vectors (one-shot and streamed in pieces of every size), the
 * lengths around the padding boundary, and the "sha256:<hex>" digest
 * strings the image reader and store verify. */
#include "common/sha256.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const struct {
	const char *in;
	const char *want;
} vectors[] = {
	{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
};

static int bulk;   /* the engine under test: 0 built-in, 1 libcrypto */

static void start(struct ksha256 *s)
{
	kerr e;
	if (bulk)
		assert_int_equal(ksha256_init_bulk(s, &e), 0);
	else
		ksha256_init(s);
}

static void hex_of(const void *data, size_t len, char out[KSHA256_HEX])
{
	uint8_t sum[KSHA256_LEN];
	struct ksha256 s;
	start(&s);
	ksha256_update(&s, data, len);
	ksha256_final(&s, sum);
	ksha256_hex(sum, out);
	if (!bulk) {   /* the one-shot helper is the built-in engine */
		uint8_t one[KSHA256_LEN];
		ksha256(data, len, one);
		assert_memory_equal(one, sum, KSHA256_LEN);
	}
}

static void test_vectors(void **state)
{
	(void)state;
	char h[KSHA256_HEX];
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		hex_of(vectors[i].in, strlen(vectors[i].in), h);
		assert_string_equal(h, vectors[i].want);
	}
	/* one million 'a': many blocks */
	char *m = malloc(1000000);
	assert_non_null(m);
	memset(m, 'a', 1000000);
	hex_of(m, 1000000, h);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* the same million streamed in uneven pieces */
	struct ksha256 s;
	uint8_t sum[KSHA256_LEN];
	start(&s);
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 % 997 + 1)
		ksha256_update(&s, m + off, off + step > 1000000 ? 1000000 - off : step);
	ksha256_final(&s, sum);
	ksha256_hex(sum, h);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(m);
}

/* every split point of the 112-byte vector gives the one-shot digest */
static void test_streamed_splits(void **state)
{
	(void)state;
	const char *in = vectors[3].in;
	size_t n = strlen(in);
	char h[KSHA256_HEX];
	for (size_t cut = 0; cut <= n; cut++) {
		struct ksha256 s;
		uint8_t sum[KSHA256_LEN];
		start(&s);
		ksha256_update(&s, in, cut);
		ksha256_update(&s, in + cut, n - cut);
		ksha256_final(&s, sum);
		ksha256_hex(sum, h);
		assert_string_equal(h, vectors[3].want);
	}
}

static void test_padding_boundary(void **state)
{
	(void)state;
	static const char *const want[] = {
		"9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318", /* 55 'a' */
		"b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a", /* 56 'a' */
		"7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34", /* 63 'a' */
		"ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb", /* 64 'a' */
		"635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0", /* 65 'a' */
	};
	static const size_t lens[] = { 55, 56, 63, 64, 65 };
	char buf[65], h[KSHA256_HEX];
	memset(buf, 'a', sizeof(buf));
	for (size_t i = 0; i < 5; i++) {
		hex_of(buf, lens[i], h);
		assert_string_equal(h, want[i]);
	}
}

static void test_digest_strings(void **state)
{
	(void)state;
	uint8_t sum[KSHA256_LEN], parsed[KSHA256_LEN];
	char d[KSHA256_DIGEST];
	kerr e;
	ksha256("abc", 3, sum);
	ksha256_digest(sum, d);
	assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(ksha256_parse(d, parsed, "blob", &e), 0);
	assert_memory_equal(parsed, sum, KSHA256_LEN);
	assert_int_equal(ksha256_verify(d, sum, "blob", &e), 0);

	/* another content: a mismatch that names both digests */
	uint8_t other[KSHA256_LEN];
	ksha256("abd", 3, other);
	assert_int_equal(ksha256_verify(d, other, "layer 2", &e), -1);
	assert_non_null(strstr(e.msg, "layer 2: digest mismatch"));
	assert_non_null(strstr(e.msg, d));

	static const char *const bad[] = {
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",          /* no algorithm */
		"sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",   /* another one */
		"sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",   /* upper case */
		"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",    /* 63 digits */
		"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",  /* 65 digits */
		"sha256:../../../../etc/passwd",
		"sha256:",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ksha256_parse(bad[i], NULL, "config", &e), -1);
		assert_non_null(strstr(e.msg, "config: digest"));
		assert_int_equal(ksha256_verify(bad[i], sum, "config", &e), -1);
	}
	assert_int_equal(ksha256_parse(NULL, NULL, "config", &e), -1);
}

/* an abandoned stream is released (ASan's leak check runs this test) */
static void test_release(void **state)
{
	(void)state;
	struct ksha256 s;
	uint8_t sum[KSHA256_LEN];
	start(&s);
	ksha256_update(&s, "abc", 3);
	ksha256_release(&s);
	ksha256_release(&s);
	start(&s);
	ksha256_final(&s, sum);
	ksha256_release(&s);   /* after final: nothing left to release */
	char h[KSHA256_HEX];
	ksha256_hex(sum, h);
	assert_string_equal(h, vectors[0].want);
}

static int builtin(void **state)
{
	(void)state;
	bulk = 0;
	return 0;
}

static int libcrypto(void **state)
{
	(void)state;
	bulk = 1;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_vectors, builtin),
		cmocka_unit_test_setup(test_streamed_splits, builtin),
		cmocka_unit_test_setup(test_padding_boundary, builtin),
		cmocka_unit_test_setup(test_release, builtin),
		cmocka_unit_test_setup(test_vectors, libcrypto),
		cmocka_unit_test_setup(test_streamed_splits, libcrypto),
		cmocka_unit_test_setup(test_padding_boundary, libcrypto),
		cmocka_unit_test_setup(test_release, libcrypto),
		cmocka_unit_test(test_digest_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
