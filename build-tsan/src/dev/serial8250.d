build-tsan/src/dev/serial8250.o: src/dev/serial8250.c \
 src/dev/serial8250.h src/bus.h src/byteorder.h src/chardev.h \
 src/device.h src/dev/uart.h src/irq.h src/log.h src/state.h
src/dev/serial8250.h:
src/bus.h:
src/byteorder.h:
src/chardev.h:
src/device.h:
src/dev/uart.h:
src/irq.h:
src/log.h:
src/state.h:
