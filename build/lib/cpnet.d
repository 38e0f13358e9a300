build/lib/cpnet.o: lib/cpnet.c lib/cpnet.h
lib/cpnet.h:
