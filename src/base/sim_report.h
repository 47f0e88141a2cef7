/* The sim TEE's local REPORTs (an SGX REPORT, 432 bytes, layout in inclavare/sim_tee.h), made by
 * liberpal-sim and checked by the sim quoting enclave (src/rats/sim): one implementation of the
 * MAC for both, in C with nothing but libc (liberpal-sim links nothing else).
 *   CPUSVN       SIM_TEE_CPUSVN
 *   ATTRIBUTES   flags INIT | MODE64BIT (not DEBUG), xfrm 3
 *   MRENCLAVE    the measurement (SHA-256 of the measurement log)
 *   MRSIGNER     SHA-256("inclavare-containers liberpal-sim signer")
 *   ISVFAMILYID  byte 0: the origin (SIM_TEE_ORIGIN_*)
 *   REPORTDATA   as given
 *   KEYID        zero
 *   MAC          first 16 bytes of HMAC-SHA256(key = SHA-256("inclavare-containers sim report key"
 *                || TARGETINFO.MRENCLAVE), message = REPORT[0..416))
 * Everything else is zero. The report key belongs to the target: only code that knows the
 * target's MRENCLAVE checks the MAC, as only the target enclave can on SGX (EGETKEY). In the sim
 * that is everyone: the MAC catches mistakes and tampering in transit, not a hostile host.
 */
#ifndef BASE_SIM_REPORT_H
#define BASE_SIM_REPORT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SIM_REPORT_SIZE 432
#define SIM_REPORT_MACED_SIZE 416 /* body (384) and key id (32) */

/* The MAC of `report` (its first 416 bytes) for the target whose MRENCLAVE is `target_mrenclave`.
 */
void sim_report_mac(const uint8_t target_mrenclave[32], const uint8_t* report, uint8_t mac[16]);

/* A REPORT for the target `target_info` (512 bytes): `measurement` as MRENCLAVE, `report_data`
 * (64 bytes), `origin` in ISVFAMILYID[0], MACed for the target. */
void sim_report_make(const uint8_t* target_info, const uint8_t measurement[32],
                     const uint8_t report_data[64], uint8_t origin,
                     uint8_t report[SIM_REPORT_SIZE]);

/* Whether the MAC of `report` is right for the target `target_mrenclave` (constant time). */
int sim_report_mac_ok(const uint8_t target_mrenclave[32], const uint8_t report[SIM_REPORT_SIZE]);

#ifdef __cplusplus
}
#endif

#endif /* BASE_SIM_REPORT_H */
