/* SPDX-License-Identifier: MIT */
/*
 * What the pc machine tells its firmware: the fw_cfg items and the CMOS
 * NVRAM, both computed from the memory layout.  Shared by `minivmm run` and
 * `minivmm memmap`, so what memmap prints is what the guest gets.
 */
#ifndef MINIVMM_X86_PC_FIRMWARE_H
#define MINIVMM_X86_PC_FIRMWARE_H

#include <stdio.h>

#include "config.h"
#include "dev/cmos.h"
#include "dev/fw_cfg.h"
#include "pc_memory.h"

/* The fw_cfg items QEMU's pc machine provides for this configuration. */
int pc_firmware_fw_cfg(struct fw_cfg *fw, const struct vm_config *cfg,
		       const struct pc_memory_layout *layout);

/* CMOS bytes: memory sizes, CPU count, boot order, equipment. */
int pc_firmware_cmos(struct cmos *cmos, const struct pc_memory_layout *layout);

/* The layout the pc machine uses for cfg (QEMU's default CPU model facts). */
int pc_firmware_layout(const struct vm_config *cfg, bool kvm_identity_map,
		       struct pc_memory_layout *layout);

/* `minivmm memmap`: everything above, explained. */
int pc_memmap_print(const struct vm_config *cfg, FILE *out);

#endif
