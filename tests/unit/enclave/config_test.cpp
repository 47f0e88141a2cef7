#include "enclave/config.h"

#include <gtest/gtest.h>

#include "enclave/agent.h"
#include "oci/state.h"

namespace {

oci::Config base_config() {
  oci::Config c;
  c.process.args = {"/bin/true"};
  c.process.env = {"PATH=/bin", "FOO=bar"};
  return c;
}

TEST(EnclaveConfig, OrdinaryBundleIsNotAnEnclave) {
  oci::Config c = base_config();
  auto r = enclave::parse(c);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(c.process.env.size(), 2u);
}

TEST(EnclaveConfig, EnvWinsOverAnnotationsAndIsRemoved) {
  oci::Config c = base_config();
  c.process.env.push_back("ENCLAVE_TYPE=sim");
  c.process.env.push_back("ENCLAVE_RUNTIME_ARGS=a,b,c");
  c.process.env.push_back("ENCLAVE_RA_TYPE=none");
  c.annotations = {{"enclave.type", "intelSgx"},
                   {"enclave.runtime.path", "/lib/../lib/pal.so"},
                   {"enclave.runtime.args", "ignored"},
                   {"enclave.runtime.loglevel", "Warning"}};
  auto r = enclave::parse(c);
  ASSERT_TRUE(r.ok()) << r.error().what();
  ASSERT_TRUE(r->has_value());
  const auto& e = **r;
  EXPECT_EQ(e.type, "sim");
  EXPECT_EQ(e.runtime_path, "/lib/pal.so");
  EXPECT_EQ(e.runtime_args, "a b c");
  EXPECT_EQ(e.log_level, "warning");
  EXPECT_EQ(c.process.env, (std::vector<std::string>{"PATH=/bin", "FOO=bar"}));
}

TEST(EnclaveConfig, DefaultLogLevelIsInfo) {
  oci::Config c = base_config();
  c.annotations = {{"enclave.type", "sim"}, {"enclave.runtime.path", "/pal.so"}};
  auto r = enclave::parse(c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->log_level, "info");
  EXPECT_EQ((*r)->runtime_args, "");
}

TEST(EnclaveConfig, ErrorsNameTheSetting) {
  struct Case {
    std::vector<std::string> env;
    std::string want;
  } cases[] = {
      {{"ENCLAVE_TYPE=tdx", "ENCLAVE_RUNTIME_PATH=/p.so"}, "process.env `ENCLAVE_TYPE`"},
      {{"ENCLAVE_TYPE=sim"}, "ENCLAVE_RUNTIME_PATH"},
      {{"ENCLAVE_TYPE=sim", "ENCLAVE_RUNTIME_PATH=lib/p.so"}, "not an absolute path"},
      {{"ENCLAVE_TYPE=sim", "ENCLAVE_RUNTIME_PATH=/p.so", "ENCLAVE_RUNTIME_LOGLEVEL=loud"},
       "`ENCLAVE_RUNTIME_LOGLEVEL`: log level `loud`"},
      {{"ENCLAVE_RUNTIME_PATH=/p.so"}, "no enclave type"},
  };
  for (const auto& k : cases) {
    oci::Config c = base_config();
    c.process.env.insert(c.process.env.end(), k.env.begin(), k.env.end());
    auto r = enclave::parse(c);
    ASSERT_FALSE(r.ok()) << k.want;
    EXPECT_NE(r.error().what().find(k.want), std::string::npos) << r.error().what();
  }
}

TEST(EnclaveAgent, StringListsRoundTripIntact) {
  std::vector<std::string> argv = {"sh", "-c", "echo \"a b\"", "", "x y"};
  std::vector<std::string> env = {"A=1", "B= spaced value "};
  auto p = enclave::encode_lists({argv, env});
  auto d = enclave::decode_lists(p, 2);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)[0], argv);
  EXPECT_EQ((*d)[1], env);
  EXPECT_FALSE(enclave::decode_lists(p.substr(0, p.size() - 1), 2).ok());
  EXPECT_FALSE(enclave::decode_lists("", 1).ok());
}

TEST(EnclaveState, RoundTrips) {
  oci::ContainerState st;
  st.id = "c1";
  st.pid = 42;
  st.created = "2026-01-01T00:00:00Z";
  oci::EnclaveState e;
  e.type = "sim";
  e.runtime_path = "/pal.so";
  e.runtime_args = "a b";
  e.log_level = "info";
  e.pal_version = 3;
  e.symbols = 0x7f;
  e.env = {"PATH=/bin"};
  st.enclave = e;
  auto back = oci::deserialize_state(oci::serialize_state(st), "state.json");
  ASSERT_TRUE(back.ok()) << back.error().what();
  ASSERT_TRUE(back->enclave.has_value());
  EXPECT_EQ(back->enclave->pal_version, 3);
  EXPECT_EQ(back->enclave->symbols, 0x7fu);
  EXPECT_EQ(back->enclave->env, e.env);
  st.enclave.reset();
  back = oci::deserialize_state(oci::serialize_state(st), "state.json");
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->enclave.has_value());
}

}  // namespace
