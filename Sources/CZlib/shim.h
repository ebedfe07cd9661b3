#ifndef POND_CZLIB_SHIM_H
#define POND_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 is a macro (it passes the library version and the stream size), which Swift does not import. */
static inline int pond_inflate_init2(z_stream *stream, int window_bits) {
  return inflateInit2(stream, window_bits);
}
#endif
