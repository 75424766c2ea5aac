/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Side by side: the same spec-level checks against vtd-dmar and against
 * QEMU's own intel-iommu, both QEMU 10.0's (this binary) and QEMU 11.1's
 * (the binary named by VTD_DMAR_REF_QEMU, see scripts/fetch-qemu-ref).
 *
 * Each check asserts only what the VT-d specification fixes, so it holds
 * for any conforming unit: where a model is free to choose (the fault
 * recording registers' offset, their number), the check reads the
 * model's own CAP instead of a constant. A check a model is known to fail
 * is skipped for that model with the reason.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"

typedef struct Peer {
    const char *name;   /* in the test path */
    bool ref;           /* on the reference binary, not the one under test */
    const char *device; /* -device argument */
    const char *no_wide_writes; /* why 8-byte writes are skipped, or NULL */
} Peer;

static const Peer peers[] = {
    { "vtd-dmar", false, "vtd-dmar", NULL },
    { "intel-iommu-10.0", false, "intel-iommu",
      "QEMU 10.0's intel-iommu asserts on them (assert(size == 4) in "
      "vtd_mem_write); QEMU 11.1 fixed it" },
    { "intel-iommu-11.1", true, "intel-iommu", NULL },
};

/* A unit of PEER with edu at 00:04.0, or NULL (test skipped) */
static QDmar *peer_boot(const Peer *p)
{
    g_autofree char *args = NULL;

    if (p->ref && !dmar_have_ref_qemu()) {
        return NULL;
    }
    args = g_strdup_printf("-M q35 -device %s %s", p->device,
                           dmar_edu_args(false));
    return dmar_attach(qtest_init_with_env(p->ref ? "VTD_DMAR_REF_QEMU"
                                                  : "QTEST_QEMU_BINARY",
                                           args, true));
}

/* Fault recording register I, at the model's own CAP.FRO */
static unsigned frcd(QDmar *d, unsigned i)
{
    return ((dmar_rd64(d, REG_CAP) >> 24) & 0x3ff) * 16 + 16 * i;
}

/* Bytes of the register file the model declares: FRCDs and IOTLB regs */
static unsigned reg_span(QDmar *d)
{
    uint64_t cap = dmar_rd64(d, REG_CAP), ecap = dmar_rd64(d, REG_ECAP);
    unsigned nfr = ((cap >> 40) & 0xff) + 1;
    unsigned iro = ((ecap >> 8) & 0x3ff) * 16;

    return MAX(frcd(d, nfr), iro + 16);
}

/* CAP and ECAP describe a unit a driver can use (VT-d §11.4.2, §11.4.3) */
static void test_caps(const void *opaque)
{
    QDmar *d = peer_boot(opaque);
    uint64_t cap, ecap;

    if (!d) {
        return;
    }
    cap = dmar_rd64(d, REG_CAP);
    ecap = dmar_rd64(d, REG_ECAP);
    g_assert_cmpuint((cap >> 16) & 0x3f, ==, 48 - 1);   /* MGAW, aw-bits */
    g_assert_cmphex((cap >> 8) & 0x1f, &, 1u << 2);     /* 4-level tables */
    g_assert_cmpuint(reg_span(d), <=, 0x1000);
    g_assert_cmphex(ecap & ECAP_QI, ==, ECAP_QI);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, 0);
    dmar_free(d);
}

/* A root table pointer is latched by SRTP and reported by GSTS.RTPS */
static void test_srtp(const void *opaque)
{
    QDmar *d = peer_boot(opaque);

    if (!d) {
        return;
    }
    dmar_wr64(d, REG_RTADDR, ROOT_TABLE);
    dmar_wr32(d, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS) & GSTS_RTPS, ==, GSTS_RTPS);
    g_assert_cmphex(dmar_rd64(d, REG_RTADDR), ==, ROOT_TABLE);
    dmar_free(d);
}

/* A system reset brings back every register as it was at power-on */
static void test_reset_identity(const void *opaque)
{
    QDmar *d = peer_boot(opaque);
    g_autofree uint32_t *before = NULL, *after = NULL;
    unsigned words;

    if (!d) {
        return;
    }
    words = reg_span(d) / 4;
    before = g_new(uint32_t, words);
    after = g_new(uint32_t, words);
    for (unsigned i = 0; i < words; i++) {
        before[i] = dmar_rd32(d, i * 4);
    }
    dmar_tables_init(d, 4, 0);
    dmar_enable(d, ROOT_TABLE);
    dmar_wr32(d, REG_FECTL, 0);
    qtest_system_reset(d->qts);
    for (unsigned i = 0; i < words; i++) {
        after[i] = dmar_rd32(d, i * 4);
        if (after[i] != before[i]) {
            g_test_message("register 0x%x: 0x%08x after reset, 0x%08x "
                           "before", i * 4, after[i], before[i]);
        }
    }
    g_assert_cmpmem(before, words * 4, after, words * 4);
    dmar_free(d);
}

/* DMA through a 4-level table reaches the mapped pages, and only them */
static void test_translate(const void *opaque)
{
    QDmar *d = peer_boot(opaque);

    if (!d) {
        return;
    }
    dmar_tables_init(d, 4, 0);
    dmar_map(d, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(d, IOVA_B, PAGE_P2, 1, PTE_RW);
    dmar_fill(d, PAGE_P1, 7);
    dmar_zero(d, PAGE_P2);
    dmar_enable(d, ROOT_TABLE);
    dmar_copy(d, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(d, PAGE_P2, 7));
    /* the IOVA itself, untranslated, was not touched */
    g_assert_false(dmar_holds(d, IOVA_B, 7));
    dmar_free(d);
}

/*
 * A DMA whose bus has no root entry is blocked and recorded: reason 1,
 * the requester, the page, a read (VT-d §7.1.3, §11.4.14).
 */
static void test_fault_record(const void *opaque)
{
    QDmar *d = peer_boot(opaque);
    uint64_t hi;
    unsigned fri;

    if (!d) {
        return;
    }
    qtest_memset(d->qts, ROOT_TABLE, 0, 0x1000);
    dmar_fill(d, IOVA_A, 3);
    qtest_memset(d->qts, EDU_BUF, 0, XFER);
    dmar_enable(d, ROOT_TABLE);
    dmar_dma_in(d, IOVA_A);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS) & FSTS_PPF, ==, FSTS_PPF);
    fri = (dmar_rd32(d, REG_FSTS) >> 8) & 0xff;
    hi = dmar_rd64(d, frcd(d, fri) + 8);
    g_assert_cmphex(dmar_rd64(d, frcd(d, fri)), ==, IOVA_A);
    g_assert_cmphex(hi & FRCD_F, ==, FRCD_F);
    g_assert_cmphex(hi & FRCD_T1, ==, FRCD_T1);      /* a read */
    g_assert_cmphex((hi >> 32) & 0xff, ==, 1);        /* root not present */
    g_assert_cmphex(hi & 0xffff, ==, EDU_SID);
    dmar_free(d);
}

/* 8-byte accesses to 32-bit registers end neither QEMU nor the unit */
static void test_wide_writes(const void *opaque)
{
    const Peer *p = opaque;
    static const unsigned offs[] = {
        REG_FECTL, REG_FEDATA, REG_FEADDR, REG_IECTL, REG_IEDATA, REG_IEADDR,
    };
    QDmar *d;

    if (p->no_wide_writes) {
        g_test_skip(p->no_wide_writes);
        return;
    }
    d = peer_boot(p);
    if (!d) {
        return;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(offs); i++) {
        dmar_wr64(d, offs[i], ~0ull);
        g_assert_cmphex(dmar_rd64(d, REG_CAP), !=, 0);
    }
    dmar_free(d);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(const void *);
    } checks[] = {
        { "caps", test_caps },
        { "srtp", test_srtp },
        { "reset-identity", test_reset_identity },
        { "translate", test_translate },
        { "fault-record", test_fault_record },
        { "wide-writes", test_wide_writes },
    };

    g_test_init(&argc, &argv, NULL);
    for (unsigned p = 0; p < ARRAY_SIZE(peers); p++) {
        for (unsigned c = 0; c < ARRAY_SIZE(checks); c++) {
            g_autofree char *path = g_strdup_printf(
                "/vtd-peer/%s/%s", peers[p].name, checks[c].name);

            qtest_add_data_func(path, &peers[p], checks[c].fn);
        }
    }
    return g_test_run();
}
