#include "CBrittleShims.h"
int brittle_shims_version(void) { return 1; }
