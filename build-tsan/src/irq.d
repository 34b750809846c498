build-tsan/src/irq.o: src/irq.c src/irq.h src/log.h
src/irq.h:
src/log.h:
