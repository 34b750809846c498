build-tsan/src/cli_memory.o: src/cli_memory.c src/cli_internal.h \
 src/config.h src/vm_config.h src/console.h src/log.h
src/cli_internal.h:
src/config.h:
src/vm_config.h:
src/console.h:
src/log.h:
