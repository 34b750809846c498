build-tsan/src/device.o: src/device.c src/device.h src/log.h src/state.h
src/device.h:
src/log.h:
src/state.h:
