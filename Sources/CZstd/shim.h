#ifndef POND_CZSTD_SHIM_H
#define POND_CZSTD_SHIM_H
#include <zstd.h>
#include <zstd_errors.h>
#endif
