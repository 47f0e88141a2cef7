#include "oci/state.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/json_reader.h"
#include "base/process.h"
#include "oci/config.h"

namespace oci {

using base::Error;
using base::Result;
using json = nlohmann::ordered_json;

const char* status_name(Status s) {
  switch (s) {
    case Status::creating:
      return "creating";
    case Status::created:
      return "created";
    case Status::running:
      return "running";
    case Status::stopped:
      return "stopped";
    case Status::paused:
      return "paused";
  }
  return "unknown";
}

base::Status validate_id(const std::string& id) {
  if (id.empty()) return base::invalid("container id is empty");
  if (id == "." || id == "..") return base::invalid("invalid container id `" + id + "`");
  // The id names the state directory: a file name's limit applies.
  if (id.size() > 255)
    return base::invalid("container id `" + base::clip(id, 32) + "` is longer than 255 bytes");
  for (char c : id) {
    bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '+' || c == '-' || c == '.';
    if (!okc)
      return base::invalid("invalid container id `" + base::clip(id) +
                           "`: only letters, digits and _ + - . are allowed");
  }
  return base::ok();
}

base::Status StateStore::reserve(const std::string& id) {
  if (mkdir(root_.c_str(), 0711) != 0 && errno != EEXIST) TRY(base::mkdir_all(root_, 0711));
  std::string d = dir(id);
  if (mkdir(d.c_str(), 0711) != 0) {
    if (errno == EEXIST)
      return Error(base::Category::already_exists, "container `" + id + "` already exists");
    return base::sys_error("create state directory `" + d + "`");
  }
  return base::ok();
}

base::Status StateStore::save(const ContainerState& st) {
  return base::write_file_atomic(dir(st.id) + "/state.json", serialize_state(st), 0600);
}

bool StateStore::exists(const std::string& id) const {
  return base::path_exists(dir(id));
}

Result<ContainerState> StateStore::load(const std::string& id) const {
  TRY(validate_id(id));
  std::string path = dir(id) + "/state.json";
  auto text = base::read_file(path, 4 << 20);
  if (!text.ok()) {
    if (text.error().err() == ENOENT) {
      if (exists(id)) {  // reserved, state not written yet: creating
        ContainerState st;
        st.id = id;
        return st;
      }
      return Error(base::Category::not_found, "container `" + id + "` does not exist");
    }
    return std::move(text).error();
  }
  return deserialize_state(*text, path);
}

Status StateStore::status(const ContainerState& st) const {
  if (st.pid == 0) return st.created.empty() ? Status::creating : Status::stopped;
  if (!base::process_alive(st.pid, st.pid_start)) return Status::stopped;
  return base::path_exists(fifo_path(st.id)) ? Status::created : Status::running;
}

base::Status StateStore::remove(const std::string& id) {
  return base::remove_all(dir(id));
}

std::vector<std::string> StateStore::list() const {
  std::vector<std::string> ids;
  DIR* d = opendir(root_.c_str());
  if (!d) return ids;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
    if (validate_id(n).ok()) ids.push_back(n);
  }
  closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string serialize_state(const ContainerState& st) {
  json j;
  j["id"] = st.id;
  j["pid"] = st.pid;
  j["pid_start"] = st.pid_start;
  j["bundle"] = st.bundle;
  j["rootfs"] = st.rootfs;
  j["created"] = st.created;
  j["annotations"] = st.annotations;
  j["cgroup_dirs"] = st.cgroup_dirs;
  j["own_pid_ns"] = st.own_pid_ns;
  if (st.rootfs_mount_id) j["rootfs_mount_id"] = st.rootfs_mount_id;
  if (st.memory_check_before_update) j["memory_check_before_update"] = true;
  if (st.no_new_keyring) j["no_new_keyring"] = true;
  if (!st.systemd_unit.empty()) j["systemd_unit"] = st.systemd_unit;
  if (st.enclave) {
    const EnclaveState& e = *st.enclave;
    j["enclave"] = {{"type", e.type},
                    {"runtime_path", e.runtime_path},
                    {"runtime_args", e.runtime_args},
                    {"log_level", e.log_level},
                    {"pal_version", e.pal_version},
                    {"symbols", e.symbols},
                    {"env", e.env}};
    if (!e.pool.empty()) {
      j["enclave"]["pool"] = e.pool;
      if (!e.pool_instance.empty()) j["enclave"]["pool_instance"] = e.pool_instance;
      if (!e.pool_reason.empty()) j["enclave"]["pool_reason"] = e.pool_reason;
    }
  }
  if (!st.hooks.empty()) j["hooks"] = json::parse(hooks_json(st.hooks));
  return j.dump();
}

Result<ContainerState> deserialize_state(const std::string& text, const std::string& what) {
  base::Json j = base::Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return base::invalid("state file `" + what + "` is not valid JSON");
  base::JsonReader reader(j, what);
  base::JsonField root = reader.root();
  ContainerState st;
  root["id"].need(st.id);
  root["pid"].need(st.pid);
  root["pid_start"].need(st.pid_start);
  root["bundle"].need(st.bundle);
  root["rootfs"].need(st.rootfs);
  root["created"].need(st.created);
  root["annotations"].need(st.annotations);
  root["cgroup_dirs"].need(st.cgroup_dirs);
  root["own_pid_ns"].need(st.own_pid_ns);
  root["rootfs_mount_id"].get(st.rootfs_mount_id);
  root["memory_check_before_update"].get(st.memory_check_before_update);
  root["no_new_keyring"].get(st.no_new_keyring);
  root["systemd_unit"].get(st.systemd_unit);
  if (base::JsonField enclave = root["enclave"]; enclave.present()) {
    EnclaveState e;
    enclave["type"].need(e.type);
    enclave["runtime_path"].need(e.runtime_path);
    enclave["runtime_args"].need(e.runtime_args);
    enclave["log_level"].need(e.log_level);
    enclave["pal_version"].need(e.pal_version);
    enclave["symbols"].need(e.symbols);
    enclave["env"].need(e.env);
    enclave["pool"].get(e.pool);
    enclave["pool_instance"].get(e.pool_instance);
    enclave["pool_reason"].get(e.pool_reason);
    st.enclave = std::move(e);
  }
  read_hooks(root["hooks"], st.hooks);
  if (base::Status s = reader.status(); !s.ok())
    return std::move(s).error().wrap("state file `" + what + "` is damaged");
  return st;
}

std::string hook_state_json(const std::string& id, Status status, pid_t pid,
                            const std::string& bundle,
                            const std::map<std::string, std::string>& annotations) {
  json j;
  j["ociVersion"] = kSpecVersion;
  j["id"] = id;
  j["status"] = status_name(status);
  if (pid > 0) j["pid"] = pid;
  j["bundle"] = bundle;
  if (!annotations.empty()) j["annotations"] = annotations;
  return j.dump();
}

std::string state_json(const ContainerState& st, Status status, bool indent,
                       const std::string& owner) {
  json j;
  j["ociVersion"] = kSpecVersion;
  j["id"] = st.id;
  j["pid"] = status == Status::stopped ? 0 : st.pid;
  j["status"] = status_name(status);
  j["bundle"] = st.bundle;
  j["rootfs"] = st.rootfs;
  j["created"] = st.created;
  if (!st.annotations.empty()) j["annotations"] = st.annotations;
  j["owner"] = owner;
  // Enclave containers: how the enclave was built (docs/epm.md); runc's fields above stay.
  if (st.enclave && !st.enclave->pool.empty()) {
    json e = {{"pool", st.enclave->pool}};
    if (!st.enclave->pool_instance.empty()) e["instance"] = st.enclave->pool_instance;
    if (!st.enclave->pool_reason.empty()) e["reason"] = st.enclave->pool_reason;
    j["enclave"] = e;
  }
  return indent ? j.dump(2) : j.dump();
}

}  // namespace oci
