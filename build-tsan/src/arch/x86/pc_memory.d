build-tsan/src/arch/x86/pc_memory.o: src/arch/x86/pc_memory.c \
 src/arch/x86/pc_memory.h src/config.h src/vm_config.h src/console.h \
 src/dev/cmos.h src/bus.h src/byteorder.h src/device.h src/irq.h \
 src/arch/x86/e820.h src/arch/x86/layout.h src/log.h src/strbuf.h
src/arch/x86/pc_memory.h:
src/config.h:
src/vm_config.h:
src/console.h:
src/dev/cmos.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/irq.h:
src/arch/x86/e820.h:
src/arch/x86/layout.h:
src/log.h:
src/strbuf.h:
