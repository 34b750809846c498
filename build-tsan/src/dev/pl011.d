build-tsan/src/dev/pl011.o: src/dev/pl011.c src/dev/pl011.h src/bus.h \
 src/byteorder.h src/chardev.h src/device.h src/dev/uart.h src/irq.h \
 src/log.h src/state.h
src/dev/pl011.h:
src/bus.h:
src/byteorder.h:
src/chardev.h:
src/device.h:
src/dev/uart.h:
src/irq.h:
src/log.h:
src/state.h:
