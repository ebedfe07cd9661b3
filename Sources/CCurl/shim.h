#ifndef POND_CCURL_SHIM_H
#define POND_CCURL_SHIM_H
#include <curl/curl.h>

/* Typed wrappers for libcurl's variadic and macro-only API, which Swift cannot import directly. */

static inline CURLcode pond_curl_global_init(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }

static inline CURLcode pond_easy_setopt_long(CURL *handle, CURLoption option, long value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode pond_easy_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode pond_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode pond_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode pond_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode pond_easy_setopt_write_function(CURL *handle, CURLoption option,
                                                       curl_write_callback callback) {
  return curl_easy_setopt(handle, option, callback);
}

static inline CURLcode pond_easy_setopt_read_function(CURL *handle, curl_read_callback callback) {
  return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}

static inline CURLcode pond_easy_setopt_seek_function(CURL *handle, curl_seek_callback callback) {
  return curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, callback);
}

static inline CURLcode pond_easy_setopt_xferinfo_function(CURL *handle, curl_xferinfo_callback callback) {
  return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

static inline CURLcode pond_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
  return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode pond_easy_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value) {
  return curl_easy_getinfo(handle, info, value);
}

/* Sentinels the callbacks return; macros with casts that Swift does not import. */
static inline size_t pond_curl_readfunc_abort(void) { return CURL_READFUNC_ABORT; }
static inline size_t pond_curl_writefunc_error(void) { return CURL_WRITEFUNC_ERROR; }

#endif
