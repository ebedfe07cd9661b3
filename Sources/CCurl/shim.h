#ifndef POND_CCURL_SHIM_H
#define POND_CCURL_SHIM_H
#include <curl/curl.h>
#endif
