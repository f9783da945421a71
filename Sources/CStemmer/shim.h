#ifndef TRIBUTARY_CSTEMMER_SHIM_H
#define TRIBUTARY_CSTEMMER_SHIM_H
// Snowball's libstemmer (Debian libstemmer-dev). Plain C, imported directly; only the
// Search module may import it. An `sb_stemmer` is not thread-safe: one per thread or owner.
#include <libstemmer.h>
#endif
