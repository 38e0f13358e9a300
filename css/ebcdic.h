/* css/ebcdic.h - ASCII <-> EBCDIC (code page 037) for the printable characters.
 * Used by the node descriptors of Read Configuration Data and operator-visible ids. */
#ifndef CPNET_CSS_EBCDIC_H
#define CPNET_CSS_EBCDIC_H

#include <stddef.h>
#include <stdint.h>

#define EBCDIC_SPACE 0x40
#define EBCDIC_QUESTION 0x6F

/* Printable ASCII (0x20..0x7E) to cp037; anything else becomes '?' (0x6F). */
uint8_t ebcdic_from_ascii(char c);
/* cp037 to printable ASCII; bytes without a printable ASCII equivalent become '?'. */
char ebcdic_to_ascii(uint8_t e);
/* Store n EBCDIC bytes from the string s, padded with EBCDIC blanks. */
void ebcdic_put(uint8_t *dst, size_t n, const char *s);
/* Convert n EBCDIC bytes into dst (which holds n + 1) and NUL-terminate. */
void ebcdic_get(char *dst, const uint8_t *src, size_t n);

#endif
