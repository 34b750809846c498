build-tsan/src/config.o: src/config.c src/config.h src/vm_config.h \
 src/console.h src/arch/arch.h src/log.h
src/config.h:
src/vm_config.h:
src/console.h:
src/arch/arch.h:
src/log.h:
