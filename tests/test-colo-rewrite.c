#include <config.h>
#undef NDEBUG
#include "colo-rewrite.h"
#include "tests/ovstest.h"

static void
test_colo_rewrite_main(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
}

OVSTEST_REGISTER("test-colo-rewrite", test_colo_rewrite_main);
