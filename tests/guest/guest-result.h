/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the guest-side test programs (vtdtool.c, nested.c) print for
 * tests/guest/run.py: one "VTD: RESULT <check> PASS|FAIL <detail>" line
 * per check, and the count of failures for their exit status.
 */
#ifndef TESTS_GUEST_GUEST_RESULT_H
#define TESTS_GUEST_GUEST_RESULT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int failures;

static void result(const char *check, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void result(const char *check, bool ok, const char *fmt, ...)
{
    va_list ap;

    printf("VTD: RESULT %s %s ", check, ok ? "PASS" : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    failures += !ok;
}

#endif
