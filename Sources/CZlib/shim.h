#ifndef TRIBUTARY_CZLIB_H
#define TRIBUTARY_CZLIB_H
#include <zlib.h>

/// inflateInit2 is a macro around inflateInit2_; raw deflate (ZIP entries) uses windowBits -15.
static inline int tributary_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -15);
}
#endif
