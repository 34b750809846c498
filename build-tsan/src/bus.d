build-tsan/src/bus.o: src/bus.c src/bus.h src/byteorder.h src/log.h
src/bus.h:
src/byteorder.h:
src/log.h:
