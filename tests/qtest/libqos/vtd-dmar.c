/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqos helper for the vtd-dmar VT-d remapping unit: machine set-up,
 * register access, translation tables in guest RAM, edu DMA and MSIs,
 * invalidation and interrupt remapping. See vtd-dmar.h.
 */
#include "qemu/osdep.h"
#include "../libqtest.h"
#include "qemu/bswap.h"
#include "hw/pci/pci_regs.h"
#include "standard-headers/linux/qemu_fw_cfg.h"
#include "fw_cfg.h"
#include "pci-pc.h"
#include "vtd-dmar.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"

/* ---- the machine ---- */

const char *dmar_edu_args(bool narrow)
{
    /* edu masks DMA addresses to 28 bits unless told otherwise */
    return narrow ? "-device edu,id=edu,addr=04.0"
                  : "-device edu,id=edu,addr=04.0,"
                    "dma_mask=0xffffffffffffffff";
}

QTestState *dmar_qemu(const char *props, const char *extra, bool narrow)
{
    return qtest_initf("-M q35 %s -device vtd-dmar%s%s %s", extra,
                       *props ? "," : "", props, dmar_edu_args(narrow));
}

void dmar_edu_attach(QDmar *d)
{
    d->bus = qpci_new_pc(d->qts, NULL);
    d->edu = qpci_device_find(d->bus, QPCI_DEVFN(4, 0));
    g_assert_nonnull(d->edu);
    g_assert_cmphex(qpci_config_readl(d->edu, 0), ==, 0x11e81234);
    qpci_device_enable(d->edu);
    d->bar = qpci_iomap(d->edu, 0, NULL);
}

void dmar_edu_detach(QDmar *d)
{
    g_free(d->edu);
    qpci_free_pc(d->bus);
    d->edu = NULL;
    d->bus = NULL;
}

QDmar *dmar_attach(QTestState *qts)
{
    QDmar *d = g_new0(QDmar, 1);

    d->qts = qts;
    d->pool = PT_POOL;
    dmar_edu_attach(d);
    return d;
}

QDmar *dmar_boot_full(const char *props, const char *extra, bool narrow)
{
    return dmar_attach(dmar_qemu(props, extra, narrow));
}

QDmar *dmar_boot(const char *props)
{
    return dmar_boot_full(props, "", false);
}

void dmar_free(QDmar *d)
{
    dmar_edu_detach(d);
    qtest_quit(d->qts);
    g_free(d);
}

int dmar_run_status(const char *args, char **err)
{
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    g_autofree char *q = NULL;
    g_autofree char *cmd = NULL;
    g_autofree char *out = NULL;
    const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
    int status;

    g_assert_nonnull(qemu);
    q = g_shell_quote(qemu);
    cmd = g_strdup_printf("echo quit | %s -accel qtest -display none "
                          "-monitor stdio %s", q, args);
    argv[2] = cmd;
    g_test_message("%s", cmd);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, &out, err, &status, NULL));
    g_test_message("stderr: %s", *err);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

int dmar_start_status(const char *extra, const char *props, char **err)
{
    g_autofree char *args = g_strdup_printf("-M q35 %s -device vtd-dmar%s%s",
                                            extra, *props ? "," : "", props);

    return dmar_run_status(args, err);
}

/* ---- registers ---- */

uint32_t dmar_rd32(QDmar *d, unsigned off)
{
    return qtest_readl(d->qts, dmar_base(d) + off);
}

uint64_t dmar_rd64(QDmar *d, unsigned off)
{
    return qtest_readq(d->qts, dmar_base(d) + off);
}

void dmar_wr32(QDmar *d, unsigned off, uint32_t v)
{
    qtest_writel(d->qts, dmar_base(d) + off, v);
}

void dmar_wr64(QDmar *d, unsigned off, uint64_t v)
{
    qtest_writeq(d->qts, dmar_base(d) + off, v);
}

void dmar_snapshot(QDmar *d, uint32_t *w)
{
    for (unsigned i = 0; i < SNAP_WORDS; i++) {
        w[i] = dmar_rd32(d, i * 4);
    }
}

void dmar_assert_same_regs(const uint32_t *a, const uint32_t *b)
{
    for (unsigned i = 0; i < SNAP_WORDS; i++) {
        if (a[i] != b[i]) {
            g_test_message("register word 0x%03x: 0x%08x vs 0x%08x",
                           i * 4, a[i], b[i]);
        }
        g_assert_cmphex(a[i], ==, b[i]);
    }
}

void dmar_gcmd_update(QDmar *d, uint32_t set, uint32_t clear)
{
    uint32_t keep = dmar_rd32(d, REG_GSTS) &
                    (GSTS_TES | GSTS_QIES | GSTS_IRES | GSTS_CFIS);

    dmar_wr32(d, REG_GCMD, (keep & ~clear) | set);
}

uint32_t dmar_fsts(QDmar *d)
{
    uint32_t v = dmar_rd32(d, REG_FSTS);

    return (v & FSTS_PPF) ? v : v & ~FSTS_FRI(0xff);
}

/* ---- data patterns, and edu's DMA ---- */

void dmar_pattern(uint8_t *buf, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = seed + i * 13;
    }
}

void dmar_fill(QDmar *d, uint64_t pa, uint8_t seed)
{
    uint8_t buf[XFER];

    dmar_pattern(buf, sizeof(buf), seed);
    qtest_memwrite(d->qts, pa, buf, sizeof(buf));
}

bool dmar_holds(QDmar *d, uint64_t pa, uint8_t seed)
{
    uint8_t want[XFER], got[XFER];

    dmar_pattern(want, sizeof(want), seed);
    qtest_memread(d->qts, pa, got, sizeof(got));
    return !memcmp(want, got, sizeof(got));
}

void dmar_zero(QDmar *d, uint64_t pa)
{
    qtest_memset(d->qts, pa, 0, XFER);
}

void dmar_edu_dma(QDmar *d, uint64_t src, uint64_t dst, uint64_t len,
                  bool to_ram)
{
    uint64_t cmd = EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0);

    qpci_io_writeq(d->edu, d->bar, EDU_DMA_SRC, src);
    qpci_io_writeq(d->edu, d->bar, EDU_DMA_DST, dst);
    qpci_io_writeq(d->edu, d->bar, EDU_DMA_CNT, len);
    qpci_io_writeq(d->edu, d->bar, EDU_DMA_CMD, cmd);
    /* edu starts the transfer 100 ms of virtual time later */
    qtest_clock_step(d->qts, 200 * 1000 * 1000);
    g_assert_cmphex(qpci_io_readq(d->edu, d->bar, EDU_DMA_CMD) &
                    EDU_CMD_START, ==, 0);
}

void dmar_dma_in(QDmar *d, uint64_t iova)
{
    dmar_edu_dma(d, iova, EDU_BUF, XFER, false);
}

void dmar_dma_out(QDmar *d, uint64_t iova)
{
    dmar_edu_dma(d, EDU_BUF, iova, XFER, true);
}

void dmar_copy(QDmar *d, uint64_t from, uint64_t to)
{
    dmar_dma_in(d, from);
    dmar_dma_out(d, to);
}

/* ---- translation tables ---- */

uint64_t dmar_table_new(QDmar *d)
{
    uint64_t t = d->pool;

    d->pool += 0x1000;
    g_assert_cmphex(d->pool, <=, PT_POOL_END);
    qtest_memset(d->qts, t, 0, 0x1000);
    return t;
}

void dmar_set_root(QDmar *d, uint64_t lo, uint64_t hi)
{
    qtest_writeq(d->qts, ROOT_TABLE, lo);        /* bus 0 */
    qtest_writeq(d->qts, ROOT_TABLE + 8, hi);
}

void dmar_set_ctx(QDmar *d, uint64_t lo, uint64_t hi)
{
    qtest_writeq(d->qts, CTX_TABLE + EDU_DEVFN * 16, lo);
    qtest_writeq(d->qts, CTX_TABLE + EDU_DEVFN * 16 + 8, hi);
}

uint64_t dmar_ctx_lo(QDmar *d)
{
    return qtest_readq(d->qts, CTX_TABLE + EDU_DEVFN * 16);
}

uint64_t dmar_ctx_hi(QDmar *d)
{
    return qtest_readq(d->qts, CTX_TABLE + EDU_DEVFN * 16 + 8);
}

void dmar_tables_init(QDmar *d, unsigned levels, uint64_t lo_flags)
{
    qtest_memset(d->qts, ROOT_TABLE, 0, 0x1000);
    qtest_memset(d->qts, CTX_TABLE, 0, 0x1000);
    d->levels = levels;
    d->slpt = dmar_table_new(d);
    dmar_set_root(d, CTX_TABLE | ROOT_P, 0);
    dmar_set_ctx(d, d->slpt | lo_flags | CTX_P,
                 CTX_AW(levels) | CTX_DID(DOMAIN));
}

uint64_t dmar_pte_slot(QDmar *d, uint64_t iova, unsigned level)
{
    uint64_t table = d->slpt;

    for (unsigned l = d->levels; l > level; l--) {
        uint64_t slot = table + PT_INDEX(iova, l) * 8;
        uint64_t pte = qtest_readq(d->qts, slot);

        if (!(pte & PTE_RW)) {
            pte = dmar_table_new(d) | PTE_RW;
            qtest_writeq(d->qts, slot, pte);
        }
        table = pte & PTE_ADDR;
    }
    return table + PT_INDEX(iova, level) * 8;
}

void dmar_set_pte(QDmar *d, uint64_t iova, unsigned level, uint64_t pte)
{
    qtest_writeq(d->qts, dmar_pte_slot(d, iova, level), pte);
}

void dmar_map(QDmar *d, uint64_t iova, uint64_t pa, unsigned level,
              uint64_t perm)
{
    dmar_set_pte(d, iova, level, pa | perm | (level > 1 ? PTE_PS : 0));
}

void dmar_enable(QDmar *d, uint64_t rta)
{
    dmar_wr64(d, REG_RTADDR, rta);
    dmar_wr32(d, REG_GCMD, GCMD_SRTP);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS) & GSTS_RTPS, ==, GSTS_RTPS);
    dmar_wr32(d, REG_GCMD, GCMD_TE);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS), ==, GSTS_TES | GSTS_RTPS);
}

/* ---- register-based invalidation ---- */

uint64_t dmar_iotlb_inv(QDmar *d, unsigned gran, uint16_t did,
                        uint64_t iva)
{
    uint64_t v;

    dmar_wr64(d, REG_IVA, iva);
    dmar_wr64(d, REG_IOTLB, IOTLB_IVT | IOTLB_IIRG(gran) | IOTLB_DR |
              IOTLB_DW | IOTLB_DID(did));
    v = dmar_rd64(d, REG_IOTLB);
    g_assert_cmphex(v & IOTLB_IVT, ==, 0);
    return v;
}

uint64_t dmar_ccmd_inv(QDmar *d, uint64_t cmd)
{
    uint64_t v;

    dmar_wr64(d, REG_CCMD, CCMD_ICC | cmd);
    v = dmar_rd64(d, REG_CCMD);
    g_assert_cmphex(v & CCMD_ICC, ==, 0);
    return v;
}

/* ---- queued invalidation (VT-d §6.5.2) ---- */

void dmar_qi_enable(QDmar *d, uint64_t base, unsigned qs)
{
    d->iq_base = base;
    d->iq_entries = 256u << qs;
    d->iq_tail = 0;
    dmar_wr64(d, REG_IQA, base | qs);
    dmar_wr64(d, REG_IQT, 0);
    /* GCMD carries TE in every write: keep it as it is */
    dmar_wr32(d, REG_GCMD, (dmar_rd32(d, REG_GSTS) & GSTS_TES) | GCMD_QIE);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS) & GSTS_QIES, ==, GSTS_QIES);
    g_assert_cmphex(dmar_rd64(d, REG_IQA), ==, base | qs);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, 0);
}

void dmar_qi_put(QDmar *d, unsigned idx, uint64_t lo, uint64_t hi)
{
    uint64_t a = d->iq_base + idx * 16ull;

    qtest_writeq(d->qts, a, lo);
    qtest_writeq(d->qts, a + 8, hi);
}

unsigned dmar_qi_push(QDmar *d, uint64_t lo, uint64_t hi)
{
    unsigned idx = d->iq_tail;

    dmar_qi_put(d, idx, lo, hi);
    d->iq_tail = (idx + 1) % d->iq_entries;
    return idx;
}

unsigned dmar_qi_push_wait(QDmar *d, uint64_t addr, uint32_t data,
                           uint64_t flags)
{
    return dmar_qi_push(d, QI_WAIT | QI_WAIT_SW | flags | QI_SDATA(data),
                        addr);
}

void dmar_qi_kick(QDmar *d)
{
    dmar_wr64(d, REG_IQT, d->iq_tail * 16ull);
}

uint64_t dmar_iq_off(unsigned idx)
{
    return idx * 16ull;
}

void dmar_qi_sync(QDmar *d)
{
    uint32_t v = 0x5c000000 | ++d->iq_seq;

    qtest_writel(d->qts, IQ_SYNC, 0);
    dmar_qi_push_wait(d, IQ_SYNC, v, 0);
    dmar_qi_kick(d);
    g_assert_cmphex(dmar_rd32(d, REG_FSTS) & FSTS_IQE, ==, 0);
    g_assert_cmphex(qtest_readl(d->qts, IQ_SYNC), ==, v);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(d->iq_tail));
}

void dmar_qi_wait_if(QDmar *d)
{
    dmar_qi_push(d, QI_WAIT | QI_WAIT_IF, 0);
    dmar_qi_kick(d);
    g_assert_cmphex(dmar_rd64(d, REG_IQH), ==, dmar_iq_off(d->iq_tail));
}

void dmar_qi_iotlb(QDmar *d, unsigned gran, uint16_t did, uint64_t addr,
                   unsigned am)
{
    dmar_qi_push(d, QI_IOTLB | QI_G(gran) | QI_IOTLB_DR | QI_IOTLB_DW |
                 QI_DID(did), addr | QI_HI_AM(am));
}

void dmar_qi_cc(QDmar *d, unsigned gran, uint16_t did, uint16_t sid,
                unsigned fm)
{
    dmar_qi_push(d, QI_CC | QI_G(gran) | QI_DID(did) | QI_CC_SID(sid) |
                 QI_CC_FM(fm), 0);
}

/* ---- fault records ---- */

void dmar_assert_frcd(QDmar *d, unsigned i, uint64_t iova, uint8_t fr,
                      bool write)
{
    uint64_t hi = FRCD_F | (write ? 0 : FRCD_T1) | FRCD_FR(fr) | EDU_SID;

    g_assert_cmphex(dmar_rd64(d, REG_FRCD(i)), ==, iova & ~0xfffull);
    g_assert_cmphex(dmar_rd64(d, REG_FRCD(i) + 8), ==, hi);
    /* the same through 32-bit reads */
    g_assert_cmphex(dmar_rd32(d, REG_FRCD(i) + 4), ==, iova >> 32);
    g_assert_cmphex(dmar_rd32(d, REG_FRCD(i) + 8), ==, (uint32_t)hi);
    g_assert_cmphex(dmar_rd32(d, REG_FRCD(i) + 12), ==, hi >> 32);
}

void dmar_frcd_clear(QDmar *d, unsigned i)
{
    /* F is bit 63: bit 31 of the upper 32-bit half */
    dmar_wr32(d, REG_FRCD(i) + 12, 0x80000000);
}

void dmar_assert_ir_fault(QDmar *d, uint8_t fr, int index, uint16_t sid)
{
    int rec = -1;
    uint64_t lo, hi;

    for (unsigned i = 0; i < 8; i++) {
        if (dmar_rd64(d, REG_FRCD(i) + 8) & FRCD_F) {
            g_assert_cmpint(rec, ==, -1);
            rec = i;
        }
    }
    if (rec < 0) {
        g_test_message("no fault recorded; expected reason 0x%x", fr);
    }
    g_assert_cmpint(rec, >=, 0);
    lo = dmar_rd64(d, REG_FRCD(rec));
    hi = dmar_rd64(d, REG_FRCD(rec) + 8);
    /* the type bit (T1) is only defined for DMA faults */
    g_assert_cmphex(hi & ~FRCD_T1, ==, FRCD_F | FRCD_FR(fr) | sid);
    if (index >= 0) {
        g_assert_cmphex(lo, ==, (uint64_t)index << 48);
    } else {
        g_assert_cmphex(lo & 0xffffffffffffull, ==, 0);
    }
    g_assert_cmphex(dmar_fsts(d), ==, FSTS_PPF | FSTS_FRI(rec));
    dmar_frcd_clear(d, rec);
    g_assert_cmphex(dmar_fsts(d), ==, 0);
}

void dmar_assert_no_fault(QDmar *d)
{
    uint32_t v = dmar_fsts(d);

    if (v) {
        g_test_message("unexpected fault: FRCD[%u] = 0x%016" PRIx64
                       ":0x%016" PRIx64, (v >> 8) & 0xff,
                       dmar_rd64(d, REG_FRCD((v >> 8) & 0xff) + 8),
                       dmar_rd64(d, REG_FRCD((v >> 8) & 0xff)));
    }
    g_assert_cmphex(v, ==, 0);
}

/* ---- interrupt remapping (VT-d chapter 5) ---- */

uint32_t dmar_msi_remappable(uint32_t handle, bool shv)
{
    return MSI_BASE | MSI_REMAP | (shv ? MSI_SHV : 0) |
           (handle & 0x7fff) << 5 | ((handle >> 15) & 1) << 2;
}

uint32_t dmar_msi_compat(uint8_t dest)
{
    return MSI_BASE | (uint32_t)dest << 12;
}

void dmar_edu_msi(QDmar *d, uint32_t addr, uint16_t data)
{
    uint8_t cap = qpci_find_capability(d->edu, PCI_CAP_ID_MSI, 0);
    uint16_t flags;

    g_assert_cmpuint(cap, !=, 0);
    flags = qpci_config_readw(d->edu, cap + PCI_MSI_FLAGS);
    g_assert_true(flags & PCI_MSI_FLAGS_64BIT);
    qpci_config_writel(d->edu, cap + PCI_MSI_ADDRESS_LO, addr);
    qpci_config_writel(d->edu, cap + PCI_MSI_ADDRESS_HI, 0);
    qpci_config_writew(d->edu, cap + PCI_MSI_DATA_64, data);
    qpci_config_writew(d->edu, cap + PCI_MSI_FLAGS,
                       flags | PCI_MSI_FLAGS_ENABLE);
    g_assert_cmphex(qpci_config_readl(d->edu, cap + PCI_MSI_ADDRESS_LO),
                    ==, addr);
    /* raising edu's interrupt sends the message; the ack lowers it */
    qpci_io_writel(d->edu, d->bar, EDU_IRQ_RAISE, 1);
    qpci_io_writel(d->edu, d->bar, EDU_IRQ_ACK, 1);
}

int dmar_apic_irr(QDmar *d, uint8_t v)
{
    g_autofree char *out = qtest_hmp(d->qts, "info lapic");
    g_autofree char *edge = g_strdup_printf("%u", v);
    g_autofree char *level = g_strdup_printf("%u(level)", v);
    g_auto(GStrv) words = NULL;
    char *irr = strstr(out, "IRR\t");
    char *end;

    /* "IRR\t 48 49(level) \r\n", or "IRR\t (none)" */
    g_assert_nonnull(irr);
    end = strpbrk(irr, "\r\n");
    if (end) {
        *end = 0;
    }
    words = g_strsplit(irr + 4, " ", -1);
    for (unsigned i = 0; words[i]; i++) {
        if (!strcmp(words[i], edge)) {
            return 0;
        }
        if (!strcmp(words[i], level)) {
            return 1;
        }
    }
    return -1;
}

void dmar_assert_delivered(QDmar *d, uint8_t v, bool level)
{
    int got = dmar_apic_irr(d, v);

    if (got != level) {
        g_test_message("vector 0x%02x: IRR state %d, expected %d", v, got,
                       level);
    }
    g_assert_cmpint(got, ==, level);
}

void dmar_assert_not_delivered(QDmar *d, uint8_t v)
{
    int got = dmar_apic_irr(d, v);

    if (got != -1) {
        g_test_message("vector 0x%02x was delivered", v);
    }
    g_assert_cmpint(got, ==, -1);
}

void dmar_ir_set_table(QDmar *d, uint64_t irta)
{
    dmar_wr64(d, REG_IRTA, irta);
    dmar_gcmd_update(d, GCMD_SIRTP, 0);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS) & GSTS_IRTPS, ==, GSTS_IRTPS);
}

void dmar_ir_enable(QDmar *d, uint64_t irta, bool cfi)
{
    dmar_ir_set_table(d, irta);
    dmar_gcmd_update(d, GCMD_IRE | (cfi ? GCMD_CFI : 0), cfi ? 0 : GCMD_CFI);
    g_assert_cmphex(dmar_rd32(d, REG_GSTS) & (GSTS_IRES | GSTS_CFIS), ==,
                    GSTS_IRES | (cfi ? GSTS_CFIS : 0));
}

void dmar_irte_put(QDmar *d, uint64_t table, uint32_t index,
                   uint64_t lo, uint64_t hi)
{
    qtest_writeq(d->qts, table + index * 16ull, lo);
    qtest_writeq(d->qts, table + index * 16ull + 8, hi);
}

uint64_t dmar_irte_lo(uint8_t v)
{
    return IRTE_P | IRTE_V(v) | IRTE_XDST(0);
}

void dmar_ioapic_rte(QDmar *d, unsigned pin, uint64_t rte)
{
    qtest_writel(d->qts, IOAPIC_BASE, 0x11 + 2 * pin);
    qtest_writel(d->qts, IOAPIC_BASE + 0x10, rte >> 32);
    qtest_writel(d->qts, IOAPIC_BASE, 0x10 + 2 * pin);
    qtest_writel(d->qts, IOAPIC_BASE + 0x10, rte);
}

void dmar_ioapic_pulse(QDmar *d, unsigned pin)
{
    qtest_set_irq_in(d->qts, IOAPIC_PATH, NULL, pin, 1);
    qtest_set_irq_in(d->qts, IOAPIC_PATH, NULL, pin, 0);
}

/* ---- the DMAR table and the host address width ---- */

/*
 * fw_cfg file NAME, read through fw_cfg's DMA interface into guest RAM
 * at ACPI_BUF (port I/O would take one round trip per byte)
 */
uint8_t *dmar_fw_cfg_file(QDmar *d, const char *name, size_t *len)
{
    QFWCFG *fw = pc_fw_cfg_init(d->qts);
    struct fw_cfg_dma_access dma;
    uint32_t n, size = 0;
    uint16_t sel = 0;
    uint8_t *blob;

    qfw_cfg_get(fw, FW_CFG_FILE_DIR, &n, sizeof(n));
    for (uint32_t i = 0; i < be32_to_cpu(n); i++) {
        struct fw_cfg_file f;

        qfw_cfg_read_data(fw, &f, sizeof(f));
        if (!strcmp(f.name, name)) {
            size = be32_to_cpu(f.size);
            sel = be16_to_cpu(f.select);
        }
    }
    pc_fw_cfg_uninit(fw);
    g_assert_cmpuint(size, >, 0);
    g_assert_cmpuint(size, <=, 0x1000000);
    dma = (struct fw_cfg_dma_access) {
        .control = cpu_to_be32((uint32_t)sel << 16 | FW_CFG_DMA_CTL_SELECT |
                               FW_CFG_DMA_CTL_READ),
        .length = cpu_to_be32(size),
        .address = cpu_to_be64(ACPI_BUF + 0x1000),
    };
    qtest_memwrite(d->qts, ACPI_BUF, &dma, sizeof(dma));
    /* the descriptor's address, high then low half, big-endian */
    qtest_outl(d->qts, 0x514, cpu_to_be32(ACPI_BUF >> 32));
    qtest_outl(d->qts, 0x518, cpu_to_be32((uint32_t)ACPI_BUF));
    qtest_memread(d->qts, ACPI_BUF, &dma, sizeof(dma));
    g_assert_cmphex(be32_to_cpu(dma.control), ==, 0);  /* done, no error */
    blob = g_malloc(size);
    qtest_memread(d->qts, ACPI_BUF + 0x1000, blob, size);
    *len = size;
    return blob;
}

/* fw_cfg's "etc/acpi/tables" (dmar_fw_cfg_file()) holds it */
uint8_t *dmar_acpi_table(QDmar *d, size_t *len)
{
    size_t size;
    g_autofree uint8_t *blob = dmar_fw_cfg_file(d, "etc/acpi/tables",
                                                &size);
    uint8_t *table = NULL;

    /*
     * The firmware's linker/loader fills in checksums and pointers: find
     * the table by its header (signature, length, revision 1).
     */
    for (uint32_t i = 0; i + 48 <= size; i++) {
        uint32_t tlen = ldl_le_p(blob + i + 4);

        if (!memcmp(blob + i, "DMAR", 4) && tlen >= 48 &&
            tlen <= size - i && blob[i + 8] == 1) {
            g_assert_null(table);
            table = g_memdup2(blob + i, tlen);
            *len = tlen;
        }
    }
    if (!table) {
        g_test_message("etc/acpi/tables: %zu bytes, starting %.4s", size,
                       (const char *)blob);
    }
    g_assert_nonnull(table);
    return table;
}

unsigned dmar_haw(QDmar *d)
{
    size_t len;
    g_autofree uint8_t *t = dmar_acpi_table(d, &len);

    g_assert_cmpuint(t[36], >=, 38);
    g_assert_cmpuint(t[36], <=, 63);
    return t[36] + 1;
}

uint64_t dmar_haw_mask(QDmar *d)
{
    return (1ull << dmar_haw(d)) - 1;
}

/* ---- several units (issue 16) ---- */

uint64_t dmar_base(QDmar *d)
{
    return d->base ? d->base : DMAR_BASE;
}

/* ---- migration ---- */

char *dmar_migration_end(QTestState *qts)
{
    for (int i = 0; i < 6000; i++) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-migrate' }");
        QDict *ret = qdict_get_qdict(rsp, "return");
        const char *st = ret ? qdict_get_try_str(ret, "status") : NULL;
        char *end = NULL;

        g_assert_nonnull(ret);
        if (st && (!strcmp(st, "completed") || !strcmp(st, "failed"))) {
            const char *err = qdict_get_try_str(ret, "error-desc");

            if (err) {
                g_test_message("migration: %s", err);
            }
            end = g_strdup(st);
        }
        qobject_unref(rsp);
        if (end) {
            return end;
        }
        g_usleep(10 * 1000);
    }
    g_assert_not_reached();
}

QDmar *dmar_migrate_to(QDmar *src, const char *args)
{
    QDmar *dst = g_new0(QDmar, 1);
    g_autofree char *path = g_strdup_printf("%s/vtd-dmar-mig-%d.sock",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("unix:%s", path);
    g_autofree char *src_st = NULL;
    g_autofree char *dst_st = NULL;

    *dst = *src;
    dst->bus = NULL;
    dst->edu = NULL;
    dst->qts = qtest_initf("-M q35 %s -incoming defer", args);
    /* a stream the unit refuses is a failed migration, not an exit */
    qtest_qmp_assert_success(dst->qts, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s, "
                             "'exit-on-error': false } }", uri);
    qtest_qmp_assert_success(src->qts, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    src_st = dmar_migration_end(src->qts);
    dst_st = dmar_migration_end(dst->qts);
    unlink(path);
    if (!strcmp(dst_st, "failed")) {
        qtest_quit(dst->qts);
        g_free(dst);
        return NULL;
    }
    g_assert_cmpstr(src_st, ==, "completed");
    g_assert_cmpstr(dst_st, ==, "completed");
    qtest_qmp_eventwait(dst->qts, "RESUME");
    return dst;
}

/* ---- QEMU's log in a file, the notifier probe ---- */

/*
 * Boot with PROPS and QEMU's log (LOG_OPTS, e.g. "-d guest_errors" or
 * "-trace dmar_devtlb_inv") going to a new temporary file, whose name
 * goes to *LOG; dmar_log_text() reads it back (after dmar_free(), which
 * flushes it) and removes it.
 */
QDmar *dmar_boot_log(const char *props, const char *log_opts, char **log)
{
    g_autofree char *extra = NULL;
    int fd = g_file_open_tmp("vtd-dmar-log-XXXXXX", log, NULL);

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    extra = g_strdup_printf("%s -D %s", log_opts, *log);
    return dmar_boot_full(props, extra, false);
}

char *dmar_log_text(const char *log)
{
    char *text = NULL;

    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    unlink(log);
    return text;
}

/* A string property of the x-vtd-dmar-unmap-probe at PATH */
char *dmar_probe_str(QDmar *d, const char *path, const char *prop)
{
    QDict *rsp = qtest_qmp(d->qts, "{ 'execute': 'qom-get', 'arguments': "
                           "{ 'path': %s, 'property': %s } }", path, prop);
    char *v;

    g_assert(qdict_haskey(rsp, "return"));
    v = g_strdup(qdict_get_str(rsp, "return"));
    qobject_unref(rsp);
    return v;
}

/* The probe's events since the last call, and forget them */
char *dmar_probe_take(QDmar *d, const char *path)
{
    char *ev = dmar_probe_str(d, path, "events");

    qtest_qmp_assert_success(d->qts, "{ 'execute': 'qom-set', 'arguments': "
                             "{ 'path': %s, 'property': 'clear', "
                             "'value': true } }", path);
    return ev;
}

uint64_t dmar_queue_stat(QDmar *d, const char *name)
{
    QDict *rsp = qtest_qmp(d->qts, "{ 'execute': 'query-vtd-dmar' }");
    QList *units = qdict_get_qlist(rsp, "return");
    QDict *q = qdict_get_qdict(qobject_to(QDict, qlist_peek(units)),
                               "queue");
    uint64_t v = qdict_get_int(q, name);

    qobject_unref(rsp);
    return v;
}

uint64_t dmar_iotlb_stat(QDmar *d, const char *name)
{
    QDict *rsp = qtest_qmp(d->qts, "{ 'execute': 'query-vtd-dmar' }");
    QList *units = qdict_get_qlist(rsp, "return");
    QList *caches = qdict_get_qlist(qobject_to(QDict, qlist_peek(units)),
                                    "caches");
    QDict *c = qobject_to(QDict, qlist_peek(caches));
    uint64_t v;

    g_assert_cmpstr(qdict_get_str(c, "name"), ==, "iotlb");
    v = qdict_get_int(c, name);
    qobject_unref(rsp);
    return v;
}
