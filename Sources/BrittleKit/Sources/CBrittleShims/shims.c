#include "CBrittleShims.h"
int brittle_shims_version(void) { return 1; }

static _Thread_local int in_pool_worker = 0;
int brittle_is_pool_worker(void) { return in_pool_worker; }
void brittle_mark_pool_worker(void) { in_pool_worker = 1; }
