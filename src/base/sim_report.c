#include "sim_report.h"

#include <string.h>

#include "inclavare/sim_tee.h"
#include "sha256.h"

static void put_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void sim_report_mac(const uint8_t target_mrenclave[32], const uint8_t* report, uint8_t mac[16]) {
  static const char key_label[] = "inclavare-containers sim report key";
  uint8_t key_material[sizeof key_label - 1 + 32];
  memcpy(key_material, key_label, sizeof key_label - 1);
  memcpy(key_material + sizeof key_label - 1, target_mrenclave, 32);
  uint8_t key[32], full[32];
  sha256(key_material, sizeof key_material, key);
  hmac_sha256(key, sizeof key, report, SIM_REPORT_MACED_SIZE, full);
  memcpy(mac, full, 16);
  memset(key, 0, sizeof key);
}

void sim_report_make(const uint8_t* target_info, const uint8_t measurement[32],
                     const uint8_t report_data[64], uint8_t origin,
                     uint8_t report[SIM_REPORT_SIZE]) {
  static const char signer[] = "inclavare-containers liberpal-sim signer";
  memset(report, 0, SIM_REPORT_SIZE);
  memcpy(report + SIM_TEE_R_CPUSVN_OFF, SIM_TEE_CPUSVN, sizeof SIM_TEE_CPUSVN);
  put_le64(report + SIM_TEE_R_ATTRIBUTES_OFF, SIM_TEE_ATTR_INIT | SIM_TEE_ATTR_MODE64BIT);
  put_le64(report + SIM_TEE_R_ATTRIBUTES_OFF + 8, 3); /* xfrm: x87 and SSE */
  memcpy(report + SIM_TEE_R_MRENCLAVE_OFF, measurement, 32);
  sha256(signer, sizeof signer - 1, report + SIM_TEE_R_MRSIGNER_OFF);
  report[SIM_TEE_R_ISVFAMILYID_OFF] = origin;
  memcpy(report + SIM_TEE_R_REPORTDATA_OFF, report_data, 64);
  sim_report_mac(target_info + SIM_TEE_TI_MRENCLAVE_OFF, report, report + SIM_TEE_R_MAC_OFF);
}

int sim_report_mac_ok(const uint8_t target_mrenclave[32], const uint8_t report[SIM_REPORT_SIZE]) {
  uint8_t mac[16];
  sim_report_mac(target_mrenclave, report, mac);
  uint8_t diff = 0;
  for (int i = 0; i < 16; i++) diff |= (uint8_t)(mac[i] ^ report[SIM_TEE_R_MAC_OFF + i]);
  return diff == 0;
}
