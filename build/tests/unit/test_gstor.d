build/tests/unit/test_gstor.o: tests/unit/test_gstor.c lib/gstor.h \
 tests/tcheck.h
lib/gstor.h:
tests/tcheck.h:
