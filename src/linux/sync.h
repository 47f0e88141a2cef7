// The typed channel between rune (parent) and the container's init (child) during create:
//   parent -> child: Go (the child is in its cgroups; set up the container), Start (exec now)
//   child -> parent: Ready (set up, waiting for start), Failed (errno + message)
// Each side has its own type with named methods; an out-of-order message is an error naming
// what was expected and what arrived.
#pragma once

#include <string>

#include "base/error.h"
#include "base/fd.h"

namespace linux {

enum class SyncMsg : uint32_t { go = 1, start = 2, ready = 3, failed = 4 };

class ParentChannel;
class ChildChannel;

// Makes the socketpair; each end goes to its own process.
base::Status make_sync_pair(ParentChannel& parent, ChildChannel& child);

class ParentChannel {
 public:
  base::Status send_go();
  base::Status send_start();
  // Waits for Ready; a Failed message comes back as the child's error.
  base::Status wait_ready();
  void close() { fd_.reset(); }

 private:
  friend base::Status make_sync_pair(ParentChannel&, ChildChannel&);
  base::UniqueFd fd_;
};

class ChildChannel {
 public:
  base::Status wait_go();
  base::Status wait_start();
  base::Status send_ready();
  void send_failed(const base::Error& e);
  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  friend base::Status make_sync_pair(ParentChannel&, ChildChannel&);
  base::UniqueFd fd_;
};

}  // namespace linux
