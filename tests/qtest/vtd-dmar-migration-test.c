/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: migration. Registers, queued invalidation and
 * interrupt remapping carried to a new unit, and streams damaged on
 * purpose that the destination must refuse.
 * Plumbing in libqos/vtd-dmar.h; vtd-dmar-qtest.h says how the tests
 * work.
 */
#include "qemu/osdep.h"
#include "vtd-dmar-qtest.h"

/* ================= migration ================= */

/* Migrate SRC to a new machine with UNITS (-device vtd-dmar...) and edu */
static QDmar *dmar_migrate_units(QDmar *src, const char *units)
{
    g_autofree char *args = g_strdup_printf("%s %s", units,
                                            dmar_edu_args(false));
    QDmar *dst = dmar_migrate_to(src, args);

    g_assert_nonnull(dst);
    return dst;
}

/* Migrate SRC to a new unit with the default properties */
static QDmar *dmar_migrate(QDmar *src)
{
    return dmar_migrate_units(src, "-device vtd-dmar");
}

static void test_migration(void)
{
    QDmar *src = dmar_boot("");
    QDmar *dst;
    uint32_t before[SNAP_WORDS], after[SNAP_WORDS];

    dmar_tables_init(src, 4, 0);
    dmar_map(src, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(src, IOVA_B, PAGE_P2, 1, PTE_W);
    dmar_fill(src, PAGE_P1, 0x91);
    dmar_zero(src, PAGE_P2);
    dmar_wr32(src, REG_FEDATA, 0x1357);
    dmar_wr32(src, REG_FEADDR, FE_MSG);
    dmar_wr32(src, REG_FECTL, FECTL_IM);
    dmar_enable(src, ROOT_TABLE);
    dmar_dma_in(src, IOVA_C);                        /* FRCD[0], IP */
    dmar_wr64(src, REG_IVA, IOVA_A | IVA_AM(2));
    dmar_snapshot(src, before);
    g_assert_cmphex(before[REG_FECTL / 4], ==, FECTL_IM | FECTL_IP);

    dst = dmar_migrate(src);
    dmar_snapshot(dst, after);
    dmar_assert_same_regs(before, after);
    g_assert_cmphex(dmar_rd64(dst, REG_IVA), ==, IOVA_A | IVA_AM(2));

    /* the destination translates through the migrated tables */
    dmar_edu_attach(dst);
    dmar_copy(dst, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(dst, PAGE_P2, 0x91));
    /* the next fault goes to the next record; the event stays pending */
    dmar_dma_out(dst, IOVA_A);
    dmar_assert_frcd(dst, 1, IOVA_A, FR_WRITE, true);
    dmar_assert_frcd(dst, 0, IOVA_C, FR_READ, false);
    g_assert_cmphex(dmar_fsts(dst), ==, FSTS_PPF | FSTS_FRI(0));
    qtest_writel(dst->qts, FE_MSG, 0);
    dmar_wr32(dst, REG_FECTL, 0);
    g_assert_cmphex(qtest_readl(dst->qts, FE_MSG), ==, 0x1357);

    dmar_free(dst);
    dmar_free(src);
}

/* ---- scalable mode ---- */

#define SM_PROPS        "scalable-mode=on"
#define SM_TTM          (1ull << 10)        /* RTADDR.TTM 01b */
#define SM_FS_P         1ull
#define SM_FS_RW        2ull
#define SM_FS_US        4ull
#define SM_FS_A         (1ull << 5)
#define SM_FS_D         (1ull << 6)
#define SM_PGTT_FS      (1ull << 6)

/* Scalable-mode tables: edu's RID_PASID 0 on a 4-level first stage */
typedef struct SmTables {
    uint64_t fs;
    uint64_t leaf[2];       /* the 4 KiB entries of IOVA_A and IOVA_B */
} SmTables;

static uint64_t sm_fs_map(QDmar *d, uint64_t top, uint64_t iova, uint64_t pa,
                          uint64_t flags)
{
    uint64_t table = top, slot;

    for (unsigned l = 4; l > 1; l--) {
        uint64_t e;

        slot = table + ((iova >> (12 + 9 * (l - 1))) & 511) * 8;
        e = dmar_scn_r64(d, slot);
        if (!(e & SM_FS_P)) {
            e = dmar_table_new(d) | SM_FS_P | SM_FS_RW | SM_FS_US;
            dmar_scn_w64(d, slot, e);
        }
        table = e & 0x000ffffffffff000ull;
    }
    slot = table + ((iova >> 12) & 511) * 8;
    dmar_scn_w64(d, slot, pa | flags);
    return slot;
}

static void sm_tables(QDmar *d, SmTables *t)
{
    uint64_t ctx = dmar_table_new(d), dir = dmar_table_new(d);
    uint64_t ptbl = dmar_table_new(d);

    t->fs = dmar_table_new(d);
    qtest_memset(d->qts, ROOT_TABLE, 0, 0x1000);
    dmar_scn_w64(d, ROOT_TABLE, ctx | 1);           /* devfn 0-127 */
    dmar_scn_w64(d, ctx + EDU_DEVFN * 32ull, dir | 1);
    dmar_scn_w64(d, dir, ptbl | 1);
    dmar_scn_w64(d, ptbl, SM_PGTT_FS | 1);          /* PASID 0 */
    dmar_scn_w64(d, ptbl + 8, DOMAIN);
    dmar_scn_w64(d, ptbl + 16, t->fs);
    t->leaf[0] = sm_fs_map(d, t->fs, IOVA_A, PAGE_P1,
                           SM_FS_P | SM_FS_US);
    t->leaf[1] = sm_fs_map(d, t->fs, IOVA_B, PAGE_OUT,
                           SM_FS_P | SM_FS_RW | SM_FS_US);
}

/*
 * Scalable mode carried over: the destination walks the same first-stage
 * tables (A and D bits set there), and faults with scalable-mode reasons.
 */
static void test_sm_migration(void)
{
    QDmar *src = dmar_boot(SM_PROPS);
    QDmar *dst;
    SmTables t;
    uint32_t before[SNAP_WORDS], after[SNAP_WORDS];

    sm_tables(src, &t);
    dmar_fill(src, PAGE_P1, 0x71);
    dmar_zero(src, PAGE_OUT);
    dmar_enable(src, ROOT_TABLE | SM_TTM);
    g_assert_cmphex(dmar_rd64(src, REG_RTADDR), ==, ROOT_TABLE | SM_TTM);
    dmar_snapshot(src, before);

    dst = dmar_migrate_units(src, "-device vtd-dmar," SM_PROPS);
    dmar_snapshot(dst, after);
    dmar_assert_same_regs(before, after);
    dmar_edu_attach(dst);
    dmar_copy(dst, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(dst, PAGE_OUT, 0x71));
    g_assert_cmphex(dmar_scn_r64(dst, t.leaf[0]), ==,
                    PAGE_P1 | SM_FS_P | SM_FS_US | SM_FS_A);
    g_assert_cmphex(dmar_scn_r64(dst, t.leaf[1]), ==,
                    PAGE_OUT | SM_FS_P | SM_FS_RW | SM_FS_US | SM_FS_A |
                    SM_FS_D);
    /* a write to the read-only page: 85h, first stage */
    dmar_dma_out(dst, IOVA_A);
    dmar_assert_frcd(dst, 0, IOVA_A, 0x85, true);
    dmar_free(dst);
    dmar_free(src);
}

/* ---- queued invalidation ---- */

static void test_qi_migration(void)
{
    QDmar *src = dmar_boot("");
    QDmar *dst;
    uint32_t before[SNAP_WORDS], after[SNAP_WORDS];

    dmar_tables_init(src, 3, 0);
    dmar_map(src, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(src, IOVA_B, PAGE_OUT, 1, PTE_W);
    dmar_fill(src, PAGE_P1, 0xd1);
    dmar_fill(src, PAGE_P2, 0xd2);
    dmar_zero(src, PAGE_OUT);
    dmar_wr32(src, REG_IEDATA, 0x2468);
    dmar_wr32(src, REG_IEADDR, IE_MSG);
    dmar_wr32(src, REG_IEUADDR, 0);
    qtest_writel(src->qts, IE_MSG, 0);
    dmar_enable(src, ROOT_TABLE);
    dmar_qi_enable(src, IQ_BASE, 0);
    dmar_qi_sync(src);
    /* a completion event software has not serviced: IWC and IP */
    dmar_qi_wait_if(src);
    g_assert_cmphex(dmar_rd32(src, REG_ICS), ==, ICS_IWC);
    g_assert_cmphex(dmar_rd32(src, REG_IECTL), ==, IECTL_IM | IECTL_IP);
    dmar_snapshot(src, before);
    g_assert_cmphex(before[REG_GSTS / 4], ==,
                    GSTS_TES | GSTS_RTPS | GSTS_QIES);

    dst = dmar_migrate(src);
    dmar_snapshot(dst, after);
    dmar_assert_same_regs(before, after);
    dmar_edu_attach(dst);

    /* the queue goes on where it was, and invalidates */
    dmar_qi_sync(dst);
    g_assert_cmphex(dmar_rd64(dst, REG_IQH), ==, dmar_iq_off(3));
    dmar_copy(dst, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(dst, PAGE_OUT, 0xd1));
    dmar_map(dst, IOVA_A, PAGE_P2, 1, PTE_R);
    dmar_qi_iotlb(dst, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    dmar_qi_sync(dst);
    dmar_copy(dst, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(dst, PAGE_OUT, 0xd2));

    /* the pending event goes out when unmasked */
    g_assert_cmphex(ie_msg(dst), ==, 0);
    dmar_wr32(dst, REG_IECTL, 0);
    g_assert_cmphex(ie_msg(dst), ==, 0x2468);
    g_assert_cmphex(dmar_rd32(dst, REG_IECTL), ==, 0);
    /* serviced: the next completion is an event again */
    dmar_wr32(dst, REG_ICS, ICS_IWC);
    qtest_writel(dst->qts, IE_MSG, 0);
    dmar_qi_wait_if(dst);
    g_assert_cmphex(ie_msg(dst), ==, 0x2468);
    g_assert_cmphex(dmar_fsts(dst), ==, 0);

    dmar_free(dst);
    dmar_free(src);
}

/* ---- two units ---- */

#define TWO_UNITS "-device vtd-dmar,primary-bus=pcie.0 -device vtd-dmar"

/*
 * Two units: B claims pcie.0 (edu's bus), A covers the rest. Each unit's
 * registers and fault records reach its counterpart, not the other, and
 * edu's DMA still goes through B's tables. (The destination's command
 * line must list the units in the same order, as for any device.)
 */
static void test_two_units_migration(void)
{
    QDmar *b = dmar_attach(qtest_initf("-M q35 %s %s", TWO_UNITS,
                                       dmar_edu_args(false)));
    QDmar a = { .qts = b->qts, .base = DMAR_BASE };
    QDmar *db, da;
    uint32_t a0[SNAP_WORDS], b0[SNAP_WORDS], a1[SNAP_WORDS], b1[SNAP_WORDS];

    b->base = DMAR_UNIT(1);
    dmar_tables_init(b, 4, 0);
    dmar_map(b, IOVA_A, PAGE_P1, 1, PTE_R);
    dmar_map(b, IOVA_B, PAGE_P2, 1, PTE_W);
    dmar_fill(b, PAGE_P1, 0x5c);
    dmar_zero(b, PAGE_P2);
    dmar_wr32(b, REG_FEDATA, 0x1357);
    dmar_wr32(b, REG_FECTL, FECTL_IM);
    dmar_enable(b, ROOT_TABLE);
    dmar_dma_in(b, IOVA_C);                          /* B's FRCD[0] */
    dmar_wr32(&a, REG_FEDATA, 0x2468);
    dmar_wr32(&a, REG_FECTL, FECTL_IM);
    dmar_snapshot(&a, a0);
    dmar_snapshot(b, b0);
    g_assert_cmphex(a0[REG_FEDATA / 4], ==, 0x2468);
    g_assert_cmphex(b0[REG_FEDATA / 4], ==, 0x1357);
    g_assert_cmphex(dmar_fsts(&a), ==, 0);
    g_assert_cmphex(dmar_fsts(b), ==, FSTS_PPF | FSTS_FRI(0));

    db = dmar_migrate_units(b, TWO_UNITS);
    da = (QDmar) { .qts = db->qts, .base = DMAR_BASE };
    dmar_snapshot(&da, a1);
    dmar_snapshot(db, b1);
    dmar_assert_same_regs(a0, a1);
    dmar_assert_same_regs(b0, b1);
    dmar_assert_frcd(db, 0, IOVA_C, FR_READ, false);

    dmar_edu_attach(db);
    dmar_copy(db, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(db, PAGE_P2, 0x5c));
    g_assert_cmphex(dmar_fsts(&da), ==, 0);

    dmar_free(db);
    dmar_free(b);
}

/* ---- interrupt remapping ---- */

static void test_ir_migration(void)
{
    QDmar *src = dmar_boot("");
    QDmar *dst;
    const uint64_t sid_edu = IRTE_SVT(SVT_SID) | IRTE_SID(EDU_SID);
    uint32_t before[SNAP_WORDS], after[SNAP_WORDS];

    dmar_irte_put(src, IRT_BASE, 1, dmar_irte_lo(0xb1), sid_edu);
    dmar_irte_put(src, IRT_BASE, 2, dmar_irte_lo(0xb2) | IRTE_TM, sid_edu);
    dmar_irte_put(src, IRT_BASE, 3, 0, 0);
    dmar_irte_put(src, IRT_BASE, 4, 0, 0);
    dmar_ir_enable(src, IRT_BASE | 3, true);
    dmar_edu_msi(src, dmar_msi_remappable(1, false), 0);
    dmar_assert_delivered(src, 0xb1, false);
    dmar_edu_msi(src, dmar_msi_remappable(3, false), 0);      /* FRCD[0] */
    /* IRTA written, not latched: the destination must not latch it */
    dmar_irte_put(src, IRT_BASE2, 2, 0, 0);
    dmar_wr64(src, REG_IRTA, IRT_BASE2 | 1);
    dmar_snapshot(src, before);
    g_assert_cmphex(before[REG_GSTS / 4], ==,
                    GSTS_IRTPS | GSTS_IRES | GSTS_CFIS);

    dst = dmar_migrate(src);
    dmar_snapshot(dst, after);
    dmar_assert_same_regs(before, after);
    dmar_edu_attach(dst);

    dmar_edu_msi(dst, dmar_msi_remappable(2, false), 0);
    dmar_assert_delivered(dst, 0xb2, true);
    dmar_edu_msi(dst, dmar_msi_compat(0), 0xb3);
    dmar_assert_delivered(dst, 0xb3, false);
    dmar_edu_msi(dst, dmar_msi_remappable(4, false), 0);
    dmar_edu_msi(dst, dmar_msi_remappable(16, false), 0);      /* S = 3 */
    g_assert_cmphex(dmar_rd64(dst, REG_FRCD(0)), ==, 3ull << 48);
    g_assert_cmphex(dmar_rd64(dst, REG_FRCD(0) + 8) & ~FRCD_T1, ==,
                    FRCD_F | FRCD_FR(FR_IR_NP) | EDU_SID);
    g_assert_cmphex(dmar_rd64(dst, REG_FRCD(1)), ==, 4ull << 48);
    g_assert_cmphex(dmar_rd64(dst, REG_FRCD(1) + 8) & ~FRCD_T1, ==,
                    FRCD_F | FRCD_FR(FR_IR_NP) | EDU_SID);
    g_assert_cmphex(dmar_rd64(dst, REG_FRCD(2)), ==, 16ull << 48);
    g_assert_cmphex(dmar_rd64(dst, REG_FRCD(2) + 8) & ~FRCD_T1, ==,
                    FRCD_F | FRCD_FR(FR_IR_INDEX) | EDU_SID);
    g_assert_cmphex(dmar_fsts(dst), ==, FSTS_PPF | FSTS_FRI(0));

    /* latching the new IRTA there works as it would have here */
    dmar_gcmd_update(dst, GCMD_SIRTP, 0);
    dmar_edu_msi(dst, dmar_msi_remappable(2, false), 0);
    g_assert_cmphex(dmar_rd64(dst, REG_FRCD(3)), ==, 2ull << 48);
    g_assert_cmphex(dmar_rd64(dst, REG_FRCD(3) + 8) & ~FRCD_T1, ==,
                    FRCD_F | FRCD_FR(FR_IR_NP) | EDU_SID);
    dmar_free(dst);
    dmar_free(src);
}

/* ================= a damaged migration stream ================= */

/*
 * A unit saved mid-operation (translation on, the queue running with an
 * unserviced completion event, interrupts remapped, a fault pending and
 * its event masked) to a file. Each state field the unit's post_load
 * checks is then damaged in turn, in the vtd-dmar section of the stream,
 * and a new QEMU loads it: the load must fail with an error, QEMU must
 * go on answering, and the unit must hold nothing from the stream. The
 * undamaged stream loads and the unit goes on where it was.
 */

/* The stream's section for the unit (migration/savevm.c, vmstate.c) */
#define ST_SECTION_FULL     0x04
#define ST_FOOTER           0x7e
#define ST_IDSTR            "vtd-dmar"
/* vmstate_dmar's fields: regs[] as in the unit, then big-endian scalars */
#define ST_REGS             0
#define ST_ROOT             (0x200 + 256 * 16)  /* regs[DMAR_REGS_MAX] */
#define ST_NEXT             (ST_ROOT + 8)       /* flog.next, 32 bits */
#define ST_IRTA             (ST_NEXT + 4)       /* irta_raw, 64 bits */
#define ST_END              (ST_IRTA + 8)

typedef struct Stream {
    const char *props;
    uint8_t *buf;
    gsize len;
    gsize fields;       /* offset of the unit's first field in buf */
    QDmar sw;           /* what software knew of tables and queue */
    uint32_t regs[SNAP_WORDS];
} Stream;

static Stream streams[3] = {
    { .props = "" }, { .props = "intremap=off" },
    { .props = "scalable-mode=on" },
};
static char *stream_dir;

static char *stream_path(const char *name)
{
    if (!stream_dir) {
        stream_dir = g_dir_make_tmp("vtd-dmar-stream-XXXXXX", NULL);
        g_assert_nonnull(stream_dir);
    }
    return g_strdup_printf("%s/%s", stream_dir, name);
}

static uint32_t st_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint64_t st_be64(const uint8_t *p)
{
    return (uint64_t)st_be32(p) << 32 | st_be32(p + 4);
}

static void st_put_be32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++) {
        p[i] = v >> (24 - 8 * i);
    }
}

static void st_put_be64(uint8_t *p, uint64_t v)
{
    st_put_be32(p, v >> 32);
    st_put_be32(p + 4, v);
}

/* Find the unit's section: header, idstr, instance 0, version 1 */
static gsize st_find(const uint8_t *buf, gsize len)
{
    const gsize idlen = strlen(ST_IDSTR);
    gsize found = 0;

    for (gsize i = 0; i + 14 + idlen + ST_END + 5 <= len; i++) {
        const uint8_t *h = buf + i;

        if (h[0] == ST_SECTION_FULL && h[5] == idlen &&
            !memcmp(h + 6, ST_IDSTR, idlen) &&
            st_be32(h + 6 + idlen) == 0 && st_be32(h + 10 + idlen) == 1) {
            const uint8_t *f = h + 14 + idlen + ST_END;

            g_assert_cmpuint(found, ==, 0);
            /* the footer closes the same section after our fields */
            g_assert_cmphex(f[0], ==, ST_FOOTER);
            g_assert_cmphex(st_be32(f + 1), ==, st_be32(h + 1));
            found = i + 14 + idlen;
        }
    }
    g_assert_cmpuint(found, !=, 0);
    return found;
}

/* Register OFF (little-endian in regs[]) of a stream */
static uint64_t st_reg(const Stream *st, const uint8_t *buf, unsigned off,
                       unsigned size)
{
    uint64_t v = 0;

    memcpy(&v, buf + st->fields + ST_REGS + off, size);
    return le64_to_cpu(v);
}

static void st_set_reg(const Stream *st, uint8_t *buf, unsigned off,
                       unsigned size, uint64_t v)
{
    v = cpu_to_le64(v);
    memcpy(buf + st->fields + ST_REGS + off, &v, size);
}

/* scn_stream_source_setup(), and the data the copies after it use */
static void stream_source_setup(QDmar *d, bool ir)
{
    scn_stream_source_setup(d, ir);
    dmar_fill(d, PAGE_P1, 0xe1);
    dmar_fill(d, PAGE_P2, 0xe2);
    dmar_zero(d, PAGE_OUT);
}

/* The stream of a unit with PROPS, saved once */
static const Stream *stream_get(const char *props)
{
    Stream *st = NULL;
    g_autofree char *path = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *status = NULL;
    g_autofree char *name = NULL;
    QDmar *src;

    for (unsigned i = 0; i < ARRAY_SIZE(streams); i++) {
        if (!strcmp(streams[i].props, props)) {
            st = &streams[i];
            name = g_strdup_printf("source-%u.bin", i);
        }
    }
    g_assert_nonnull(st);
    if (st->buf) {
        return st;
    }
    path = stream_path(name);
    uri = g_strdup_printf("file:%s", path);
    src = dmar_boot(props);
    stream_source_setup(src, !*props);
    dmar_snapshot(src, st->regs);
    qtest_qmp_assert_success(src->qts, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    status = dmar_migration_end(src->qts);
    g_assert_cmpstr(status, ==, "completed");
    st->sw = *src;
    st->sw.qts = NULL;
    st->sw.bus = NULL;
    st->sw.edu = NULL;
    dmar_free(src);

    g_assert_true(g_file_get_contents(path, (char **)&st->buf, &st->len,
                                      NULL));
    unlink(path);
    st->fields = st_find(st->buf, st->len);
    /* the fields hold what the unit had: the layout is as assumed */
    g_assert_cmphex(st_reg(st, st->buf, REG_VER, 4), ==, 0x41);
    g_assert_cmphex(st_reg(st, st->buf, REG_GSTS, 4), ==,
                    st->regs[REG_GSTS / 4]);
    g_assert_cmphex(st_reg(st, st->buf, REG_FRCD(0) + 8, 8), ==,
                    st->regs[REG_FRCD(0) / 4 + 2] |
                    (uint64_t)st->regs[REG_FRCD(0) / 4 + 3] << 32);
    g_assert_cmphex(st_be64(st->buf + st->fields + ST_ROOT), ==, ROOT_TABLE);
    g_assert_cmphex(st_be32(st->buf + st->fields + ST_NEXT), ==, 1);
    g_assert_cmphex(st_be64(st->buf + st->fields + ST_IRTA), ==,
                    *props ? 0 : IRT_BASE | 3);
    return st;
}

/*
 * Load BUF (ST, perhaps damaged) into a new QEMU configured as its
 * source; returns it, with the migration's final status in *STATUS and
 * what QEMU wrote to stderr until then in *ERRORS. FRESH gets the unit's
 * registers as they were before the load.
 */
static QDmar *stream_load(const Stream *st, const uint8_t *buf,
                          uint32_t *fresh, char **status, char **errors)
{
    g_autofree char *path = stream_path("load.bin");
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    g_autofree char *err_path = stream_path("stderr.txt");
    g_autofree char *extra = NULL;
    QDmar *dst = g_new0(QDmar, 1);

    *dst = st->sw;
    /* libqtest starts QEMU through sh -c: a redirection captures stderr */
    extra = g_strdup_printf("-incoming defer 2>%s", err_path);
    dst->qts = dmar_qemu(st->props, extra, false);
    dmar_snapshot(dst, fresh);
    g_assert_true(g_file_set_contents(path, (const char *)buf, st->len,
                                      NULL));
    /* a refused stream is a failed migration, not an exit */
    qtest_qmp_assert_success(dst->qts, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s, "
                             "'exit-on-error': false } }", uri);
    *status = dmar_migration_end(dst->qts);
    unlink(path);
    g_assert_true(g_file_get_contents(err_path, errors, NULL, NULL));
    unlink(err_path);
    return dst;
}

typedef struct StreamCase {
    const char *name;
    const char *props;
    /* Either bits set and cleared in one register of the stream ... */
    unsigned reg, size;
    uint64_t set, clear;
    /* ... or some other damage */
    void (*damage)(const Stream *st, uint8_t *buf);
    /* The check in dmar_post_load() that refuses it: its error text */
    const char *why;
} StreamCase;

static void sd_reg_bits(const StreamCase *c, const Stream *st, uint8_t *buf)
{
    uint64_t v = st_reg(st, buf, c->reg, c->size);

    st_set_reg(st, buf, c->reg, c->size, (v | c->set) & ~c->clear);
}

static void sd_next(const Stream *st, uint8_t *buf)
{
    st_put_be32(buf + st->fields + ST_NEXT, 8);
}

static void sd_next_huge(const Stream *st, uint8_t *buf)
{
    st_put_be32(buf + st->fields + ST_NEXT, 0xffffffff);
}

static void sd_frcd_past_nfr(const Stream *st, uint8_t *buf)
{
    st_set_reg(st, buf, REG_FRCD(8) + 8, 8,
               st_reg(st, buf, REG_FRCD(0) + 8, 8));
}

static void sd_root_rsvd(const Stream *st, uint8_t *buf)
{
    uint8_t *p = buf + st->fields + ST_ROOT;

    st_put_be64(p, st_be64(p) | 0x400);     /* TTM: scalable mode */
}

static void sd_irta_rsvd(const Stream *st, uint8_t *buf)
{
    uint8_t *p = buf + st->fields + ST_IRTA;

    st_put_be64(p, st_be64(p) | 0x10);      /* bit 4 is reserved */
}

static void sd_irta_haw(const Stream *st, uint8_t *buf)
{
    uint8_t *p = buf + st->fields + ST_IRTA;

    st_put_be64(p, st_be64(p) | 1ull << 63);    /* above any HAW */
}

static void sd_irta_eime(const Stream *st, uint8_t *buf)
{
    uint8_t *p = buf + st->fields + ST_IRTA;

    st_put_be64(p, st_be64(p) | IRTA_EIME); /* no EIM in this unit */
}

static void sd_iqh(const Stream *st, uint8_t *buf)
{
    /* QS 0: 256 descriptors, 0..255 */
    st_set_reg(st, buf, REG_IQH, 8, dmar_iq_off(256));
}

static void sd_iqh_max(const Stream *st, uint8_t *buf)
{
    st_set_reg(st, buf, REG_IQH, 8, dmar_iq_off(0x7fff));
}

static void sd_root_low_rsvd(const Stream *st, uint8_t *buf)
{
    uint8_t *p = buf + st->fields + ST_ROOT;

    st_put_be64(p, st_be64(p) | 0x200);     /* bit 9: reserved in any mode */
}

static const StreamCase stream_cases[] = {
    /* a stream of a unit without scalable mode into one with it */
    { "sm-ecap", SM_PROPS, REG_ECAP, 8, .clear = 1ull << 43,
      .why = WHY_CONFIG },
    { "sm-root-reserved", SM_PROPS, .damage = sd_root_low_rsvd,
      .why = WHY_ROOT },
    /* 5-level first stage in a stream, into a 4-level unit */
    { "sm-cap-fl5lp", SM_PROPS, REG_CAP, 8, .set = 1ull << 60,
      .why = WHY_CONFIG },
    /* CAP of a unit with 16 fault records */
    { "cap", "", REG_CAP, 8, .set = 8ull << 40, .why = WHY_CONFIG },
    { "ecap", "", REG_ECAP, 8, .set = ECAP_EIM, .why = WHY_CONFIG },
    { "fault-next", "", .damage = sd_next, .why = WHY_NEXT },
    { "fault-next-huge", "", .damage = sd_next_huge, .why = WHY_NEXT },
    { "fsts-fri", "", REG_FSTS, 4, .set = FSTS_FRI(8), .why = WHY_FRI },
    { "frcd-past-nfr", "", .damage = sd_frcd_past_nfr, .why = WHY_FRCD },
    { "frcd-last", "", REG_FRCD(255) + 15, 1, .set = 0x80,
      .why = WHY_FRCD },
    /* WBFS: write-buffer flushing is not offered */
    { "gsts-not-offered", "", REG_GSTS, 4, .set = 1u << 27,
      .why = WHY_GSTS },
    /* interrupt remapping on, in a unit that does not offer it */
    { "gsts-ir-not-offered", "intremap=off", REG_GSTS, 4, .set = GSTS_IRES,
      .why = WHY_GSTS },
    { "root-reserved", "", .damage = sd_root_rsvd, .why = WHY_ROOT },
    { "root-not-latched", "", REG_GSTS, 4, .clear = GSTS_RTPS,
      .why = WHY_ROOT },
    { "irta-reserved", "", .damage = sd_irta_rsvd, .why = WHY_IRTA },
    { "irta-beyond-haw", "", .damage = sd_irta_haw, .why = WHY_IRTA },
    { "irta-eime", "", .damage = sd_irta_eime, .why = WHY_IRTA },
    { "irta-not-latched", "", REG_GSTS, 4, .clear = GSTS_IRTPS,
      .why = WHY_IRTA },
    /* bits 63:HAW of the base are not implemented (HAW <= 52) */
    { "iqa-beyond-haw", "", REG_IQA, 8, .set = 1ull << 63, .why = WHY_IQA },
    { "iqa-reserved", "", REG_IQA, 8, .set = 1ull << 3, .why = WHY_IQA },
    { "iqh-beyond-queue", "", .damage = sd_iqh, .why = WHY_IQH },
    { "iqh-max", "", .damage = sd_iqh_max, .why = WHY_IQH },
    { "iqh-reserved", "", REG_IQH, 8, .set = 1, .why = WHY_IQH },
    { "iqt-reserved", "", REG_IQT, 8, .set = 1ull << 19, .why = WHY_IQT },
    { "ccmd-in-progress", "", REG_CCMD, 8, .set = CCMD_ICC,
      .why = WHY_INV },
    { "iotlb-in-progress", "", REG_IOTLB, 8, .set = IOTLB_IVT,
      .why = WHY_INV },
};

/*
 * QEMU's stderr names exactly one reason, the expected one: the stream
 * was refused by the check meant for this damage, not by another.
 */
static void assert_refused_for(const char *errors, const char *why)
{
    const char *prefix = "vtd-dmar: migration stream refused: ";
    g_autofree char *want = g_strdup_printf("%s%s\n", prefix, why);
    const char *first = strstr(errors, prefix);

    if (!first || !strstr(errors, want) || strstr(first + 1, prefix)) {
        g_test_message("QEMU's stderr: %s", errors);
    }
    g_assert_nonnull(strstr(errors, want));
    g_assert_null(strstr(first + 1, prefix));
}

static void test_stream_damaged(const void *opaque)
{
    const StreamCase *c = opaque;
    const Stream *st = stream_get(c->props);
    g_autofree uint8_t *buf = g_memdup2(st->buf, st->len);
    g_autofree char *status = NULL;
    g_autofree char *errors = NULL;
    uint32_t fresh[SNAP_WORDS], after[SNAP_WORDS];
    QDict *rsp, *ret;
    QDmar *dst;

    if (c->damage) {
        c->damage(st, buf);
    } else {
        sd_reg_bits(c, st, buf);
    }
    g_assert_cmpint(memcmp(buf, st->buf, st->len), !=, 0);
    /* nothing but the unit's fields changed */
    g_assert_cmpint(memcmp(buf, st->buf, st->fields), ==, 0);
    g_assert_cmpint(memcmp(buf + st->fields + ST_END,
                           st->buf + st->fields + ST_END,
                           st->len - st->fields - ST_END), ==, 0);

    dst = stream_load(st, buf, fresh, &status, &errors);
    g_assert_cmpstr(status, ==, "failed");
    assert_refused_for(errors, c->why);
    rsp = qtest_qmp(dst->qts, "{ 'execute': 'query-migrate' }");
    ret = qdict_get_qdict(rsp, "return");
    g_assert_nonnull(ret);
    g_assert_nonnull(strstr(qdict_get_try_str(ret, "error-desc") ?: "",
                            "Invalid argument"));
    qobject_unref(rsp);

    /* QEMU goes on, the guest does not start, the unit is as it was */
    rsp = qtest_qmp(dst->qts, "{ 'execute': 'query-status' }");
    ret = qdict_get_qdict(rsp, "return");
    g_assert_nonnull(ret);
    g_assert_false(qdict_get_bool(ret, "running"));
    g_assert_cmpstr(qdict_get_str(ret, "status"), ==, "inmigrate");
    qobject_unref(rsp);
    dmar_snapshot(dst, after);
    dmar_assert_same_regs(fresh, after);
    g_assert_cmphex(dmar_rd64(dst, REG_FRCD(0) + 8), ==, 0);
    /* and still takes register writes */
    dmar_wr32(dst, REG_FEDATA, 0x4242);
    g_assert_cmphex(dmar_rd32(dst, REG_FEDATA), ==, 0x4242);
    qtest_quit(dst->qts);
    g_free(dst);
}

/* The undamaged stream: DMA, queue, faults and interrupts go on */
static void test_stream_intact(void)
{
    const Stream *st = stream_get("");
    g_autofree char *status = NULL;
    g_autofree char *errors = NULL;
    uint32_t fresh[SNAP_WORDS], after[SNAP_WORDS];
    QDmar *dst;

    dst = stream_load(st, st->buf, fresh, &status, &errors);
    g_assert_cmpstr(status, ==, "completed");
    g_assert_null(strstr(errors, "vtd-dmar"));
    qtest_qmp_eventwait(dst->qts, "RESUME");
    dmar_snapshot(dst, after);
    dmar_assert_same_regs(st->regs, after);
    dmar_edu_attach(dst);

    /* DMA lands where the tables say; the queue invalidates */
    dmar_copy(dst, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(dst, PAGE_OUT, 0xe1));
    dmar_map(dst, IOVA_A, PAGE_P2, 1, PTE_R);
    dmar_qi_iotlb(dst, GRAN_PAGE, DOMAIN, IOVA_A, 0);
    dmar_qi_sync(dst);
    dmar_copy(dst, IOVA_A, IOVA_B);
    g_assert_true(dmar_holds(dst, PAGE_OUT, 0xe2));
    /* remapped interrupts, through the latched table */
    dmar_edu_msi(dst, dmar_msi_remappable(2, false), 0);
    dmar_assert_delivered(dst, 0xc2, false);
    /* the pending fault stays; the next goes to the next record */
    dmar_dma_out(dst, IOVA_A);
    dmar_assert_frcd(dst, 0, IOVA_C, FR_READ, false);
    dmar_assert_frcd(dst, 1, IOVA_A, FR_WRITE, true);
    /* both pending events go out when unmasked */
    g_assert_cmphex(qtest_readl(dst->qts, FE_MSG), ==, 0);
    g_assert_cmphex(qtest_readl(dst->qts, IE_MSG), ==, 0);
    dmar_wr32(dst, REG_FECTL, 0);
    g_assert_cmphex(qtest_readl(dst->qts, FE_MSG), ==, 0x2bad);
    dmar_wr32(dst, REG_IECTL, 0);
    g_assert_cmphex(qtest_readl(dst->qts, IE_MSG), ==, 0x3bad);
    dmar_free(dst);
}

static void stream_cleanup(void)
{
    for (unsigned i = 0; i < ARRAY_SIZE(streams); i++) {
        g_free(streams[i].buf);
        streams[i].buf = NULL;
    }
    if (stream_dir) {
        rmdir(stream_dir);
        g_free(stream_dir);
        stream_dir = NULL;
    }
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/vtd-dmar/migration", test_migration);
    qtest_add_func("/vtd-dmar/qi/migration", test_qi_migration);
    qtest_add_func("/vtd-dmar/ir/migration", test_ir_migration);
    qtest_add_func("/vtd-dmar/units/migration", test_two_units_migration);
    qtest_add_func("/vtd-dmar/sm/migration", test_sm_migration);

    qtest_add_func("/vtd-dmar/migration-stream/intact", test_stream_intact);
    for (unsigned i = 0; i < ARRAY_SIZE(stream_cases); i++) {
        g_autofree char *path = g_strdup_printf(
            "/vtd-dmar/migration-stream/damaged/%s", stream_cases[i].name);

        qtest_add_data_func(path, &stream_cases[i], test_stream_damaged);
    }

    ret = g_test_run();
    stream_cleanup();
    return ret;
}
