#ifndef POND_CSNAPPY_SHIM_H
#define POND_CSNAPPY_SHIM_H
/* libsnappy's C API: Parquet's SNAPPY codec (one raw snappy block per page body). */
#include <snappy-c.h>
#endif
