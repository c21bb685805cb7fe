// cairo (Debian libcairo2-dev) for Brittle's figures: image surfaces, the toy text API and PNG
// input/output. Include paths come from pkg-config (`cairo`).
#include <cairo.h>
