// SPDX-License-Identifier: MIT
/*
 * The AML encoders of src/arch/x86/acpi_aml.c on their own: the byte
 * buffer's sticky failure, integer encodings, PkgLength at the boundaries
 * of its one-, two- and three-byte forms (ACPI 6.4 §20.2.4), Package,
 * EISAID and a Device with a resource template as the DSDT writes them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "acpi_aml.h"
#include "unit.h"

static void expect(struct abuf *b, const uint8_t *want, size_t n)
{
	assert_false(b->failed);
	assert_int_equal(b->len, n);
	assert_memory_equal(b->data, want, n);
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static void test_integer_shortest_encoding(void **state)
{
	struct abuf b = { 0 };
	static const uint8_t want[] = {
		0x00, /* ZeroOp */
		0x01, /* OneOp */
		0x0a, 0x02, /* BytePrefix */
		0x0a, 0xff,
		0x0b, 0x00, 0x01, /* WordPrefix */
		0x0c, 0x00, 0x00, 0x01, 0x00, /* DWordPrefix */
		0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	};

	(void)state;
	aml_integer(&b, 0);
	aml_integer(&b, 1);
	aml_integer(&b, 2);
	aml_integer(&b, 0xff);
	aml_integer(&b, 0x100);
	aml_integer(&b, 0x10000);
	aml_integer(&b, 0x100000000ull);
	expect(&b, want, sizeof(want));
}

/* Scope(ABCD) with `filler` bytes inside: returns the PkgLength bytes. */
static size_t scope_pkglength(size_t filler, uint8_t *enc)
{
	struct abuf b = { 0 };
	size_t at, n;

	at = aml_scope_open(&b, "ABCD");
	abuf_put(&b, NULL, filler);
	aml_close(&b, at);
	assert_false(b.failed);
	assert_int_equal(at, 1);
	assert_int_equal(b.data[0], AML_SCOPE);
	n = b.len - 1 - 4 - filler;
	assert_true(n >= 1 && n <= 4);
	memcpy(enc, b.data + 1, n);
	/* The name follows the length. */
	assert_memory_equal(b.data + 1 + n, "ABCD", 4);
	free(b.data);
	return n;
}

static void test_pkglength_forms(void **state)
{
	uint8_t e[4];

	(void)state;
	/* Body 4 + 58 bytes, with its own byte 63: the one-byte form. */
	assert_int_equal(scope_pkglength(58, e), 1);
	assert_int_equal(e[0], 63);
	/* One more: two bytes, 4 + 59 + 2 = 65 = 0x041. */
	assert_int_equal(scope_pkglength(59, e), 2);
	assert_int_equal(e[0], 0x41);
	assert_int_equal(e[1], 0x04);
	/* 4 + 4089 + 2 = 4095: the largest two-byte length. */
	assert_int_equal(scope_pkglength(4089, e), 2);
	assert_int_equal(e[0], 0x4f);
	assert_int_equal(e[1], 0xff);
	/* 4 + 4090 + 3 = 4097: three bytes. */
	assert_int_equal(scope_pkglength(4090, e), 3);
	assert_int_equal(e[0], 0x81);
	assert_int_equal(e[1], 0x00);
	assert_int_equal(e[2], 0x01);
}

static void test_package_and_names(void **state)
{
	struct abuf b = { 0 };
	size_t pkg;
	static const uint8_t want[] = {
		0x08, '\\', '_', 'S', '5', '_', /* Name(\_S5_, */
		0x12, 0x08, 0x04, /* Package, PkgLength 8, 4 elements */
		0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
		0x08, '_', 'U', 'I', 'D', 0x0a, 0x07, /* Name(_UID, 7) */
		0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N', 'R', 'O', '0', '0',
		'0', '5', 0x00, /* Name(_HID, "LNRO0005") */
	};

	(void)state;
	abuf_int(&b, AML_NAME, 1);
	aml_name(&b, "\\_S5_");
	pkg = aml_package_open(&b, 4);
	aml_integer(&b, 5);
	aml_integer(&b, 5);
	aml_integer(&b, 0);
	aml_integer(&b, 0);
	aml_close(&b, pkg);
	aml_name_integer(&b, "_UID", 7);
	aml_name_string(&b, "_HID", "LNRO0005");
	expect(&b, want, sizeof(want));
}

static void test_device_with_eisaid_and_crs(void **state)
{
	struct abuf b = { 0 };
	static const uint8_t crs[] = { RES_IO(0x60, 1), RES_IRQ_NOFLAGS(1),
				       RES_END };
	static const uint8_t want[] = {
		0x5b, 0x82, 0x25, 'K', 'B', 'D', '_', /* Device(KBD_) */
		0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x03, 0x03,
		0x08, '_', 'C', 'R', 'S', 0x11, 0x10, 0x0a, 0x0d, /* Buffer */
		0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01, /* IO */
		0x22, 0x02, 0x00, /* IRQNoFlags {1} */
		0x79, 0x00, /* EndTag */
	};
	size_t dev;

	(void)state;
	dev = aml_device_open(&b, "KBD_");
	/* EISAID("PNP0303") is 0x0303d041 (as iasl compiles it). */
	aml_name_eisaid(&b, "_HID", "PNP0303");
	aml_name_crs(&b, crs, sizeof(crs));
	aml_close(&b, dev);
	expect(&b, want, sizeof(want));
}

static void test_failure_sticks(void **state)
{
	struct abuf b = { 0 };

	(void)state;
	abuf_int(&b, 0x1234, 2);
	abuf_set(&b, 1, 0xff, 2); /* past the end: fails */
	assert_true(b.failed);
	abuf_put(&b, "x", 1);
	assert_int_equal(b.len, 2);
	free(b.data);
	memset(&b, 0, sizeof(b));
	assert_false(abuf_grow(&b, ABUF_MAX + 1ull));
	assert_true(b.failed);
	assert_null(b.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integer_shortest_encoding),
		cmocka_unit_test(test_pkglength_forms),
		cmocka_unit_test(test_package_and_names),
		cmocka_unit_test(test_device_with_eisaid_and_crs),
		cmocka_unit_test(test_failure_sticks),
	};

	return cmocka_run_group_tests_name("acpi_aml", tests, NULL, NULL);
}
