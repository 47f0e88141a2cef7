/*
 * liberpal-sim's local report: an SGX REPORT (432 bytes, layout in inclavare/sim_tee.h).
 *   ATTRIBUTES   flags INIT | MODE64BIT (not DEBUG), xfrm 3
 *   MRENCLAVE    the measurement (SHA-256 of the measurement log)
 *   MRSIGNER     SHA-256("inclavare-containers liberpal-sim signer")
 *   REPORTDATA   SHA-256 of the 512-byte TARGETINFO, then 32 zero bytes
 *   KEYID        zero
 *   MAC          first 16 bytes of HMAC-SHA256(key = SHA-256("inclavare-containers sim report key"
 *                || TARGETINFO.MRENCLAVE), message = REPORT[0..416))
 * Everything else is zero.
 */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stdint.h>

#include "inclavare/pal.h"

void sim_make_report(const uint8_t target_info[PAL_SGX_TARGET_INFO_SIZE],
                     const uint8_t measurement[32], uint8_t report[PAL_SGX_REPORT_SIZE]);

#endif /* SIM_REPORT_H */
