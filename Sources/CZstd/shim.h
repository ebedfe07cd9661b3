#ifndef POND_CZSTD_SHIM_H
#define POND_CZSTD_SHIM_H
#include <zstd.h>
#include <zstd_errors.h>

/* ZSTD_CONTENTSIZE_* are macros with casts, which Swift does not import. */
static inline unsigned long long pond_zstd_content_size_unknown(void) {
  return ZSTD_CONTENTSIZE_UNKNOWN;
}
static inline unsigned long long pond_zstd_content_size_error(void) {
  return ZSTD_CONTENTSIZE_ERROR;
}
#endif
