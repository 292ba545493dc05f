/*
 * load.h - -n requests shared among -j worker processes, each with one
 * keep-alive connection. Every request is prepared before the clock
 * starts and sent before any answer is checked, so that ms= and the rate
 * time the server, not this client; then every answer is checked and
 * printed, and the parent prints the totals and the latency percentiles.
 */
#ifndef SCEPCLI_LOAD_H
#define SCEPCLI_LOAD_H

#include "request.h"

/* The exit code: 0 when all -n passed, 1 when any failed, 2 when the run
 * could not start. Worker processes return here too (0, or 1 when out of
 * memory), so that every process unwinds through main(). */
int	 run_workers(const struct ctx *cx);

#endif
