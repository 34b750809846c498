build-tsan/src/event_loop.o: src/event_loop.c src/event_loop.h src/log.h
src/event_loop.h:
src/log.h:
