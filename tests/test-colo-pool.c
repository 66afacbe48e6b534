/*
 * Copyright (c) 2026 The ovs-colo authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

/* Tests of the pool that the engine's IPv4 entries come from
 * (lib/colo-rewrite-pool.c): slots aligned to their size and apart, cut
 * from more than one chunk, used again once freed, and a destroyed pool
 * that waits for its last slot.  Prints "PASS" or the first failure.
 * Under AddressSanitizer, a slot touched after it was freed, or a pool
 * not released, is reported by the sanitizer. */

#include <config.h>

#include "colo-rewrite-private.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/ovstest.h"
#include "util.h"

#define SLOT 64

/* More slots than one 2 MiB chunk holds. */
#define N_SLOTS 70000

static void
check(bool ok, const char *what)
{
    if (!ok) {
        printf("FAIL: %s\n", what);
        exit(EXIT_FAILURE);
    }
}

static int
compare_pointers(const void *a_, const void *b_)
{
    uintptr_t a = (uintptr_t) *(void *const *) a_;
    uintptr_t b = (uintptr_t) *(void *const *) b_;

    return a < b ? -1 : a > b;
}

/* Allocates N_SLOTS slots from 'pool' into 'slots', fills each with its own
 * pattern, and checks that they are aligned and do not overlap. */
static void
alloc_all(struct colo_pool *pool, void **slots)
{
    void **sorted = xmalloc(N_SLOTS * sizeof *sorted);

    for (size_t i = 0; i < N_SLOTS; i++) {
        slots[i] = colo_pool_alloc(pool);
        check(!((uintptr_t) slots[i] % SLOT), "slot aligned to its size");
        memset(slots[i], i & 0xff, SLOT);
    }
    for (size_t i = 0; i < N_SLOTS; i++) {
        const uint8_t *p = slots[i];

        check(p[0] == (i & 0xff) && p[SLOT - 1] == (i & 0xff),
              "slot kept what was written in it");
    }
    memcpy(sorted, slots, N_SLOTS * sizeof *sorted);
    qsort(sorted, N_SLOTS, sizeof *sorted, compare_pointers);
    for (size_t i = 1; i < N_SLOTS; i++) {
        check((uintptr_t) sorted[i] - (uintptr_t) sorted[i - 1] >= SLOT,
              "slots apart");
    }
    free(sorted);
}

static void
test_colo_pool_main(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    void **slots = xmalloc(N_SLOTS * sizeof *slots);
    struct colo_pool *pool = colo_pool_create(SLOT);
    size_t size;

    check(colo_pool_size(pool) == 0, "a new pool has taken nothing");

    alloc_all(pool, slots);
    size = colo_pool_size(pool);
    /* The slots, and a header of one slot for each of the 3 chunks. */
    check(size == (N_SLOTS + 3) * SLOT, "size counts slots and headers");

    for (size_t i = 0; i < N_SLOTS; i++) {
        colo_pool_free(slots[i]);
    }
    check(colo_pool_size(pool) == size, "freed slots stay in the pool");

    alloc_all(pool, slots);
    check(colo_pool_size(pool) == size, "freed slots are used again");

    /* Destroyed with slots out: the pool goes with the last of them. */
    colo_pool_destroy(pool);
    for (size_t i = 0; i < N_SLOTS; i++) {
        colo_pool_free(slots[i]);
    }

    /* Destroyed empty: at once. */
    colo_pool_destroy(colo_pool_create(SLOT));

    free(slots);
    printf("PASS\n");
}

OVSTEST_REGISTER("test-colo-pool", test_colo_pool_main);
