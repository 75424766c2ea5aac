/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest for vtd-dmar: virtio rings behind the unit. virtio-blk (00:05.0)
 * is driven as a driver would, through its modern PCI capabilities,
 * with its rings and buffers at IOVAs: QEMU's own DMA paths (ring
 * caches) through the unit.
 * Plumbing in libqos/vtd-dmar.h; vtd-dmar-qtest.h says how the tests
 * work.
 */
#include "qemu/osdep.h"
#include "standard-headers/linux/virtio_blk.h"
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_pci.h"
#include "standard-headers/linux/virtio_ring.h"
#include "vtd-dmar-qtest.h"

/* ================= virtio rings behind the unit ================= */

/*
 * virtio reaches its rings through MemoryRegionCaches, which behind an
 * IOMMU translate on each access. A used element ({id, len}, 8 bytes)
 * that starts 4 bytes before the end of an IOVA page is written to two
 * pages: its len belongs at the start of the page the next IOVA page
 * maps to, not in the page that physically follows the first one
 * (patches/0006). Every ring and buffer below is at an IOVA whose page
 * maps to a page of our choosing; none of them is identity-mapped.
 */

#define VBLK_DEVFN      0x28            /* 00:05.0, source-id 0x0028 */
#define VBLK_DOMAIN     0x43
#define VBLK_SECTORS    4               /* the disk image */
#define VBLK_SECTOR     2               /* the one the request reads */
#define VQ_NUM          16              /* queue size the driver sets */
#define VQ_HEAD         5               /* the request's first descriptor */

#define VQ_IOVA_DESC    0x40000000ull
#define VQ_PA_DESC      0x01005000ull
#define VQ_IOVA_AVAIL   0x40001000ull
#define VQ_PA_AVAIL     0x01003000ull
#define VQ_IOVA_HDR     0x40002000ull   /* the request header */
#define VQ_PA_HDR       0x01000000ull
#define VQ_IOVA_BUF     0x40003000ull   /* data and status bytes */
#define VQ_PA_BUF       0x01007000ull
#define VQ_DATA_OFF     0x100
#define VQ_STATUS_OFF   0x800
/* The used ring: ring[0] is at IOVA 0x40010ffc..0x40011003 */
#define VQ_IOVA_USED    0x40010ff8ull
#define VQ_IOVA_USED_P  0x40010000ull   /* -> A */
#define VQ_PA_USED_A    0x01010000ull
#define VQ_PA_USED_C    0x01002000ull   /* <- VQ_IOVA_USED_P + 4 KiB */
#define VQ_PA_CANARY    0x01011000ull   /* A + 4 KiB: nobody's page */

#define VQ_USED_OFF     (VQ_IOVA_USED - VQ_IOVA_USED_P)

typedef struct Vblk {
    QPCIDevice *dev;
    QPCIBar bar;            /* holds the common and notify structures */
    uint32_t common;        /* their offsets in it */
    uint32_t notify;        /* queue 0's notify address, once set up */
    uint32_t notify_mult;
} Vblk;

/* The vendor capability of CFG_TYPE (virtio 1.x, 4.1.4) */
static uint8_t vblk_cap(Vblk *v, uint8_t cfg_type)
{
    uint8_t cap = 0;

    while ((cap = qpci_find_capability(v->dev, PCI_CAP_ID_VNDR, cap))) {
        if (qpci_config_readb(v->dev, cap + VIRTIO_PCI_CAP_CFG_TYPE) ==
            cfg_type) {
            return cap;
        }
    }
    g_test_message("virtio-blk has no capability of type %u", cfg_type);
    g_assert_not_reached();
}

static void vblk_attach(QDmar *d, Vblk *v)
{
    uint8_t common, notify, bar;

    v->dev = qpci_device_find(d->bus, VBLK_DEVFN);
    g_assert_nonnull(v->dev);
    /* 1af4:1042, the modern-only virtio-blk */
    g_assert_cmphex(qpci_config_readl(v->dev, PCI_VENDOR_ID), ==,
                    0x10421af4);
    qpci_device_enable(v->dev);
    common = vblk_cap(v, VIRTIO_PCI_CAP_COMMON_CFG);
    notify = vblk_cap(v, VIRTIO_PCI_CAP_NOTIFY_CFG);
    bar = qpci_config_readb(v->dev, common + VIRTIO_PCI_CAP_BAR);
    g_assert_cmpuint(qpci_config_readb(v->dev, notify + VIRTIO_PCI_CAP_BAR),
                     ==, bar);
    v->bar = qpci_iomap(v->dev, bar, NULL);
    v->common = qpci_config_readl(v->dev, common + VIRTIO_PCI_CAP_OFFSET);
    v->notify = qpci_config_readl(v->dev, notify + VIRTIO_PCI_CAP_OFFSET);
    v->notify_mult = qpci_config_readl(v->dev,
                                       notify + VIRTIO_PCI_NOTIFY_CAP_MULT);
}

static uint8_t vblk_status(Vblk *v)
{
    return qpci_io_readb(v->dev, v->bar, v->common + VIRTIO_PCI_COMMON_STATUS);
}

static void vblk_set_status(Vblk *v, uint8_t status)
{
    qpci_io_writeb(v->dev, v->bar, v->common + VIRTIO_PCI_COMMON_STATUS,
                   status);
    g_assert_cmphex(vblk_status(v), ==, status);
}

static void vblk_wl(Vblk *v, unsigned off, uint32_t val)
{
    qpci_io_writel(v->dev, v->bar, v->common + off, val);
}

static void vblk_ww(Vblk *v, unsigned off, uint16_t val)
{
    qpci_io_writew(v->dev, v->bar, v->common + off, val);
}

/* A 64-bit queue address: two 32-bit registers, low first */
static void vblk_wq(Vblk *v, unsigned lo, uint64_t val)
{
    vblk_wl(v, lo, val);
    vblk_wl(v, lo + 4, val >> 32);
}

/* Driver initialization (virtio 1.x, 3.1.1) with queue 0 at our IOVAs */
static void vblk_start(Vblk *v)
{
    const uint32_t hi = 1u << (VIRTIO_F_VERSION_1 - 32) |
                        1u << (VIRTIO_F_ACCESS_PLATFORM - 32);
    uint8_t status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
    uint16_t noff;

    vblk_set_status(v, 0);
    vblk_set_status(v, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    vblk_set_status(v, status);
    vblk_wl(v, VIRTIO_PCI_COMMON_DFSELECT, 1);
    g_assert_cmphex(qpci_io_readl(v->dev, v->bar,
                                  v->common + VIRTIO_PCI_COMMON_DF) & hi,
                    ==, hi);
    /* bits 31:0 stay clear: no event index, no optional request types */
    vblk_wl(v, VIRTIO_PCI_COMMON_GFSELECT, 0);
    vblk_wl(v, VIRTIO_PCI_COMMON_GF, 0);
    vblk_wl(v, VIRTIO_PCI_COMMON_GFSELECT, 1);
    vblk_wl(v, VIRTIO_PCI_COMMON_GF, hi);
    status |= VIRTIO_CONFIG_S_FEATURES_OK;
    vblk_set_status(v, status);

    vblk_ww(v, VIRTIO_PCI_COMMON_Q_SELECT, 0);
    g_assert_cmpuint(qpci_io_readw(v->dev, v->bar,
                                   v->common + VIRTIO_PCI_COMMON_Q_SIZE),
                     >=, VQ_NUM);
    vblk_ww(v, VIRTIO_PCI_COMMON_Q_SIZE, VQ_NUM);
    vblk_wq(v, VIRTIO_PCI_COMMON_Q_DESCLO, VQ_IOVA_DESC);
    vblk_wq(v, VIRTIO_PCI_COMMON_Q_AVAILLO, VQ_IOVA_AVAIL);
    vblk_wq(v, VIRTIO_PCI_COMMON_Q_USEDLO, VQ_IOVA_USED);
    vblk_ww(v, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
    noff = qpci_io_readw(v->dev, v->bar,
                         v->common + VIRTIO_PCI_COMMON_Q_NOFF);
    v->notify += noff * v->notify_mult;
    status |= VIRTIO_CONFIG_S_DRIVER_OK;
    vblk_set_status(v, status);
}

/* Descriptor I of the table, written through its guest-physical page */
static void vq_desc(QDmar *d, unsigned i, uint64_t addr, uint32_t len,
                    uint16_t flags, uint16_t next)
{
    uint64_t a = VQ_PA_DESC + i * sizeof(struct vring_desc);

    qtest_writeq(d->qts, a + offsetof(struct vring_desc, addr), addr);
    qtest_writel(d->qts, a + offsetof(struct vring_desc, len), len);
    qtest_writew(d->qts, a + offsetof(struct vring_desc, flags), flags);
    qtest_writew(d->qts, a + offsetof(struct vring_desc, next), next);
}

static void page_fill(QDmar *d, uint64_t pa, uint8_t seed)
{
    uint8_t buf[0x1000];

    dmar_pattern(buf, sizeof(buf), seed);
    qtest_memwrite(d->qts, pa, buf, sizeof(buf));
}

/* Bytes FROM..TO-1 of the page at PA still hold pattern SEED */
static void assert_page_kept(QDmar *d, const char *what, uint64_t pa,
                             uint8_t seed, unsigned from, unsigned to)
{
    uint8_t want[0x1000], got[0x1000];

    dmar_pattern(want, sizeof(want), seed);
    qtest_memread(d->qts, pa, got, sizeof(got));
    for (unsigned i = from; i < to; i++) {
        if (got[i] != want[i]) {
            g_test_message("%s (0x%" PRIx64 "): byte 0x%03x written, "
                           "dword 0x%03x now 0x%08x", what, pa, i, i & ~3u,
                           qtest_readl(d->qts, pa + (i & ~3u)));
        }
        g_assert_cmphex(got[i], ==, want[i]);
    }
}

/* Poll the used index through its guest-physical address */
static void vq_wait_used(QDmar *d, Vblk *v, uint16_t want)
{
    uint64_t idx_pa = VQ_PA_USED_A + VQ_USED_OFF +
                      offsetof(struct vring_used, idx);
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    uint16_t idx;

    while ((idx = qtest_readw(d->qts, idx_pa)) != want) {
        if (g_get_monotonic_time() > end) {
            g_test_message("used idx still %u after 10 s (want %u); "
                           "device status 0x%02x", idx, want,
                           vblk_status(v));
            break;
        }
        qtest_clock_step(d->qts, 100 * 1000);
    }
    g_assert_cmpuint(idx, ==, want);
}

/* A raw image of SECTORS sectors, sector S holding pattern SEED + S */
static char *vblk_image(unsigned sectors, uint8_t seed)
{
    uint8_t sector[512];
    char *img = NULL;
    int fd = g_file_open_tmp("vtd-dmar-blk-XXXXXX", &img, NULL);

    g_assert_cmpint(fd, >=, 0);
    for (unsigned s = 0; s < sectors; s++) {
        dmar_pattern(sector, sizeof(sector), seed + s);
        g_assert_cmpint(write(fd, sector, sizeof(sector)), ==,
                        sizeof(sector));
    }
    close(fd);
    return img;
}

/*
 * QEMU (REF: the reference binary) with DEVICE, edu, and virtio-blk on
 * IMG (removed once open); fresh tables in which edu keeps an empty
 * domain and virtio-blk gets one of its own, with its rings and request
 * header mapped, the descriptor table and the available ring zeroed.
 */
static QDmar *vblk_boot(bool ref, const char *device, const char *img)
{
    g_autofree char *args = NULL;
    QDmar *d = g_new0(QDmar, 1);

    args = g_strdup_printf("-M q35 -device %s %s "
                           "-blockdev driver=file,node-name=d0,filename=%s "
                           "-device virtio-blk-pci,addr=05.0,drive=d0,"
                           "disable-legacy=on,iommu_platform=on",
                           device, dmar_edu_args(false), img);
    d->qts = qtest_init_with_env(ref ? "VTD_DMAR_REF_QEMU"
                                     : "QTEST_QEMU_BINARY", args, true);
    unlink(img);                        /* QEMU has it open */
    d->pool = PT_POOL;
    dmar_edu_attach(d);

    dmar_tables_init(d, 4, 0);
    d->slpt = dmar_table_new(d);
    qtest_writeq(d->qts, CTX_TABLE + VBLK_DEVFN * 16, d->slpt | CTX_P);
    qtest_writeq(d->qts, CTX_TABLE + VBLK_DEVFN * 16 + 8,
                 CTX_AW(4) | CTX_DID(VBLK_DOMAIN));
    dmar_map(d, VQ_IOVA_DESC, VQ_PA_DESC, 1, PTE_R);
    dmar_map(d, VQ_IOVA_AVAIL, VQ_PA_AVAIL, 1, PTE_R);
    dmar_map(d, VQ_IOVA_HDR, VQ_PA_HDR, 1, PTE_R);
    dmar_map(d, VQ_IOVA_USED_P, VQ_PA_USED_A, 1, PTE_RW);
    dmar_map(d, VQ_IOVA_USED_P + 0x1000, VQ_PA_USED_C, 1, PTE_RW);
    qtest_memset(d->qts, VQ_PA_DESC, 0, 0x1000);
    qtest_memset(d->qts, VQ_PA_AVAIL, 0, 0x1000);
    return d;
}

/*
 * Request N (0, 1, ...): read LEN bytes from SECTOR into DATA (an IOVA),
 * its status byte at VQ_IOVA_BUF + VQ_STATUS_OFF, made available
 */
static void vq_read(QDmar *d, uint16_t n, uint64_t sector, uint64_t data,
                    uint32_t len)
{
    uint64_t avail = VQ_PA_AVAIL + offsetof(struct vring_avail, ring);

    qtest_writel(d->qts, VQ_PA_HDR + offsetof(struct virtio_blk_outhdr, type),
                 VIRTIO_BLK_T_IN);
    qtest_writel(d->qts,
                 VQ_PA_HDR + offsetof(struct virtio_blk_outhdr, ioprio), 0);
    qtest_writeq(d->qts,
                 VQ_PA_HDR + offsetof(struct virtio_blk_outhdr, sector),
                 sector);
    vq_desc(d, VQ_HEAD, VQ_IOVA_HDR, sizeof(struct virtio_blk_outhdr),
            VRING_DESC_F_NEXT, VQ_HEAD + 1);
    vq_desc(d, VQ_HEAD + 1, data, len, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
            VQ_HEAD + 2);
    vq_desc(d, VQ_HEAD + 2, VQ_IOVA_BUF + VQ_STATUS_OFF, 1,
            VRING_DESC_F_WRITE, 0);
    qtest_writew(d->qts, avail + (n % VQ_NUM) * 2, VQ_HEAD);
    qtest_writew(d->qts, VQ_PA_AVAIL + offsetof(struct vring_avail, idx),
                 n + 1);
}

/*
 * The same on QEMU 11.1's physmem, through its intel-iommu (the reference
 * binary, VTD_DMAR_REF_QEMU): whether it still needs patches/0006. It
 * does: 11.1.3 writes ring[0].len into the page after A. That case
 * asserts the bug, so it fails, and says so, once upstream fixes it.
 */
typedef struct CrossingCase {
    bool ref;               /* on the reference binary, not ours */
    const char *device;
    bool upstream_bug;      /* the len lands in the page after A */
} CrossingCase;

static const CrossingCase crossing_ours = {
    false, "vtd-dmar,intremap=off", false
};
static const CrossingCase crossing_ref = {
    true, "intel-iommu,intremap=off", true
};

static void test_virtio_used_crossing(const void *opaque)
{
    const CrossingCase *c = opaque;
    uint8_t disk[512], got[512];
    g_autofree char *img = NULL;
    const uint64_t used_a = VQ_PA_USED_A + VQ_USED_OFF;
    Vblk v = { 0 };
    QDmar *d;

    if (c->ref && !dmar_have_ref_qemu()) {
        return;
    }
    /* a small raw image, every sector a different pattern */
    img = vblk_image(VBLK_SECTORS, 0x30);
    dmar_pattern(disk, sizeof(disk), 0x30 + VBLK_SECTOR);
    d = vblk_boot(c->ref, c->device, img);
    dmar_map(d, VQ_IOVA_BUF, VQ_PA_BUF, 1, PTE_W);

    /* A, C and the page after A hold patterns; used flags and idx are 0 */
    page_fill(d, VQ_PA_USED_A, 0xa0);
    page_fill(d, VQ_PA_USED_C, 0xc0);
    page_fill(d, VQ_PA_CANARY, 0x5a);
    qtest_writew(d->qts, used_a + offsetof(struct vring_used, flags), 0);
    qtest_writew(d->qts, used_a + offsetof(struct vring_used, idx), 0);
    qtest_memset(d->qts, VQ_PA_BUF, 0xee, 0x1000);

    /* one read of sector VBLK_SECTOR: header, data, status */
    vq_read(d, 0, VBLK_SECTOR, VQ_IOVA_BUF + VQ_DATA_OFF, 512);

    dmar_enable(d, ROOT_TABLE);
    vblk_attach(d, &v);
    vblk_start(&v);
    qpci_io_writew(v.dev, v.bar, v.notify, 0);
    vq_wait_used(d, &v, 1);

    /* the request was done, through the tables */
    g_assert_cmphex(qtest_readb(d->qts, VQ_PA_BUF + VQ_STATUS_OFF), ==,
                    VIRTIO_BLK_S_OK);
    qtest_memread(d->qts, VQ_PA_BUF + VQ_DATA_OFF, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), disk, 512);
    g_assert_cmphex(qtest_readb(d->qts, VQ_PA_BUF + VQ_DATA_OFF + 512), ==,
                    0xee);
    g_assert_cmphex(qtest_readb(d->qts, VQ_PA_BUF + VQ_STATUS_OFF + 1), ==,
                    0xee);

    /* ring[0].id: the last 4 bytes of A */
    g_assert_cmphex(qtest_readw(d->qts, used_a +
                                offsetof(struct vring_used, flags)), ==, 0);
    g_assert_cmphex(qtest_readl(d->qts, used_a +
                                offsetof(struct vring_used, ring)), ==,
                    VQ_HEAD);
    if (c->upstream_bug) {
        /* patches/0006 is still needed: if this fails, drop it */
        g_assert_cmphex(qtest_readl(d->qts, VQ_PA_CANARY), ==, 513);
        g_test_message("QEMU 11.1 wrote ring[0].len into the page after A");
        g_free(v.dev);
        dmar_free(d);
        return;
    }
    /*
     * ring[0].len, 512 data bytes and the status byte: at the start of C,
     * not in the page that physically follows A
     */
    assert_page_kept(d, "the page after A", VQ_PA_CANARY, 0x5a, 0, 0x1000);
    g_assert_cmphex(qtest_readl(d->qts, VQ_PA_USED_C), ==, 513);
    /* and nothing else moved */
    assert_page_kept(d, "A", VQ_PA_USED_A, 0xa0, 0, VQ_USED_OFF);
    assert_page_kept(d, "C", VQ_PA_USED_C, 0xc0, 4, 0x1000);
    dmar_assert_no_fault(d);

    g_free(v.dev);
    dmar_free(d);
}

/*
 * x-run-answers: a 256 KiB read into a buffer mapped contiguously (and
 * aligned) is answered as one run of pages, where page answers take 64
 * lookups; the data lands either way. A page of the run remapped and
 * invalidated leaves the run: the next read writes that page where the
 * tables now say, and not in the page that physically follows its
 * neighbours.
 */
#define RUN_SECTORS     512             /* 256 KiB */
#define RUN_IOVA        0x40400000ull   /* 256 KiB aligned */
#define RUN_PA          0x01040000ull   /* ... and its pages, in order */
#define RUN_PA_MOVED    0x01100000ull   /* page 20, remapped */
#define RUN_LEN         (RUN_SECTORS * 512)

/* The read of request N; the IOTLB's hits it took */
static uint64_t run_read(QDmar *d, Vblk *v, uint16_t n)
{
    uint64_t hits = dmar_iotlb_stat(d, "hits");

    qtest_memset(d->qts, RUN_PA, 0xee, RUN_LEN);
    qtest_memset(d->qts, RUN_PA_MOVED, 0xee, 0x1000);
    qtest_writeb(d->qts, VQ_PA_BUF + VQ_STATUS_OFF, 0xff);
    vq_read(d, n, 0, RUN_IOVA, RUN_LEN);
    if (!n) {
        dmar_enable(d, ROOT_TABLE);
        vblk_attach(d, v);
        vblk_start(v);
    }
    qpci_io_writew(v->dev, v->bar, v->notify, 0);
    vq_wait_used(d, v, n + 1);
    g_assert_cmphex(qtest_readb(d->qts, VQ_PA_BUF + VQ_STATUS_OFF), ==,
                    VIRTIO_BLK_S_OK);
    return dmar_iotlb_stat(d, "hits") - hits;
}

/* Page P of the read holds its sectors (at PA) */
static void assert_run_page(QDmar *d, unsigned p, uint64_t pa)
{
    uint8_t want[512], got[512];

    for (unsigned s = 0; s < 8; s++) {
        dmar_pattern(want, sizeof(want), 0x40 + p * 8 + s);
        qtest_memread(d->qts, pa + s * 512, got, sizeof(got));
        g_assert_cmpmem(got, sizeof(got), want, sizeof(want));
    }
}

/* The hits a first 256 KiB read takes, with RUNS or without */
static uint64_t run_hits(bool runs, QDmar **keep, Vblk *v)
{
    g_autofree char *img = vblk_image(RUN_SECTORS, 0x40);
    QDmar *d = vblk_boot(false, runs ? "vtd-dmar,intremap=off" :
                         "vtd-dmar,intremap=off,x-run-answers=off", img);
    uint64_t hits;

    dmar_map(d, VQ_IOVA_BUF, VQ_PA_BUF, 1, PTE_W);
    for (unsigned p = 0; p < RUN_LEN / 0x1000; p++) {
        dmar_map(d, RUN_IOVA + p * 0x1000ull, RUN_PA + p * 0x1000ull, 1,
                 PTE_W);
    }
    hits = run_read(d, v, 0);
    for (unsigned p = 0; p < RUN_LEN / 0x1000; p++) {
        assert_run_page(d, p, RUN_PA + p * 0x1000ull);
    }
    dmar_assert_no_fault(d);
    if (keep) {
        *keep = d;
    } else {
        g_free(v->dev);
        dmar_free(d);
    }
    return hits;
}

static void test_virtio_runs(void)
{
    Vblk v = { 0 }, w = { 0 };
    uint64_t pages = run_hits(false, NULL, &w), runs;
    QDmar *d;

    runs = run_hits(true, &d, &v);
    /*
     * The ring's and the request's own pages take the same lookups
     * either way; the data's 64 pages take one miss, then 63 hits as
     * pages, one as a run.
     */
    g_test_message("IOTLB hits: %" PRIu64 " with page answers, %" PRIu64
                   " with runs", pages, runs);
    g_assert_cmpuint(pages - runs, ==, 62);

    /* page 20 elsewhere, invalidated: the run stops short of it */
    dmar_map(d, RUN_IOVA + 20 * 0x1000ull, RUN_PA_MOVED, 1, PTE_W);
    dmar_iotlb_inv(d, GRAN_PAGE, VBLK_DOMAIN, RUN_IOVA + 20 * 0x1000ull);
    run_read(d, &v, 1);
    for (unsigned p = 0; p < RUN_LEN / 0x1000; p++) {
        assert_run_page(d, p, p == 20 ? RUN_PA_MOVED
                                      : RUN_PA + p * 0x1000ull);
    }
    g_assert_cmphex(qtest_readl(d->qts, RUN_PA + 20 * 0x1000ull), ==,
                    0xeeeeeeee);
    dmar_assert_no_fault(d);
    g_free(v.dev);
    dmar_free(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_data_func("/vtd-dmar/virtio/used-elem-crosses-iova-page",
                        &crossing_ours, test_virtio_used_crossing);
    qtest_add_data_func("/vtd-dmar/virtio/used-elem-crosses-iova-page/"
                        "intel-iommu-11.1", &crossing_ref,
                        test_virtio_used_crossing);
    qtest_add_func("/vtd-dmar/virtio/run-answers", test_virtio_runs);

    return g_test_run();
}
