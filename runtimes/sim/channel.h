/*
 * The attestation channel liberpal-sim gives each process it starts (inclavare/sim_tee.h): one
 * SOCK_SEQPACKET pair per process, the process's end passed through its exec, the other end
 * served, with every other process's, by one thread of the PAL (started with the first channel)
 * that answers each request with a REPORT made by `report` (origin: the enclave). A process's
 * channel goes when its end closes (it and its children have exited or closed it).
 */
#ifndef SIM_CHANNEL_H
#define SIM_CHANNEL_H

#include <stdint.h>

/* Makes a REPORT for target `target_info` (512 bytes) with `report_data` (64 bytes): 0, or a
 * negative errno (-EIO: no measurement covers what ran). */
typedef int (*sim_channel_report_fn)(const uint8_t* target_info, const uint8_t* report_data,
                                     uint8_t* report);

/* A new channel: the process's end in *process_end (close-on-exec, >= 3; the caller passes it on
 * and closes its copy). 0 or -errno. */
int sim_channel_open(sim_channel_report_fn report, int* process_end);

/* Ends the serving thread and closes every channel (pal_destroy, unload). */
void sim_channel_shutdown(void);

#endif /* SIM_CHANNEL_H */
