/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU's edu device as the guest-side test programs (vtdtool.c,
 * nested.c) drive it: its register map (QEMU docs/specs/edu.rst).
 */
#ifndef TESTS_GUEST_EDU_H
#define TESTS_GUEST_EDU_H

#define EDU_ID          0x00
#define EDU_LIVE        0x04
#define EDU_IRQ_RAISE   0x60
#define EDU_IRQ_ACK     0x64
#define EDU_DMA_SRC     0x80
#define EDU_DMA_DST     0x88
#define EDU_DMA_CNT     0x90
#define EDU_DMA_CMD     0x98
#define EDU_CMD_RUN     0x1
#define EDU_CMD_TO_RAM  0x2
#define EDU_BUF         0x40000ul    /* the device's own DMA buffer */
#define EDU_DMA_LIMIT   (1ul << 28)  /* edu's default 28-bit DMA mask */

#endif
