/* SPDX-License-Identifier: MIT */
/*
 * Loading a bzImage directly on the pc machine (-kernel/-initrd/-append),
 * by the x86 boot protocol (Documentation/arch/x86/boot.rst): the kernel
 * (or, with --decompress=host, the vmlinux inside it), and the zero page
 * with the setup header, the command line and initrd fields, the RSDP
 * address and the E820 map; then the boot vCPU in long mode at the 64-bit
 * entry (or protected mode at the 32-bit one) with RSI pointing at the
 * zero page.  The parts shared with the PVH loader are in kernel_boot.h.
 */
#ifndef MINIVMM_X86_LINUX_BOOT_H
#define MINIVMM_X86_LINUX_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "pc_memory.h"

struct vm;

/*
 * Boot the bzImage in image[0, len) (already read from -kernel).  Refuses
 * (-1, err_msg()) what bzimage_parse() refuses and a kernel, initrd,
 * command line or E820 map that does not fit.
 */
int linux_boot_bzimage(struct vm *vm, const struct pc_memory_layout *layout,
		       const uint8_t *image, size_t len);

#endif
