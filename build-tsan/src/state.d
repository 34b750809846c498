build-tsan/src/state.o: src/state.c src/state.h src/byteorder.h src/log.h
src/state.h:
src/byteorder.h:
src/log.h:
