build/lib/gstor.o: lib/gstor.c lib/gstor.h lib/be.h
lib/gstor.h:
lib/be.h:
