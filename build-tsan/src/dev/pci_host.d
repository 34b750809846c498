build-tsan/src/dev/pci_host.o: src/dev/pci_host.c src/dev/pci_host.h \
 src/bus.h src/byteorder.h src/device.h src/byteorder.h src/log.h \
 src/state.h
src/dev/pci_host.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/byteorder.h:
src/log.h:
src/state.h:
