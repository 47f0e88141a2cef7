// The one mapping between base::Category and gRPC status codes (what a ttrpc Response carries,
// and what containerd's errdefs turns back into its own errors: NotFound, AlreadyExists, ...).
#pragma once

#include <cstdint>

#include "base/error.h"

namespace ttrpc {

enum Code : int32_t {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
};

Code code_of(base::Category c);
// For a status received from a peer: the category closest to `code` (unknown codes: internal).
base::Category category_of(int32_t code);
// "NotFound", "InvalidArgument", ... (the names containerd's logs use).
const char* code_name(int32_t code);

}  // namespace ttrpc
