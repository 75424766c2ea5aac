/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fake guest memory for the vtd-dmar unit tests: see dmar-fake-mem.h.
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "dmar-fake-mem.h"

#define FAKE_MEM_MAGIC      0xfa4e3e30u

void fake_mem_init(FakeMem *m)
{
    memset(m, 0, sizeof(*m));
    m->magic = FAKE_MEM_MAGIC;
    m->pages = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                     g_free, g_free);
    m->pool_next = FAKE_POOL_BASE;
    m->pool_limit = FAKE_POOL_LIMIT;
    m->win_hi = UINT64_MAX;
    m->writes = g_array_new(false, false, sizeof(FakeMemWrite));
}

void fake_mem_destroy(FakeMem *m)
{
    g_hash_table_destroy(m->pages);
    g_array_free(m->writes, true);
    m->magic = 0;
}

static FakeMem *fake_of(void *opaque)
{
    FakeMem *m = opaque;

    g_assert_cmphex(m->magic, ==, FAKE_MEM_MAGIC);
    return m;
}

const DmarMemOps fake_mem_ops = {
    .read = fake_read,
    .write = fake_write,
    .cmpxchg64 = fake_cmpxchg64,
};

static const void *fake_map(void *opaque, uint64_t gpa, size_t len)
{
    FakeMem *m = fake_of(opaque);
    uint8_t *page;

    if (len > FAKE_PAGE_SIZE - (gpa & FAKE_PAGE_MASK) ||
        !fake_backed(m, gpa, len)) {
        return NULL;
    }
    page = fake_page(m, gpa, false);
    m->maps++;
    return page + (gpa & FAKE_PAGE_MASK);
}

const DmarMemOps fake_mem_map_ops = {
    .read = fake_read,
    .write = fake_write,
    .cmpxchg64 = fake_cmpxchg64,
    .map = fake_map,
};

DmarMem fake_mem(FakeMem *m)
{
    return (DmarMem) { .ops = &fake_mem_ops, .opaque = m };
}

uint8_t *fake_page(FakeMem *m, uint64_t gpa, bool create)
{
    uint64_t key = gpa & ~FAKE_PAGE_MASK;
    uint8_t *page;

    /* Walks read one page many times in a row: remember the last one. */
    if (m->last_page && m->last_key == key) {
        return m->last_page;
    }
    page = g_hash_table_lookup(m->pages, &key);
    if (!page && create) {
        uint64_t *k = g_new(uint64_t, 1);

        *k = key;
        page = g_malloc0(FAKE_PAGE_SIZE);
        g_hash_table_insert(m->pages, k, page);
    }
    if (page) {
        m->last_key = key;
        m->last_page = page;
    }
    return page;
}

void fake_back(FakeMem *m, uint64_t gpa, uint64_t len)
{
    uint64_t last = gpa + len - 1;

    g_assert(len && last >= gpa);
    for (uint64_t p = gpa & ~FAKE_PAGE_MASK; ; p += FAKE_PAGE_SIZE) {
        fake_page(m, p, true);
        if (p >= (last & ~FAKE_PAGE_MASK)) {
            break;
        }
    }
}

void fake_unback(FakeMem *m, uint64_t gpa)
{
    uint64_t key = gpa & ~FAKE_PAGE_MASK;

    if (m->last_key == key) {
        m->last_page = NULL;
    }
    g_hash_table_remove(m->pages, &key);
}

void fake_add_hole(FakeMem *m, uint64_t first, uint64_t last)
{
    g_assert_cmpuint(m->nholes, <, FAKE_MAX_HOLES);
    g_assert_cmphex(first, <=, last);
    m->holes[m->nholes].first = first;
    m->holes[m->nholes].last = last;
    m->nholes++;
}

bool fake_backed(FakeMem *m, uint64_t gpa, size_t len)
{
    uint64_t last;

    if (len == 0) {
        return true;
    }
    last = gpa + (len - 1);
    if (last < gpa) {
        return false;       /* wraps past 2^64 */
    }
    for (unsigned i = 0; i < m->nholes; i++) {
        if (gpa <= m->holes[i].last && last >= m->holes[i].first) {
            return false;
        }
    }
    for (uint64_t p = gpa & ~FAKE_PAGE_MASK; ; p += FAKE_PAGE_SIZE) {
        if (!fake_page(m, p, false)) {
            return false;
        }
        if (p >= (last & ~FAKE_PAGE_MASK)) {
            return true;
        }
    }
}

void fake_set_window(FakeMem *m, uint64_t gpa, uint64_t len)
{
    m->win_lo = gpa;
    m->win_hi = gpa + len;
    m->reads = 0;
    m->stray_reads = 0;
    m->write_calls = 0;
    m->cas_calls = 0;
}

/* Copy between BUF and backed memory at GPA (backing it with TO_MEM). */
static void fake_copy(FakeMem *m, uint64_t gpa, void *buf, size_t len,
                      bool to_mem)
{
    uint8_t *b = buf;

    while (len > 0) {
        uint64_t off = gpa & FAKE_PAGE_MASK;
        size_t n = MIN(len, FAKE_PAGE_SIZE - off);
        uint8_t *page = fake_page(m, gpa, to_mem);

        g_assert(page);
        if (to_mem) {
            memcpy(page + off, b, n);
        } else {
            memcpy(b, page + off, n);
        }
        gpa += n;
        b += n;
        len -= n;
    }
}

bool fake_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    FakeMem *m = fake_of(opaque);
    uint64_t off = gpa & FAKE_PAGE_MASK;
    uint8_t *page;

    m->reads++;
    if (gpa < m->win_lo || gpa + len > m->win_hi || gpa + len < gpa) {
        m->stray_reads++;
    }
    /* Fast path: within one backed page, no holes. */
    if (!m->nholes && len <= FAKE_PAGE_SIZE - off) {
        page = fake_page(m, gpa, false);
        if (page) {
            memcpy(buf, page + off, len);
            return true;
        }
    }
    if (!fake_backed(m, gpa, len)) {
        memset(buf, 0xff, len);
        return false;
    }
    fake_copy(m, gpa, buf, len, false);
    return true;
}

static void log_write(FakeMem *m, uint64_t gpa, const void *buf, size_t len)
{
    FakeMemWrite w = { .gpa = gpa, .len = len };

    memcpy(w.data, buf, MIN(len, sizeof(w.data)));
    g_array_append_val(m->writes, w);
}

bool fake_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
    FakeMem *m = fake_of(opaque);

    m->write_calls++;
    if (!fake_backed(m, gpa, len)) {
        return false;
    }
    fake_copy(m, gpa, (void *)buf, len, true);
    log_write(m, gpa, buf, len);
    return true;
}

DmarCasResult fake_cmpxchg64(void *opaque, uint64_t gpa, uint64_t *expected,
                             uint64_t desired)
{
    FakeMem *m = fake_of(opaque);
    uint8_t raw[8];
    uint64_t old;

    m->cas_calls++;
    if ((gpa & 7) || !fake_backed(m, gpa, 8)) {
        return DMAR_CAS_ERROR;
    }
    fake_copy(m, gpa, raw, 8, false);
    old = ldq_le_p(raw);
    if (old != *expected) {
        *expected = old;
        return DMAR_CAS_CHANGED;
    }
    stq_le_p(raw, desired);
    fake_copy(m, gpa, raw, 8, true);
    log_write(m, gpa, raw, 8);
    return DMAR_CAS_OK;
}

void fake_poke(FakeMem *m, uint64_t gpa, const void *buf, size_t len)
{
    g_assert(len == 0 || gpa + (len - 1) >= gpa);
    fake_copy(m, gpa, (void *)buf, len, true);
}

void fake_peek(FakeMem *m, uint64_t gpa, void *buf, size_t len)
{
    g_assert(len == 0 || gpa + (len - 1) >= gpa);
    fake_copy(m, gpa, buf, len, false);
}

void fake_poke64(FakeMem *m, uint64_t gpa, uint64_t val)
{
    g_assert((gpa & 7) == 0);
    stq_le_p(fake_page(m, gpa, true) + (gpa & FAKE_PAGE_MASK), val);
}

uint64_t fake_peek64(FakeMem *m, uint64_t gpa)
{
    uint8_t *page = fake_page(m, gpa, false);

    g_assert((gpa & 7) == 0);
    g_assert(page);
    return ldq_le_p(page + (gpa & FAKE_PAGE_MASK));
}

uint32_t fake_peek32(FakeMem *m, uint64_t gpa)
{
    uint8_t *page = fake_page(m, gpa, false);

    g_assert((gpa & 3) == 0);
    g_assert(page);
    return ldl_le_p(page + (gpa & FAKE_PAGE_MASK));
}

void fake_or64(FakeMem *m, uint64_t gpa, uint64_t bits)
{
    fake_poke64(m, gpa, fake_peek64(m, gpa) | bits);
}

uint64_t fake_alloc_table(FakeMem *m)
{
    uint64_t gpa;

    if (m->pool_no_2m && !(m->pool_next & (0x200000ull - 1))) {
        m->pool_next += FAKE_PAGE_SIZE;
    }
    gpa = m->pool_next;
    m->pool_next += FAKE_PAGE_SIZE;
    g_assert_cmphex(m->pool_next, <=, m->pool_limit);
    fake_page(m, gpa, true);
    return gpa;
}
