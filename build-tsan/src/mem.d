build-tsan/src/mem.o: src/mem.c src/mem.h src/log.h
src/mem.h:
src/log.h:
