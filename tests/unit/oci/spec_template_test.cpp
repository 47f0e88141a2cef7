// Tests of src/oci/spec_template.cpp's rootless form (runc spec --rootless's differences).
#include "oci/spec_template.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "oci/config.h"

namespace oci {
namespace {

TEST(RootlessSpecTest, MapsTheCallerAndDropsWhatNeedsPrivilege) {
  auto j = nlohmann::json::parse(rootless_spec(spec_template(), 1000, 1001));
  EXPECT_EQ(j["linux"]["uidMappings"].dump(), R"([{"containerID":0,"hostID":1000,"size":1}])");
  EXPECT_EQ(j["linux"]["gidMappings"].dump(), R"([{"containerID":0,"hostID":1001,"size":1}])");
  std::vector<std::string> ns;
  for (const auto& n : j["linux"]["namespaces"]) ns.push_back(n["type"]);
  EXPECT_EQ(ns, (std::vector<std::string>{"pid", "ipc", "uts", "mount", "user"}));
  EXPECT_FALSE(j["linux"].contains("resources"));
  for (const auto& m : j["mounts"]) {
    if (m["destination"] == "/sys") {
      EXPECT_EQ(m["source"], "/sys");
      EXPECT_EQ(m["options"][0], "rbind");
    }
    for (const auto& o : m["options"]) EXPECT_NE(o.get<std::string>().rfind("gid=", 0), 0u);
  }
  // And rune itself takes it.
  auto c = parse_config(rootless_spec(spec_template(), 1000, 1001), "config.json");
  EXPECT_TRUE(c.ok()) << c.error().what();
}

}  // namespace
}  // namespace oci
