/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fake guest memory for the vtd-dmar unit tests: what the core and the
 * unit layer reach through DmarMem (dmar-core.h), without QEMU.
 *
 * Memory is sparse: 4 KiB pages, zeroed, that exist once a test backs
 * them (fake_page(m, gpa, true), a poke, or the table allocator). Any
 * access that touches a byte of an unbacked page, of a hole, or that
 * would wrap past 2^64 is an access error: the op fails and changes
 * nothing (all or nothing), and a failed read fills the buffer with ones
 * (so that code which used it anyway would see present entries full of
 * reserved bits).
 *
 *   FakeMem m;
 *   DmarMem mem;
 *
 *   fake_mem_init(&m);
 *   mem = fake_mem(&m);                    // pass &mem to the core
 *   table = fake_alloc_table(&m);          // a zeroed, backed page
 *   fake_poke64(&m, table + 8, pte);       // set up guest data
 *   ... dmar_translate(..., &mem, ...) ...
 *   g_assert_cmpuint(m.reads, ==, 3);      // what the code under test did
 *   fake_mem_destroy(&m);
 *
 * The counters and logs below are for tests to read and reset freely.
 */
#ifndef TESTS_UNIT_DMAR_FAKE_MEM_H
#define TESTS_UNIT_DMAR_FAKE_MEM_H

#include "dmar-core.h"

#define FAKE_PAGE_SIZE      4096ull
#define FAKE_PAGE_MASK      (FAKE_PAGE_SIZE - 1)
#define FAKE_MAX_HOLES      8
/* Where fake_alloc_table() hands out pages unless a test says otherwise */
#define FAKE_POOL_BASE      0x100000ull
#define FAKE_POOL_LIMIT     0x40000000ull

/* A successful write of at most 8 bytes, as the log keeps it. */
typedef struct FakeMemWrite {
    uint64_t gpa;
    size_t len;
    uint8_t data[8];
} FakeMemWrite;

typedef struct FakeMem {
    unsigned magic;         /* catches an opaque that is not a FakeMem */
    GHashTable *pages;      /* page-aligned gpa (uint64_t *) -> 4 KiB */
    uint64_t last_key;      /* the page fake_page() found last */
    uint8_t *last_page;
    /* Access errors even where pages are backed: [first, last] */
    struct {
        uint64_t first, last;
    } holes[FAKE_MAX_HOLES];
    unsigned nholes;
    /* Table allocator: next page, end of the pool (exclusive) */
    uint64_t pool_next;
    uint64_t pool_limit;
    bool pool_no_2m;        /* never hand out a 2 MiB aligned page */
    /* Accesses are expected in [win_lo, win_hi): others are strays */
    uint64_t win_lo;
    uint64_t win_hi;
    /* Op calls since init (or the last fake_set_window()), failed too */
    unsigned reads;
    unsigned stray_reads;
    unsigned write_calls;
    unsigned cas_calls;
    unsigned maps;          /* map() calls that gave a view */
    GArray *writes;         /* successful writes of <= 8 bytes */
} FakeMem;

/* Empty memory, no holes, the pool at FAKE_POOL_BASE, any window. */
void fake_mem_init(FakeMem *m);
void fake_mem_destroy(FakeMem *m);

/* The DmarMem for M, and the ops behind it. */
extern const DmarMemOps fake_mem_ops;
/*
 * The same, plus map(): a view of LEN bytes within one backed page with
 * no hole in it, in place (counted in FakeMem.maps); NULL otherwise.
 */
extern const DmarMemOps fake_mem_map_ops;
DmarMem fake_mem(FakeMem *m);

/* The ops themselves, callable directly (they count like any call). */
bool fake_read(void *opaque, uint64_t gpa, void *buf, size_t len);
bool fake_write(void *opaque, uint64_t gpa, const void *buf, size_t len);
/* 8-byte aligned only (else DMAR_CAS_ERROR); logged as a write on success */
DmarCasResult fake_cmpxchg64(void *opaque, uint64_t gpa, uint64_t *expected,
                             uint64_t desired);

/* The page holding GPA; with CREATE, backed (zeroed) if it was not. */
uint8_t *fake_page(FakeMem *m, uint64_t gpa, bool create);
/* Back every page of [GPA, GPA + LEN). */
void fake_back(FakeMem *m, uint64_t gpa, uint64_t len);
/* Drop the page holding GPA (its contents are lost). */
void fake_unback(FakeMem *m, uint64_t gpa);
/* Would an access to [GPA, GPA + LEN) succeed? (no counting) */
bool fake_backed(FakeMem *m, uint64_t gpa, size_t len);
/* Make [FIRST, LAST] an access error, backed or not. */
void fake_add_hole(FakeMem *m, uint64_t first, uint64_t last);
/* Expect accesses in [GPA, GPA + LEN) from now on; reset the counters. */
void fake_set_window(FakeMem *m, uint64_t gpa, uint64_t len);

/*
 * Test-side access, not counted, holes ignored. Pokes back the pages
 * they touch; peeks assert that the memory is backed.
 */
void fake_poke(FakeMem *m, uint64_t gpa, const void *buf, size_t len);
void fake_peek(FakeMem *m, uint64_t gpa, void *buf, size_t len);
void fake_poke64(FakeMem *m, uint64_t gpa, uint64_t val);
uint64_t fake_peek64(FakeMem *m, uint64_t gpa);
void fake_or64(FakeMem *m, uint64_t gpa, uint64_t bits);
uint32_t fake_peek32(FakeMem *m, uint64_t gpa);

/*
 * A zeroed, backed 4 KiB page from the pool (asserts the pool is not
 * exhausted). With pool_no_2m, never 2 MiB aligned.
 */
uint64_t fake_alloc_table(FakeMem *m);

#endif
