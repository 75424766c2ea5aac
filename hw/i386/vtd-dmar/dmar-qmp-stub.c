/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtd-dmar's monitor commands in a build without vtd-dmar
 * (CONFIG_VTD_DMAR off): no unit to show.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vtd-dmar-target.h"
#include "monitor/hmp-target.h"
#include "monitor/monitor.h"

VtdDmarInfoList *qmp_query_vtd_dmar(Error **errp)
{
    return NULL;
}

VtdDmarTranslation *qmp_x_vtd_dmar_translate(const char *unit,
                                             const char *device,
                                             bool has_source_id,
                                             uint16_t source_id,
                                             bool has_pasid, uint32_t pasid,
                                             uint64_t address,
                                             bool has_write, bool write,
                                             bool has_privileged,
                                             bool privileged,
                                             bool has_execute, bool execute,
                                             Error **errp)
{
    error_setg(errp, "this QEMU has no vtd-dmar");
    return NULL;
}

void hmp_info_vtd_dmar(Monitor *mon, const QDict *qdict)
{
    monitor_printf(mon, "this QEMU has no vtd-dmar\n");
}

void hmp_vtd_dmar_translate(Monitor *mon, const QDict *qdict)
{
    monitor_printf(mon, "this QEMU has no vtd-dmar\n");
}
