build/tests/tmain.o: tests/tmain.c tests/tcheck.h
tests/tcheck.h:
