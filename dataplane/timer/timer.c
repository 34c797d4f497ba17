/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core hierarchical timer wheel (Varghese & Lauck scheme 7, with the "absolute bits" slot
 * choice of the classic Linux wheel). The runtime calls dp_timer_wheel_advance() once per loop in
 * the timer phase; TCP and the RSocket engine arm and cancel timers from the RX and engine phases.
 *
 * Time is counted in ticks of tick_us. `cur` is the first tick not yet fully processed. A timer due
 * at tick E sits at the lowest level l whose next-higher block (64^(l+1) ticks) contains both E and
 * cur, in slot (E >> 6l) & 63; so a level-l slot (l >= 1) always lies strictly ahead of cur's index
 * at that level and is cascaded into lower levels exactly when cur enters it. Timers whose top
 * block differs from cur's wait on an overflow list, re-placed whenever cur crosses a top-level
 * boundary.
 *
 * Per-level 64-bit occupancy bitmaps make "what happens next" a ctz per level, so advancing over
 * idle time jumps straight to the next slot with work. Level-0 slots are fired in expiry order: a
 * slot's list is detached, stable-sorted by expire_us when needed (it is usually already in order),
 * and fired up to now_us; what is not yet due goes back to the front of the slot. A timer armed for
 * a time the wheel has already reached (expiry <= now_us of the last or current advance, in a tick
 * not after cur) goes to the `late` list, fired first thing in the next advance: all its expiries
 * precede anything still in the slots, so order holds, and a callback re-arming itself in the past
 * runs once per advance instead of livelocking.
 */
#include <string.h>

#include "dp/timer.h"

#define DP_TIMER_SLOT_BITS 6
#define DP_TIMER_SLOTS (1u << DP_TIMER_SLOT_BITS)
#define DP_TIMER_SLOT_MASK (DP_TIMER_SLOTS - 1)
#define DP_TIMER_SPAN_BITS (DP_TIMER_LEVELS * DP_TIMER_SLOT_BITS)
#define DP_TIMER_EV_OVERFLOW DP_TIMER_LEVELS

struct dp_timer_wheel {
	uint64_t tick_us;
	uint64_t cur;	 /**< first tick not fully processed */
	uint64_t now_us; /**< now_us of the last advance (or start_us) */
	uint64_t count;	 /**< armed timers */
	uint64_t bitmap[DP_TIMER_LEVELS];
	struct dp_timer_link late; /**< armed for a time already reached: fire next advance */
	struct dp_timer_link overflow;
	struct dp_timer_link slot[DP_TIMER_LEVELS][DP_TIMER_SLOTS];
} __attribute__((aligned(64)));

static inline struct dp_timer *
dp_timer_of(struct dp_timer_link *l)
{
	return (struct dp_timer *)((char *)l - offsetof(struct dp_timer, link));
}

static inline void
dp_timer_list_init(struct dp_timer_link *h)
{
	h->next = h;
	h->prev = h;
}

static inline int
dp_timer_list_empty(const struct dp_timer_link *h)
{
	return h->next == h;
}

static inline void
dp_timer_list_append(struct dp_timer_link *h, struct dp_timer_link *n)
{
	n->next = h;
	n->prev = h->prev;
	h->prev->next = n;
	h->prev = n;
}

/* Move all of @p from (non-empty) to the empty list @p to. */
static inline void
dp_timer_list_move(struct dp_timer_link *from, struct dp_timer_link *to)
{
	to->next = from->next;
	to->prev = from->prev;
	to->next->prev = to;
	to->prev->next = to;
	dp_timer_list_init(from);
}

/* Splice non-empty @p src in front of the items of @p dst; @p src is left unusable. */
static inline void
dp_timer_list_splice_front(struct dp_timer_link *src, struct dp_timer_link *dst)
{
	struct dp_timer_link *first = src->next, *last = src->prev;

	last->next = dst->next;
	dst->next->prev = last;
	dst->next = first;
	first->prev = dst;
}

/* If @p p is one of the wheel's slot heads, its flat index; otherwise -1. */
static inline long
dp_timer_slot_index(const struct dp_timer_wheel *w, const struct dp_timer_link *p)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)&w->slot[0][0];
	uintptr_t hi = lo + sizeof(w->slot);

	if (a < lo || a >= hi)
		return -1;
	return (long)((a - lo) / sizeof(struct dp_timer_link));
}

/* Unlink an armed timer; clear its slot's bit when the slot becomes empty. */
static inline void
dp_timer_unlink(struct dp_timer_wheel *w, struct dp_timer *t)
{
	struct dp_timer_link *prev = t->link.prev, *next = t->link.next;

	prev->next = next;
	next->prev = prev;
	t->link.next = NULL;
	t->link.prev = NULL;
	if (prev == next) {
		long i = dp_timer_slot_index(w, prev);

		if (i >= 0)
			w->bitmap[i / DP_TIMER_SLOTS] &= ~(1ull << (i % DP_TIMER_SLOTS));
	}
}

/* Insert @p t due at tick @p tick (>= w->cur) at the level and slot the absolute-bits rule picks.
 */
static void
dp_timer_place(struct dp_timer_wheel *w, struct dp_timer *t, uint64_t tick)
{
	uint64_t diff = (tick ^ w->cur) >> DP_TIMER_SLOT_BITS;
	unsigned level = 0, idx;

	if (diff != 0) {
		unsigned hb = 63u - (unsigned)__builtin_clzll(diff) + DP_TIMER_SLOT_BITS;

		level = hb / DP_TIMER_SLOT_BITS;
		if (level >= DP_TIMER_LEVELS) {
			dp_timer_list_append(&w->overflow, &t->link);
			return;
		}
	}
	idx = (unsigned)(tick >> (level * DP_TIMER_SLOT_BITS)) & DP_TIMER_SLOT_MASK;
	dp_timer_list_append(&w->slot[level][idx], &t->link);
	w->bitmap[level] |= 1ull << idx;
}

/* Tick a timer goes to: its expiry's tick, never behind cur (a past-due timer is due now). */
static inline uint64_t
dp_timer_tick_of(const struct dp_timer_wheel *w, const struct dp_timer *t)
{
	uint64_t tick = t->expire_us / w->tick_us;

	return tick < w->cur ? w->cur : tick;
}

/*
 * The next tick at which the wheel has work: a level-0 slot to fire (*level = 0), a level-l slot to
 * cascade (*level = l), or the top-level boundary for the overflow list (*level = DP_TIMER_LEVELS).
 * UINT64_MAX when nothing is armed.
 */
static uint64_t
dp_timer_next_event(const struct dp_timer_wheel *w, unsigned *level)
{
	uint64_t cur = w->cur;
	unsigned l;

	for (l = 0; l < DP_TIMER_LEVELS; l++) {
		unsigned sh = l * DP_TIMER_SLOT_BITS, up = sh + DP_TIMER_SLOT_BITS;
		unsigned ci = (unsigned)(cur >> sh) & DP_TIMER_SLOT_MASK;
		uint64_t mask = w->bitmap[l], base;

		/* Level 0: the current tick's slot may still hold timers not yet due. Higher
		 * levels: the slot at cur's index has been cascaded already. */
		if (l == 0)
			mask &= ~0ull << ci;
		else
			mask &= ci == DP_TIMER_SLOT_MASK ? 0 : ~0ull << (ci + 1);
		if (mask == 0)
			continue;
		base = up >= 64 ? 0 : (cur >> up) << up;
		*level = l;
		return base | ((uint64_t)__builtin_ctzll(mask) << sh);
	}
	if (!dp_timer_list_empty(&w->overflow)) {
		*level = DP_TIMER_EV_OVERFLOW;
		return ((cur >> DP_TIMER_SPAN_BITS) + 1) << DP_TIMER_SPAN_BITS;
	}
	return UINT64_MAX;
}

/* Re-place every timer of @p h (a slot or the overflow list) relative to the new cur. */
static void
dp_timer_cascade_list(struct dp_timer_wheel *w, struct dp_timer_link *h)
{
	struct dp_timer_link tmp;

	if (dp_timer_list_empty(h))
		return;
	dp_timer_list_move(h, &tmp);
	while (!dp_timer_list_empty(&tmp)) {
		struct dp_timer *t = dp_timer_of(tmp.next);

		tmp.next = t->link.next;
		tmp.next->prev = &tmp;
		dp_timer_place(w, t, dp_timer_tick_of(w, t));
	}
}

/* cur just moved to a new tick: cascade every level whose block boundary it sits on. */
static void
dp_timer_cascade_at(struct dp_timer_wheel *w)
{
	uint64_t cur = w->cur;
	unsigned l;

	if ((cur & ((1ull << DP_TIMER_SPAN_BITS) - 1)) == 0)
		dp_timer_cascade_list(w, &w->overflow);
	for (l = DP_TIMER_LEVELS - 1; l >= 1; l--) {
		unsigned sh = l * DP_TIMER_SLOT_BITS;
		unsigned idx;

		if ((cur & ((1ull << sh) - 1)) != 0)
			continue;
		idx = (unsigned)(cur >> sh) & DP_TIMER_SLOT_MASK;
		if (w->bitmap[l] & (1ull << idx)) {
			w->bitmap[l] &= ~(1ull << idx);
			dp_timer_cascade_list(w, &w->slot[l][idx]);
		}
	}
}

/* Stable merge of two NULL-terminated singly-linked runs by expire_us. */
static struct dp_timer_link *
dp_timer_merge(struct dp_timer_link *a, struct dp_timer_link *b)
{
	struct dp_timer_link head, *tail = &head;

	while (a != NULL && b != NULL) {
		if (dp_timer_of(b)->expire_us < dp_timer_of(a)->expire_us) {
			tail->next = b;
			b = b->next;
		} else {
			tail->next = a;
			a = a->next;
		}
		tail = tail->next;
	}
	tail->next = a != NULL ? a : b;
	return head.next;
}

/* Stable merge sort of a NULL-terminated singly-linked list of @p n nodes. */
static struct dp_timer_link *
dp_timer_msort(struct dp_timer_link *h, size_t n)
{
	struct dp_timer_link *mid, *p;
	size_t i;

	if (n < 2)
		return h;
	p = h;
	for (i = 1; i < n / 2; i++)
		p = p->next;
	mid = p->next;
	p->next = NULL;
	return dp_timer_merge(dp_timer_msort(h, n / 2), dp_timer_msort(mid, n - n / 2));
}

/* Sort the list @p h by expire_us, keeping arm order among equal expiries. */
static void
dp_timer_sort_list(struct dp_timer_link *h)
{
	struct dp_timer_link *p, *prev;
	size_t n = 0;
	int sorted = 1;

	for (p = h->next; p != h; p = p->next) {
		n++;
		if (p->next != h && dp_timer_of(p->next)->expire_us < dp_timer_of(p)->expire_us)
			sorted = 0;
	}
	if (sorted)
		return;
	h->prev->next = NULL;
	h->next = dp_timer_msort(h->next, n);
	prev = h;
	for (p = h->next; p != NULL; p = p->next) {
		p->prev = prev;
		prev = p;
	}
	prev->next = h;
	h->prev = prev;
}

/* Fire, in expiry order, the timers of the detached list @p run due by @p now_us. */
static unsigned
dp_timer_fire_list(struct dp_timer_wheel *w, struct dp_timer_link *run, uint64_t now_us)
{
	unsigned n = 0;

	dp_timer_sort_list(run);
	while (!dp_timer_list_empty(run)) {
		struct dp_timer *t = dp_timer_of(run->next);

		if (t->expire_us > now_us)
			break;
		dp_timer_unlink(w, t);
		w->count--;
		n++;
		t->fn(t, t->arg);
	}
	return n;
}

/* Fire the level-0 slot of tick cur up to now_us. Returns the number of callbacks run. */
static unsigned
dp_timer_fire_slot(struct dp_timer_wheel *w, uint64_t now_us)
{
	unsigned idx = (unsigned)w->cur & DP_TIMER_SLOT_MASK, n;
	struct dp_timer_link *h = &w->slot[0][idx];
	struct dp_timer_link run;

	dp_timer_list_move(h, &run);
	w->bitmap[0] &= ~(1ull << idx);
	n = dp_timer_fire_list(w, &run, now_us);
	if (!dp_timer_list_empty(&run)) {
		/* Not yet due: back in front of anything callbacks armed into this tick since. */
		dp_timer_list_splice_front(&run, h);
		w->bitmap[0] |= 1ull << idx;
	}
	return n;
}

size_t
dp_timer_wheel_memsize(const struct dp_timer_wheel_conf *conf)
{
	(void)conf;
	return sizeof(struct dp_timer_wheel);
}

struct dp_timer_wheel *
dp_timer_wheel_init(void *mem, const struct dp_timer_wheel_conf *conf)
{
	struct dp_timer_wheel *w = mem;
	unsigned l, s;

	if (mem == NULL || conf == NULL || conf->tick_us == 0)
		return NULL;
	memset(w, 0, sizeof(*w));
	w->tick_us = conf->tick_us;
	w->cur = conf->start_us / conf->tick_us;
	w->now_us = conf->start_us;
	dp_timer_list_init(&w->late);
	dp_timer_list_init(&w->overflow);
	for (l = 0; l < DP_TIMER_LEVELS; l++)
		for (s = 0; s < DP_TIMER_SLOTS; s++)
			dp_timer_list_init(&w->slot[l][s]);
	return w;
}

void
dp_timer_init(struct dp_timer *t, dp_timer_fn *fn, void *arg)
{
	t->link.next = NULL;
	t->link.prev = NULL;
	t->expire_us = 0;
	t->fn = fn;
	t->arg = arg;
}

void
dp_timer_arm(struct dp_timer_wheel *w, struct dp_timer *t, uint64_t expire_us)
{
	uint64_t tick;

	if (dp_timer_pending(t))
		dp_timer_unlink(w, t);
	else
		w->count++;
	t->expire_us = expire_us;
	tick = expire_us / w->tick_us;
	if (expire_us <= w->now_us && tick <= w->cur) {
		dp_timer_list_append(&w->late, &t->link);
		return;
	}
	dp_timer_place(w, t, tick < w->cur ? w->cur : tick);
}

void
dp_timer_cancel(struct dp_timer_wheel *w, struct dp_timer *t)
{
	if (!dp_timer_pending(t))
		return;
	dp_timer_unlink(w, t);
	w->count--;
}

unsigned
dp_timer_wheel_advance(struct dp_timer_wheel *w, uint64_t now_us)
{
	uint64_t now_tick;
	unsigned n = 0;

	if (now_us < w->now_us)
		now_us = w->now_us;
	w->now_us = now_us;
	now_tick = now_us / w->tick_us;
	if (!dp_timer_list_empty(&w->late)) {
		struct dp_timer_link run;

		/* All due by the previous advance, so before anything left in the slots. */
		dp_timer_list_move(&w->late, &run);
		n += dp_timer_fire_list(w, &run, UINT64_MAX);
	}
	for (;;) {
		unsigned level = 0;
		uint64_t ev = dp_timer_next_event(w, &level);

		if (ev > now_tick) {
			/* Nothing happens in (cur, now_tick]: jump. */
			w->cur = now_tick;
			break;
		}
		if (level != 0) {
			w->cur = ev;
			dp_timer_cascade_at(w);
			continue;
		}
		w->cur = ev;
		n += dp_timer_fire_slot(w, now_us);
		if (w->cur == now_tick)
			break; /* the current tick may hold timers due later in it */
		w->cur++;
		dp_timer_cascade_at(w);
	}
	return n;
}

uint64_t
dp_timer_wheel_next_us(const struct dp_timer_wheel *w)
{
	const struct dp_timer_link *h, *p;
	uint64_t ev, best = UINT64_MAX;
	unsigned level = 0;

	for (p = w->late.next; p != &w->late; p = p->next) {
		uint64_t e = dp_timer_of((struct dp_timer_link *)(uintptr_t)p)->expire_us;

		if (e < best)
			best = e;
	}
	if (best != UINT64_MAX)
		return best;
	ev = dp_timer_next_event(w, &level);
	if (ev == UINT64_MAX)
		return UINT64_MAX;
	if (level != 0)
		return ev * w->tick_us;
	h = &w->slot[0][ev & DP_TIMER_SLOT_MASK];
	for (p = h->next; p != h; p = p->next) {
		uint64_t e = dp_timer_of((struct dp_timer_link *)(uintptr_t)p)->expire_us;

		if (e < best)
			best = e;
	}
	return best;
}

uint64_t
dp_timer_wheel_count(const struct dp_timer_wheel *w)
{
	return w->count;
}
