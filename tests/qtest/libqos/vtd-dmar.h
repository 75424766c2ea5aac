/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqos helper for the vtd-dmar VT-d remapping unit on q35: its
 * registers and in-memory formats, translation tables built in guest
 * RAM, DMA and MSIs from the edu device, register-based and queued
 * invalidation, interrupt remapping, and the ACPI DMAR table.
 *
 * No firmware runs under the qtest accelerator, so guest RAM is the
 * test's: the helper builds root, context and second-level tables there
 * and edu at 00:04.0 (source-id EDU_SID) does DMA through the unit.
 *
 * Guest RAM the helper uses (the default -m 128M holds it all):
 *   ROOT_TABLE, CTX_TABLE      the root table and bus 0's context table
 *   PT_POOL .. PT_POOL_END     second-level table pages (dmar_table_new())
 *   IQ_SYNC                    dmar_qi_sync()'s status dword
 *   ACPI_BUF                   dmar_acpi_table()'s fw_cfg DMA buffer
 * A test keeps its own data elsewhere.
 */
#ifndef TESTS_LIBQOS_VTD_DMAR_H
#define TESTS_LIBQOS_VTD_DMAR_H

#include "../libqtest.h"
#include "pci.h"
#include "vtd-dmar-defs.h"

/* q35's IOAPIC (its source-id: IOAPIC_SID) */
#define IOAPIC_BASE     0xfec00000ull
#define IOAPIC_PATH     "/machine/q35/ioapic"

/* ---- guest RAM the helper uses ---- */

#define ACPI_BUF        0x06000000ull   /* dmar_acpi_table()'s buffer */

/* ---- edu (docs/specs/edu.rst) at 00:04.0, in domain DOMAIN ---- */

#define EDU_DMA_SRC     0x80
#define EDU_DMA_DST     0x88
#define EDU_DMA_CNT     0x90
#define EDU_DMA_CMD     0x98
#define EDU_CMD_START   0x1
#define EDU_CMD_TO_RAM  0x2
#define EDU_IRQ_RAISE   0x60
#define EDU_IRQ_ACK     0x64
#define EDU_BUF         0x40000
#define EDU_BUF_SIZE    4096
#define XFER            64              /* bytes moved by one test DMA */

/* A q35 machine with a vtd-dmar unit and edu at 00:04.0 */
typedef struct QDmar {
    QTestState *qts;
    QPCIBus *bus;
    QPCIDevice *edu;
    QPCIBar bar;
    uint64_t pool;      /* next free page-table page */
    uint64_t slpt;      /* top-level second-level table */
    unsigned levels;    /* depth of the tables at slpt */
    uint64_t iq_base;   /* the invalidation queue, as software set it up */
    unsigned iq_entries;
    unsigned iq_tail;   /* where software writes the next descriptor */
    uint32_t iq_seq;    /* makes every dmar_qi_sync() status value new */
    uint64_t base;      /* the unit's registers; 0: DMAR_BASE */
} QDmar;

/* ---- the machine ---- */

/* edu's -device argument; NARROW keeps its 28-bit DMA mask */
const char *dmar_edu_args(bool narrow);
/* Start q35 with EXTRA, -device vtd-dmar[,PROPS] and edu */
QTestState *dmar_qemu(const char *props, const char *extra, bool narrow);
/* Find and enable edu at 00:04.0 (d->bus, d->edu, d->bar), and let go */
void dmar_edu_attach(QDmar *d);
void dmar_edu_detach(QDmar *d);
/* A QDmar for the machine QTS runs (with edu at 00:04.0) */
QDmar *dmar_attach(QTestState *qts);
QDmar *dmar_boot_full(const char *props, const char *extra, bool narrow);
QDmar *dmar_boot(const char *props);
/* Detach, quit the machine and free D */
void dmar_free(QDmar *d);
/*
 * Start the binary under test as a user would, with EXTRA and -device
 * vtd-dmar[,PROPS] (its monitor's "quit" ends it if it started). Returns
 * the exit status (1: refused); *ERR gets what it printed on stderr.
 */
int dmar_start_status(const char *extra, const char *props, char **err);
/* The same with the whole command line ARGS (-M ... and every device) */
int dmar_run_status(const char *args, char **err);

/* ---- registers ---- */

uint32_t dmar_rd32(QDmar *d, unsigned off);
uint64_t dmar_rd64(QDmar *d, unsigned off);
void dmar_wr32(QDmar *d, unsigned off, uint32_t v);
void dmar_wr64(QDmar *d, unsigned off, uint64_t v);
/* Registers 0x000..0x27f as 32-bit words, into W[SNAP_WORDS] */
void dmar_snapshot(QDmar *d, uint32_t *w);
void dmar_assert_same_regs(const uint32_t *a, const uint32_t *b);
/*
 * Write GCMD like Linux does: the persistent bits (TE, QIE, IRE, CFI) as
 * GSTS has them, less CLEAR, plus SET.
 */
void dmar_gcmd_update(QDmar *d, uint32_t set, uint32_t clear);
/* FSTS, with FRI masked while PPF is clear: it is only valid with PPF */
uint32_t dmar_fsts(QDmar *d);

/* ---- data patterns, and edu's DMA ---- */

/* LEN bytes of the pattern SEED */
void dmar_pattern(uint8_t *buf, size_t len, uint8_t seed);
/* XFER bytes of pattern SEED at PA; whether PA holds them; zeroes */
void dmar_fill(QDmar *d, uint64_t pa, uint8_t seed);
bool dmar_holds(QDmar *d, uint64_t pa, uint8_t seed);
void dmar_zero(QDmar *d, uint64_t pa);
/* One edu DMA of LEN bytes, run to its end (TO_RAM: buffer -> DST) */
void dmar_edu_dma(QDmar *d, uint64_t src, uint64_t dst, uint64_t len,
                  bool to_ram);
/* XFER bytes: RAM at IOVA -> edu buffer */
void dmar_dma_in(QDmar *d, uint64_t iova);
/* XFER bytes: edu buffer -> RAM at IOVA */
void dmar_dma_out(QDmar *d, uint64_t iova);
/* dmar_dma_in(FROM), then dmar_dma_out(TO) */
void dmar_copy(QDmar *d, uint64_t from, uint64_t to);

/* ---- translation tables ---- */

/* A zeroed page from the pool */
uint64_t dmar_table_new(QDmar *d);
/* Bus 0's root entry; edu's context entry */
void dmar_set_root(QDmar *d, uint64_t lo, uint64_t hi);
void dmar_set_ctx(QDmar *d, uint64_t lo, uint64_t hi);
uint64_t dmar_ctx_lo(QDmar *d);
uint64_t dmar_ctx_hi(QDmar *d);
/*
 * Fresh root and context tables with edu's context pointing at a new,
 * empty LEVELS-deep second-level table (domain DOMAIN).
 */
void dmar_tables_init(QDmar *d, unsigned levels, uint64_t lo_flags);
/* Guest address of the LEVEL entry for IOVA; creates missing tables. */
uint64_t dmar_pte_slot(QDmar *d, uint64_t iova, unsigned level);
void dmar_set_pte(QDmar *d, uint64_t iova, unsigned level, uint64_t pte);
/* Map IOVA to PA with a leaf at LEVEL (2: 2 MiB page, 3: 1 GiB page) */
void dmar_map(QDmar *d, uint64_t iova, uint64_t pa, unsigned level,
              uint64_t perm);
/* Latch RTA (SRTP), then translation on (TE) */
void dmar_enable(QDmar *d, uint64_t rta);

/* ---- register-based invalidation; both return the register ---- */

uint64_t dmar_iotlb_inv(QDmar *d, unsigned gran, uint16_t did,
                        uint64_t iva);
uint64_t dmar_ccmd_inv(QDmar *d, uint64_t cmd);

/* ---- queued invalidation ---- */

/* Set up a queue of 2^(QS + 8) descriptors at BASE and enable QI */
void dmar_qi_enable(QDmar *d, uint64_t base, unsigned qs);
/* Write descriptor LO:HI at index IDX */
void dmar_qi_put(QDmar *d, unsigned idx, uint64_t lo, uint64_t hi);
/* Write a descriptor at the software tail (IQT is not written yet) */
unsigned dmar_qi_push(QDmar *d, uint64_t lo, uint64_t hi);
/* A wait descriptor that writes DATA at ADDR, plus FLAGS (IF, FN) */
unsigned dmar_qi_push_wait(QDmar *d, uint64_t addr, uint32_t data,
                           uint64_t flags);
/* IQT := the software tail */
void dmar_qi_kick(QDmar *d);
/* The IQH/IQT value of descriptor IDX */
uint64_t dmar_iq_off(unsigned idx);
/* Submit a wait descriptor and check everything up to it is done */
void dmar_qi_sync(QDmar *d);
/* A wait descriptor asking for an interrupt (IF) and nothing else */
void dmar_qi_wait_if(QDmar *d);
void dmar_qi_iotlb(QDmar *d, unsigned gran, uint16_t did, uint64_t addr,
                   unsigned am);
void dmar_qi_cc(QDmar *d, unsigned gran, uint16_t did, uint16_t sid,
                unsigned fm);

/* ---- fault records ---- */

/* FRCD[I] holds a DMA fault of edu at IOVA, reason FR */
void dmar_assert_frcd(QDmar *d, unsigned i, uint64_t iova, uint8_t fr,
                      bool write);
void dmar_frcd_clear(QDmar *d, unsigned i);
/*
 * Exactly one fault record is pending, for an interrupt request: reason
 * FR, source-id SID, interrupt index INDEX in bits 63:48 of the lower
 * half (-1: not checked; bits 47:0 are 0 anyway). Clear it.
 */
void dmar_assert_ir_fault(QDmar *d, uint8_t fr, int index, uint16_t sid);
void dmar_assert_no_fault(QDmar *d);

/* ---- interrupt remapping ---- */

/* MSI address of interrupt HANDLE, remappable format (SHV as asked) */
uint32_t dmar_msi_remappable(uint32_t handle, bool shv);
/* Compatibility format, physical destination DEST */
uint32_t dmar_msi_compat(uint8_t dest);
/* edu sends one MSI with ADDR and DATA, programmed in its capability */
void dmar_edu_msi(QDmar *d, uint32_t addr, uint16_t data);
/*
 * Vector V in CPU 0's IRR, from "info lapic" (under qtest, APIC MMIO
 * reads have no current CPU and return nothing useful): -1 if not
 * pending, else 1 for level-triggered (TMR set), 0 for edge.
 */
int dmar_apic_irr(QDmar *d, uint8_t v);
void dmar_assert_delivered(QDmar *d, uint8_t v, bool level);
void dmar_assert_not_delivered(QDmar *d, uint8_t v);
/* Latch IRTA (SIRTP): the interrupt entry cache starts over too */
void dmar_ir_set_table(QDmar *d, uint64_t irta);
/* Table at IRTA, then remapping on; CFI as asked */
void dmar_ir_enable(QDmar *d, uint64_t irta, bool cfi);
void dmar_irte_put(QDmar *d, uint64_t table, uint32_t index, uint64_t lo,
                   uint64_t hi);
/* A fixed, edge-triggered IRTE for vector V to APIC 0 (xAPIC format) */
uint64_t dmar_irte_lo(uint8_t v);
/* IOAPIC redirection entry PIN (high half first: unmasked last) */
void dmar_ioapic_rte(QDmar *d, unsigned pin, uint64_t rte);
/* An edge on input PIN */
void dmar_ioapic_pulse(QDmar *d, unsigned pin);

/* ---- the DMAR table and the host address width ---- */

/* fw_cfg file NAME (g_free() it); its length in *LEN */
uint8_t *dmar_fw_cfg_file(QDmar *d, const char *name, size_t *len);
/* The DMAR table as QEMU built it (g_free() it); its length in *LEN */
uint8_t *dmar_acpi_table(QDmar *d, size_t *len);
/* The host address width, as the DMAR table reports it */
unsigned dmar_haw(QDmar *d);
/* Address bits below the host address width */
uint64_t dmar_haw_mask(QDmar *d);

/* ---- several units (issue 16) ---- */

/* Where D's registers are: D->base, or DMAR_BASE when that is 0 */
uint64_t dmar_base(QDmar *d);

/* ---- migration ---- */

/* How a migration ended on QTS: "completed" or "failed" (g_free() it) */
char *dmar_migration_end(QTestState *qts);
/*
 * Migrate SRC to a new machine started with -M q35 ARGS -incoming: a
 * QDmar for it (what software knows goes along; edu not attached yet),
 * or NULL when the destination refused the stream.
 */
QDmar *dmar_migrate_to(QDmar *src, const char *args);

/*
 * Boot with PROPS and QEMU's log (LOG_OPTS, e.g. "-d guest_errors" or
 * "-trace dmar_devtlb_inv") going to a new temporary file, whose name
 * goes to *LOG; dmar_log_text() reads it back (after dmar_free(), which
 * flushes it) and removes it.
 */
QDmar *dmar_boot_log(const char *props, const char *log_opts, char **log);
char *dmar_log_text(const char *log);
/* A string property of the x-vtd-dmar-unmap-probe at PATH */
char *dmar_probe_str(QDmar *d, const char *path, const char *prop);
/* The probe's events since the last call, and forget them */
char *dmar_probe_take(QDmar *d, const char *path);
/* query-vtd-dmar's figure NAME of the (first) unit's queue */
uint64_t dmar_queue_stat(QDmar *d, const char *name);
/* ... and of its IOTLB (hits, misses, lock-free-hits, ...) */
uint64_t dmar_iotlb_stat(QDmar *d, const char *name);

#endif
