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

#include <config.h>

#include "colo-rewrite-private.h"

#include <stdint.h>
#include <sys/mman.h>

#include "util.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#define COLO_POOL_POISON(ADDR, SIZE) ASAN_POISON_MEMORY_REGION(ADDR, SIZE)
#define COLO_POOL_UNPOISON(ADDR, SIZE) ASAN_UNPOISON_MEMORY_REGION(ADDR, SIZE)
#else
#define COLO_POOL_POISON(ADDR, SIZE) ((void) (ADDR), (void) (SIZE))
#define COLO_POOL_UNPOISON(ADDR, SIZE) ((void) (ADDR), (void) (SIZE))
#endif

/* A pool of fixed-size slots for the IPv4 entries of a table.
 *
 * malloc() would put an entry of one cache line in a chunk of 80 bytes,
 * with a header in front that also pushes the entry across two cache
 * lines.  The pool cuts slots of exactly 'slot_size' bytes, aligned to
 * their size, from chunks of COLO_POOL_CHUNK bytes aligned to theirs: the
 * chunk's first slot holds its header, which is how colo_pool_free() finds
 * the pool of a slot with nothing but the slot.
 *
 * Chunks do not ask for transparent huge pages (MADV_HUGEPAGE), though
 * they are aligned for them: the first touch of a huge page zeroes, and
 * may compact, 2 MiB at once, and that happens in colo_pool_alloc(), with
 * the zone's mutex held.  With them, a thread learning into a zone of a
 * million entries waited up to 6 ms for its handshake, against 0.6 ms
 * without (make bench, the sweep with nothing to expire).
 *
 * Slots go back to a free list and are used again; chunks go back to the
 * system only when the pool is destroyed.  Taking and returning a slot
 * takes the pool's mutex: the packet path does neither, only handshakes and
 * RCU's callbacks do. */

#define COLO_POOL_CHUNK (2 * 1024 * 1024)

struct colo_pool_chunk {
    struct colo_pool *pool;
    struct colo_pool_chunk *next;
};

struct colo_pool_slot {
    struct colo_pool_slot *next;
};

struct colo_pool {
    struct ovs_mutex mutex;
    size_t slot_size;           /* A power of 2, at least 16. */
    struct colo_pool_slot *free_slots OVS_GUARDED;
    struct colo_pool_chunk *chunks OVS_GUARDED;
    uint8_t *fresh OVS_GUARDED;     /* Slots never used, from here... */
    uint8_t *fresh_end OVS_GUARDED; /* ...to here, in the newest chunk. */
    size_t n_used OVS_GUARDED;      /* Slots allocated and not freed. */
    atomic_size_t n_cut;            /* Bytes cut into slots so far. */
    bool destroyed OVS_GUARDED;     /* Freed by the last colo_pool_free(). */
};

/* Returns a pool of slots of 'slot_size' bytes, a power of 2 between 16
 * and 4096. */
struct colo_pool *
colo_pool_create(size_t slot_size)
{
    struct colo_pool *pool = xzalloc(sizeof *pool);

    ovs_assert(is_pow2(slot_size));
    ovs_assert(slot_size >= sizeof(struct colo_pool_chunk));
    ovs_assert(slot_size <= 4096);
    ovs_mutex_init(&pool->mutex);
    pool->slot_size = slot_size;
    atomic_init(&pool->n_cut, 0);
    return pool;
}

/* Maps a chunk of COLO_POOL_CHUNK bytes aligned to its size. */
static void *
colo_pool_map_chunk(void)
{
    size_t len = 2 * COLO_POOL_CHUNK;
    uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        out_of_memory();
    }

    /* Keep the aligned chunk that the mapping holds, unmap the rest. */
    uint8_t *chunk = (uint8_t *) ROUND_UP((uintptr_t) p, COLO_POOL_CHUNK);
    if (chunk > p) {
        munmap(p, chunk - p);
    }
    if (chunk + COLO_POOL_CHUNK < p + len) {
        munmap(chunk + COLO_POOL_CHUNK, p + len - (chunk + COLO_POOL_CHUNK));
    }
    COLO_POOL_POISON(chunk, COLO_POOL_CHUNK);
    return chunk;
}

static void
colo_pool_add_chunk(struct colo_pool *pool)
    OVS_REQUIRES(pool->mutex)
{
    uint8_t *base = colo_pool_map_chunk();
    struct colo_pool_chunk *chunk = ALIGNED_CAST(struct colo_pool_chunk *,
                                                 base);
    size_t n;

    COLO_POOL_UNPOISON(chunk, sizeof *chunk);
    atomic_read_relaxed(&pool->n_cut, &n);
    atomic_store_relaxed(&pool->n_cut, n + pool->slot_size);
    chunk->pool = pool;
    chunk->next = pool->chunks;
    pool->chunks = chunk;
    pool->fresh = base + pool->slot_size;
    pool->fresh_end = base + COLO_POOL_CHUNK;
}

/* Returns a slot of 'pool', aligned to its size, its contents undefined. */
void *
colo_pool_alloc(struct colo_pool *pool)
{
    void *slot;

    ovs_mutex_lock(&pool->mutex);
    if (pool->free_slots) {
        struct colo_pool_slot *s = pool->free_slots;

        COLO_POOL_UNPOISON(s, pool->slot_size);
        pool->free_slots = s->next;
        slot = s;
    } else {
        if (pool->fresh == pool->fresh_end) {
            colo_pool_add_chunk(pool);
        }
        size_t n;

        slot = pool->fresh;
        pool->fresh += pool->slot_size;
        COLO_POOL_UNPOISON(slot, pool->slot_size);
        atomic_read_relaxed(&pool->n_cut, &n);
        atomic_store_relaxed(&pool->n_cut, n + pool->slot_size);
    }
    pool->n_used++;
    ovs_mutex_unlock(&pool->mutex);
    return slot;
}

static void
colo_pool_release(struct colo_pool *pool)
    OVS_EXCLUDED(pool->mutex)
{
    struct colo_pool_chunk *chunk, *next;

    for (chunk = pool->chunks; chunk; chunk = next) {
        next = chunk->next;
        munmap(chunk, COLO_POOL_CHUNK);
    }
    ovs_mutex_destroy(&pool->mutex);
    free(pool);
}

/* Returns 'slot_' to the pool it came from.  If that pool was destroyed
 * and this was its last slot, frees the pool. */
void
colo_pool_free(void *slot_)
{
    struct colo_pool_chunk *chunk = (struct colo_pool_chunk *)
        ((uintptr_t) slot_ & ~(uintptr_t) (COLO_POOL_CHUNK - 1));
    struct colo_pool *pool = chunk->pool;
    struct colo_pool_slot *slot = slot_;
    bool release;

    ovs_mutex_lock(&pool->mutex);
    slot->next = pool->free_slots;
    pool->free_slots = slot;
    COLO_POOL_POISON(slot, pool->slot_size);
    release = !--pool->n_used && pool->destroyed;
    ovs_mutex_unlock(&pool->mutex);

    if (release) {
        colo_pool_release(pool);
    }
}

/* Destroys 'pool' once every slot taken from it is back: at once if they
 * all are, otherwise in the colo_pool_free() of the last one, such as an
 * entry that RCU frees later. */
void
colo_pool_destroy(struct colo_pool *pool)
{
    bool release;

    if (!pool) {
        return;
    }
    ovs_mutex_lock(&pool->mutex);
    pool->destroyed = true;
    release = !pool->n_used;
    ovs_mutex_unlock(&pool->mutex);

    if (release) {
        colo_pool_release(pool);
    }
}

/* Returns the bytes of 'pool' that slots, and chunk headers, have been cut
 * from: what the pool has touched, in use or free.  The rest of its newest
 * chunk is mapped but untouched, unless the kernel gave it a huge page. */
size_t
colo_pool_size(const struct colo_pool *pool_)
{
    struct colo_pool *pool = CONST_CAST(struct colo_pool *, pool_);
    size_t n;

    atomic_read_relaxed(&pool->n_cut, &n);
    return n;
}
