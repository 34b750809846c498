build-tsan/src/dev/acpi_pm.o: src/dev/acpi_pm.c src/dev/acpi_pm.h \
 src/bus.h src/byteorder.h src/device.h src/irq.h src/log.h src/state.h
src/dev/acpi_pm.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/irq.h:
src/log.h:
src/state.h:
