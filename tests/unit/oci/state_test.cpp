#include "oci/state.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include "temp_dir.h"

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/process.h"

namespace oci {
namespace {

TEST(ValidateIdTest, RejectsEmptySlashAndDotDot) {
  EXPECT_TRUE(validate_id("abc-1.2_x+y").ok());
  EXPECT_FALSE(validate_id("").ok());
  EXPECT_FALSE(validate_id("..").ok());
  EXPECT_FALSE(validate_id(".").ok());
  auto r = validate_id("a/b");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("`a/b`"), std::string::npos);
  EXPECT_FALSE(validate_id("../x").ok());
}

ContainerState sample() {
  ContainerState st;
  st.id = "c1";
  st.pid = 42;
  st.pid_start = 7;
  st.bundle = "/b";
  st.rootfs = "/b/rootfs";
  st.created = "2026-01-01T00:00:00Z";
  st.annotations = {{"k", "v"}};
  st.cgroup_dirs = {"/sys/fs/cgroup/pids/c1"};
  return st;
}

TEST(StateTest, SerializeRoundTrips) {
  auto r = deserialize_state(serialize_state(sample()), "s");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pid, 42);
  EXPECT_EQ(r->pid_start, 7u);
  EXPECT_EQ(r->annotations.at("k"), "v");
  EXPECT_EQ(r->cgroup_dirs.at(0), "/sys/fs/cgroup/pids/c1");
  EXPECT_FALSE(r->no_new_keyring);
  ContainerState st = sample();
  st.no_new_keyring = true;
  auto k = deserialize_state(serialize_state(st), "s");
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k->no_new_keyring);
}

TEST(StateTest, DamagedStateFileIsAnErrorNamingIt) {
  auto r = deserialize_state("{\"id\":1}", "/run/rune/x/state.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("/run/rune/x/state.json"), std::string::npos);
}

TEST(StateTest, StateJsonHasRuncFieldsInRuncOrder) {
  auto j = nlohmann::ordered_json::parse(state_json(sample(), Status::running, true, ""));
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"ociVersion", "id", "pid", "status", "bundle", "rootfs",
                                            "created", "annotations", "owner"}));
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["pid"], 42);
  auto stopped = nlohmann::json::parse(state_json(sample(), Status::stopped, false, "root"));
  EXPECT_EQ(stopped["pid"], 0);
  EXPECT_EQ(stopped["owner"], "root");
}

class StoreTest : public testutil::TempDirTest {};

TEST_F(StoreTest, ReserveTwiceIsAlreadyExists) {
  StateStore s(dir_ + "/root");
  ASSERT_TRUE(s.reserve("a").ok());
  auto r = s.reserve("a");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category(), base::Category::already_exists);
  EXPECT_EQ(r.error().message(), "container `a` already exists");
}

TEST_F(StoreTest, StatusFollowsProcessAndFifo) {
  StateStore s(dir_);
  ASSERT_TRUE(s.reserve("c1").ok());
  auto loaded = s.load("c1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(s.status(*loaded), Status::creating);  // no state.json yet
  ContainerState st = sample();
  st.pid = getpid();
  st.pid_start = base::read_proc_stat(getpid())->start_time;
  ASSERT_TRUE(s.save(st).ok());
  EXPECT_EQ(s.status(*s.load("c1")), Status::running);
  ASSERT_TRUE(base::write_file_atomic(s.fifo_path("c1"), "").ok());
  EXPECT_EQ(s.status(*s.load("c1")), Status::created);
  st.pid_start += 1;  // same pid, another process: stopped
  ASSERT_TRUE(s.save(st).ok());
  EXPECT_EQ(s.status(*s.load("c1")), Status::stopped);
  EXPECT_EQ(s.list(), std::vector<std::string>{"c1"});
  ASSERT_TRUE(s.remove("c1").ok());
  auto gone = s.load("c1");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().message(), "container `c1` does not exist");
}

TEST(ValidateIdTest, LongAndInvalidIdsAreNamedButClipped) {
  std::string long_id(300, 'a');
  auto e = validate_id(long_id);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message(),
            "container id `" + std::string(32, 'a') + "... (300 bytes)` is longer than 255 bytes");
  EXPECT_TRUE(validate_id(std::string(255, 'a')).ok());
  std::string huge(1 << 20, '/');
  auto h = validate_id("a" + huge);
  ASSERT_FALSE(h.ok());
  EXPECT_LT(h.error().message().size(), 200u) << "a 1 MiB id must not make a 1 MiB message";
}

}  // namespace
}  // namespace oci
