build-tsan/src/dev/boot_marker.o: src/dev/boot_marker.c \
 src/dev/boot_marker.h src/bus.h src/byteorder.h src/device.h src/log.h
src/dev/boot_marker.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/log.h:
