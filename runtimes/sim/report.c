#include "report.h"

#include <string.h>

#include "inclavare/sim_tee.h"
#include "sha256.h"

static void put_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void sim_make_report(const uint8_t target_info[PAL_SGX_TARGET_INFO_SIZE],
                     const uint8_t measurement[32], uint8_t report[PAL_SGX_REPORT_SIZE]) {
  static const char signer[] = "inclavare-containers liberpal-sim signer";
  static const char key_label[] = "inclavare-containers sim report key";

  memset(report, 0, PAL_SGX_REPORT_SIZE);
  put_le64(report + SIM_TEE_R_ATTRIBUTES_OFF, SIM_TEE_ATTR_INIT | SIM_TEE_ATTR_MODE64BIT);
  put_le64(report + SIM_TEE_R_ATTRIBUTES_OFF + 8, 3); /* xfrm: x87 and SSE */
  memcpy(report + SIM_TEE_R_MRENCLAVE_OFF, measurement, 32);
  sha256(signer, sizeof signer - 1, report + SIM_TEE_R_MRSIGNER_OFF);
  sha256(target_info, PAL_SGX_TARGET_INFO_SIZE, report + SIM_TEE_R_REPORTDATA_OFF);

  /* The report key belongs to the target (the quoting enclave): derived from its MRENCLAVE. */
  uint8_t key_material[sizeof key_label - 1 + 32];
  memcpy(key_material, key_label, sizeof key_label - 1);
  memcpy(key_material + sizeof key_label - 1, target_info + SIM_TEE_TI_MRENCLAVE_OFF, 32);
  uint8_t key[32], mac[32];
  sha256(key_material, sizeof key_material, key);
  hmac_sha256(key, sizeof key, report, SIM_TEE_R_MAC_OFF, mac);
  memcpy(report + SIM_TEE_R_MAC_OFF, mac, 16);
  memset(key, 0, sizeof key);
}
