#include "ttrpc/status.h"

namespace ttrpc {

Code code_of(base::Category c) {
  using base::Category;
  switch (c) {
    case Category::invalid_argument:
      return kInvalidArgument;
    case Category::not_found:
      return kNotFound;
    case Category::already_exists:
      return kAlreadyExists;
    case Category::failed_precondition:
      return kFailedPrecondition;
    case Category::unavailable:
      return kUnavailable;
    case Category::internal:
      return kInternal;
    case Category::unimplemented:
      return kUnimplemented;
    case Category::permission_denied:
      return kPermissionDenied;
    case Category::resource_exhausted:
      return kResourceExhausted;
    case Category::deadline_exceeded:
      return kDeadlineExceeded;
    case Category::cancelled:
      return kCancelled;
  }
  return kInternal;
}

base::Category category_of(int32_t code) {
  using base::Category;
  switch (code) {
    case kInvalidArgument:
    case kOutOfRange:
      return Category::invalid_argument;
    case kNotFound:
      return Category::not_found;
    case kAlreadyExists:
      return Category::already_exists;
    case kFailedPrecondition:
    case kAborted:
      return Category::failed_precondition;
    case kUnavailable:
      return Category::unavailable;
    case kUnimplemented:
      return Category::unimplemented;
    case kPermissionDenied:
      return Category::permission_denied;
    case kResourceExhausted:
      return Category::resource_exhausted;
    case kDeadlineExceeded:
      return Category::deadline_exceeded;
    case kCancelled:
      return Category::cancelled;
    default:
      return Category::internal;
  }
}

const char* code_name(int32_t code) {
  static const char* const names[] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  if (code < 0 || code >= int32_t(sizeof names / sizeof *names)) return "Unknown";
  return names[code];
}

}  // namespace ttrpc
