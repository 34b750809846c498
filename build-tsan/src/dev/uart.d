build-tsan/src/dev/uart.o: src/dev/uart.c src/dev/uart.h src/chardev.h \
 src/state.h
src/dev/uart.h:
src/chardev.h:
src/state.h:
