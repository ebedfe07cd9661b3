#ifndef POND_CCURL_SHIM_H
#define POND_CCURL_SHIM_H
#include <curl/curl.h>
#include <dlfcn.h>

/* Typed wrappers for libcurl's variadic and macro-only API, which Swift cannot import directly.
   libcurl is opened on first use, not linked (PondCurl's CurlLibrary.swift), so nothing here names a libcurl
   function: the wrappers call through the pointers dlsym returned, the variadic ones typed as variadic. */
typedef CURLcode (*pond_curl_setopt)(CURL *, CURLoption, ...);
typedef CURLcode (*pond_curl_getinfo)(CURL *, CURLINFO, ...);

static inline CURLcode pond_curl_global_init(CURLcode (*global_init)(long)) {
  return global_init(CURL_GLOBAL_DEFAULT);
}

static inline CURLcode pond_easy_setopt_long(pond_curl_setopt setopt, CURL *handle, CURLoption option, long value) {
  return setopt(handle, option, value);
}

static inline CURLcode pond_easy_setopt_off(pond_curl_setopt setopt, CURL *handle, CURLoption option, curl_off_t value) {
  return setopt(handle, option, value);
}

static inline CURLcode pond_easy_setopt_string(pond_curl_setopt setopt, CURL *handle, CURLoption option, const char *value) {
  return setopt(handle, option, value);
}

static inline CURLcode pond_easy_setopt_pointer(pond_curl_setopt setopt, CURL *handle, CURLoption option, void *value) {
  return setopt(handle, option, value);
}

static inline CURLcode pond_easy_setopt_slist(pond_curl_setopt setopt, CURL *handle, CURLoption option, struct curl_slist *value) {
  return setopt(handle, option, value);
}

static inline CURLcode pond_easy_setopt_write_function(pond_curl_setopt setopt, CURL *handle, CURLoption option,
                                                       curl_write_callback callback) {
  return setopt(handle, option, callback);
}

static inline CURLcode pond_easy_setopt_read_function(pond_curl_setopt setopt, CURL *handle, curl_read_callback callback) {
  return setopt(handle, CURLOPT_READFUNCTION, callback);
}

static inline CURLcode pond_easy_setopt_seek_function(pond_curl_setopt setopt, CURL *handle, curl_seek_callback callback) {
  return setopt(handle, CURLOPT_SEEKFUNCTION, callback);
}

static inline CURLcode pond_easy_setopt_xferinfo_function(pond_curl_setopt setopt, CURL *handle, curl_xferinfo_callback callback) {
  return setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

static inline CURLcode pond_easy_getinfo_long(pond_curl_getinfo getinfo, CURL *handle, CURLINFO info, long *value) {
  return getinfo(handle, info, value);
}

static inline CURLcode pond_easy_getinfo_off(pond_curl_getinfo getinfo, CURL *handle, CURLINFO info, curl_off_t *value) {
  return getinfo(handle, info, value);
}

/* Sentinels the callbacks return; macros with casts that Swift does not import. */
static inline size_t pond_curl_readfunc_abort(void) { return CURL_READFUNC_ABORT; }
static inline size_t pond_curl_writefunc_error(void) { return CURL_WRITEFUNC_ERROR; }

#endif
