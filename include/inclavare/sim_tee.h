/*
 * Constants of the `sim` software TEE shared by its PAL (runtimes/sim), rune (`rune attest`'s
 * default target) and the attestation code. The sim TEE protects nothing against the host's
 * root: it exists so that development machines and CI without TEE hardware run the same paths.
 */
#ifndef INCLAVARE_SIM_TEE_H
#define INCLAVARE_SIM_TEE_H

#include <stdint.h>

/* MRENCLAVE of the sim quoting target = SHA-256("inclavare-containers sim quoting enclave"). */
static const uint8_t SIM_TEE_QE_MRENCLAVE[32] = {
    0x6b, 0xee, 0xf5, 0xb1, 0x7b, 0xb7, 0x2d, 0x4d, 0x98, 0x68, 0xb1, 0x17, 0x30, 0x0b, 0x41, 0x32,
    0x2a, 0xfa, 0xbf, 0xe0, 0xd7, 0xb0, 0xf8, 0xb6, 0xde, 0x59, 0x05, 0x9c, 0xae, 0xcd, 0xed, 0x7a};

/* CPUSVN of the simulated platform: its 16 SGX TCB component SVNs (as on Intel platforms). The
 * PAL's REPORTs, the quotes' report bodies and the PCK certificate agree on it. */
static const uint8_t SIM_TEE_CPUSVN[16] = {4, 4, 3, 3, 2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};

/* Who asked for a REPORT: ISVFAMILYID byte 0 (reserved for the enclave's author on SGX, so
 * nothing real is lost). A quote's verifier reports it as the claim `report_origin`. */
#define SIM_TEE_ORIGIN_PROCESS 0 /* no runtime: the sim attester quoting for its own program */
#define SIM_TEE_ORIGIN_HOST 1    /* the host, through pal_get_local_report */
#define SIM_TEE_ORIGIN_ENCLAVE 2 /* the workload, through its attestation channel */

/* The attestation channel liberpal-sim gives each process it starts: the descriptor's number is
 * in this environment variable (a SOCK_SEQPACKET socket). Request: TARGETINFO (512 bytes) then
 * REPORTDATA (64). Reply: a status (int32, little-endian: 0, or a positive errno) then, with 0, a
 * REPORT (432) for that target with that REPORTDATA. */
#define SIM_TEE_ATTEST_FD_ENV "INCLAVARE_SIM_ATTEST_FD"
#define SIM_TEE_ATTEST_REQUEST_SIZE (512 + 64)
#define SIM_TEE_ATTEST_REPLY_SIZE (4 + 432)

/* SGX TARGETINFO layout (512 bytes). */
#define SIM_TEE_TI_MRENCLAVE_OFF 0   /* 32 */
#define SIM_TEE_TI_ATTRIBUTES_OFF 32 /* 16: flags u64, xfrm u64 */
#define SIM_TEE_TI_CONFIGSVN_OFF 50  /* 2 */
#define SIM_TEE_TI_MISCSELECT_OFF 52 /* 4 */
#define SIM_TEE_TI_CONFIGID_OFF 64   /* 64 */

/* SGX REPORT layout (432 bytes): body (384) | key id (32) | mac (16). */
#define SIM_TEE_R_CPUSVN_OFF 0
#define SIM_TEE_R_MISCSELECT_OFF 16
#define SIM_TEE_R_ISVEXTPRODID_OFF 32
#define SIM_TEE_R_ATTRIBUTES_OFF 48
#define SIM_TEE_R_MRENCLAVE_OFF 64
#define SIM_TEE_R_MRSIGNER_OFF 128
#define SIM_TEE_R_CONFIGID_OFF 192
#define SIM_TEE_R_ISVPRODID_OFF 256
#define SIM_TEE_R_ISVSVN_OFF 258
#define SIM_TEE_R_CONFIGSVN_OFF 260
#define SIM_TEE_R_ISVFAMILYID_OFF 304
#define SIM_TEE_R_REPORTDATA_OFF 320
#define SIM_TEE_R_KEYID_OFF 384
#define SIM_TEE_R_MAC_OFF 416

/* ATTRIBUTES.flags bits. */
#define SIM_TEE_ATTR_INIT 0x1ull
#define SIM_TEE_ATTR_DEBUG 0x2ull
#define SIM_TEE_ATTR_MODE64BIT 0x4ull

#endif /* INCLAVARE_SIM_TEE_H */
