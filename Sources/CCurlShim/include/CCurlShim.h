#ifndef OVERDUE_CCURL_SHIM_H
#define OVERDUE_CCURL_SHIM_H
#include <curl/curl.h>

/*
 * Typed wrappers around libcurl's variadic entry points, which Swift cannot call.
 * One function per argument type, as swift-corelibs-foundation's _CFURLSessionInterface does;
 * each returns libcurl's own result code unchanged.
 */

CURLcode overdue_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode overdue_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode overdue_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode overdue_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode overdue_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode overdue_curl_setopt_read_callback(CURL *handle, curl_read_callback callback);
CURLcode overdue_curl_setopt_write_callback(CURL *handle, curl_write_callback callback);
CURLcode overdue_curl_setopt_debug_callback(CURL *handle, curl_debug_callback callback);
CURLcode overdue_curl_setopt_xferinfo_callback(CURL *handle, curl_xferinfo_callback callback);

CURLcode overdue_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode overdue_curl_getinfo_string(CURL *handle, CURLINFO info, const char **value);
CURLcode overdue_curl_getinfo_socket(CURL *handle, CURLINFO info, curl_socket_t *value);

#endif
