build-tsan/src/console.o: src/console.c src/console.h src/chardev.h \
 src/event_loop.h src/log.h
src/console.h:
src/chardev.h:
src/event_loop.h:
src/log.h:
