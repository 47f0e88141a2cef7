#include "oci/spec_template.h"

#include <nlohmann/json.hpp>

namespace oci {

std::string spec_template() {
  return R"JSON({
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": true,
		"user": {
			"uid": 0,
			"gid": 0
		},
		"args": [
			"sh"
		],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"effective": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"permitted": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			}
		],
		"noNewPrivileges": true
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "rune",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": [
				"nosuid",
				"strictatime",
				"mode=755",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": [
				"nosuid",
				"noexec",
				"newinstance",
				"ptmxmode=0666",
				"mode=0620",
				"gid=5"
			]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"mode=1777",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": [
				"nosuid",
				"noexec",
				"nodev"
			]
		},
		{
			"destination": "/sys",
			"type": "sysfs",
			"source": "sysfs",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"ro"
			]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"relatime",
				"ro"
			]
		}
	],
	"linux": {
		"resources": {
			"devices": [
				{
					"allow": false,
					"access": "rwm"
				}
			]
		},
		"namespaces": [
			{
				"type": "pid"
			},
			{
				"type": "network"
			},
			{
				"type": "ipc"
			},
			{
				"type": "uts"
			},
			{
				"type": "mount"
			}
		],
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
}
)JSON";
}

std::string enclave_spec_template(const std::string& pal_host_path) {
  auto j = nlohmann::ordered_json::parse(spec_template());
  auto& p = j["process"];
  p["terminal"] = false;
  p["args"] = {"sh", "-c",
               "echo Hello from an enclave container on the sim TEE; "
               "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status"};
  p["env"] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "ENCLAVE_TYPE=sim", std::string("ENCLAVE_RUNTIME_PATH=") + kEnclaveSpecPalPath,
              "ENCLAVE_RUNTIME_ARGS=", "ENCLAVE_RUNTIME_LOGLEVEL=info"};
  nlohmann::ordered_json m = {{"destination", kEnclaveSpecPalPath},
                              {"type", "bind"},
                              {"source", pal_host_path},
                              {"options", {"bind", "ro", "nosuid", "nodev"}}};
  j["mounts"].push_back(m);
  return j.dump(1, '\t') + "\n";
}

std::string rootless_spec(const std::string& base, uint32_t uid, uint32_t gid) {
  auto j = nlohmann::ordered_json::parse(base);
  auto& linux = j["linux"];
  auto ns = nlohmann::ordered_json::array();
  for (const auto& n : linux["namespaces"])
    if (n["type"] != "network" && n["type"] != "user") ns.push_back(n);
  ns.push_back({{"type", "user"}});
  linux["namespaces"] = ns;
  linux["uidMappings"] = {{{"containerID", 0}, {"hostID", uid}, {"size", 1}}};
  linux["gidMappings"] = {{{"containerID", 0}, {"hostID", gid}, {"size", 1}}};
  linux.erase("resources");
  for (auto& m : j["mounts"]) {
    if (m["destination"] == "/sys") {
      m["type"] = "none";
      m["source"] = "/sys";
      m["options"] = {"rbind", "nosuid", "noexec", "nodev", "ro"};
      continue;
    }
    auto opts = nlohmann::ordered_json::array();
    for (const auto& o : m["options"])
      if (o.get<std::string>().rfind("gid=", 0) != 0) opts.push_back(o);
    m["options"] = opts;
  }
  return j.dump(1, '\t') + "\n";
}

}  // namespace oci
