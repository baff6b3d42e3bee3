/* SPDX-License-Identifier: GPL-2.0 */
/*
 * replay.h - a recorded trace played back in trace time, for catctl top:
 * records are fed to a rebuild and its taskstats (taskstats.h) up to a
 * moment of the trace, which only moves forward; seeking back starts
 * over from the first record (rebuilding is fast: tens of millions of
 * records per second, timeline.rst) so that every number is always
 * what the trace says up to that moment.
 */
#ifndef CAT_REPLAY_H
#define CAT_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rebuild.h"
#include "taskstats.h"

struct cat_dwarf;
struct cat_spawnsites;
struct cat_replay;

/*
 * Open @path; @dw and @ss (either may be NULL) are borrowed. NULL on
 * failure with "PATH: offset N: what" (or the reason) in @err.
 */
struct cat_replay *cat_replay_open(const char *path, struct cat_dwarf *dw,
				   struct cat_spawnsites *ss,
				   const struct cat_rebuild_opts *ro,
				   char *err, size_t errlen);
void cat_replay_free(struct cat_replay *r);

/* The trace's first and last moments (ns, trace clock). */
uint64_t cat_replay_start(const struct cat_replay *r);
uint64_t cat_replay_end(const struct cat_replay *r);
/* Where the replay is: every record up to here has been fed. */
uint64_t cat_replay_now(const struct cat_replay *r);
bool cat_replay_done(const struct cat_replay *r);

/*
 * Feed the records up to @until (at the end of the trace: finish it).
 * Earlier than now: start over, then feed. 0, or -EIO on a corrupt
 * record (the message in @err; what came before stays), -ENOMEM.
 */
int cat_replay_seek(struct cat_replay *r, uint64_t until, char *err,
		    size_t errlen);

/* The statistics up to now (synced); valid until the next seek. */
struct cat_taskstats *cat_replay_stats(struct cat_replay *r);

#endif /* CAT_REPLAY_H */
