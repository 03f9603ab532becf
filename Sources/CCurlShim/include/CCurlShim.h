#ifndef OVERDUE_CCURL_SHIM_H
#define OVERDUE_CCURL_SHIM_H
#include <curl/curl.h>
#endif
