#include "base/error.h"

#include <cstring>

namespace base {

std::string Error::what() const {
  if (err_ == 0) return msg_;
  std::string s = msg_;
  s += ": ";
  s += strerror(err_);
  return s;
}

Error& Error::wrap(std::string_view context) & {
  std::string s(context);
  s += ": ";
  s += msg_;
  msg_ = std::move(s);
  return *this;
}

Error&& Error::wrap(std::string_view context) && {
  wrap(context);
  return std::move(*this);
}

std::string clip(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "... (" + std::to_string(s.size()) + " bytes)";
}

const char* category_name(Category c) {
  switch (c) {
    case Category::invalid_argument:
      return "invalid_argument";
    case Category::not_found:
      return "not_found";
    case Category::already_exists:
      return "already_exists";
    case Category::failed_precondition:
      return "failed_precondition";
    case Category::unavailable:
      return "unavailable";
    case Category::internal:
      return "internal";
    case Category::unimplemented:
      return "unimplemented";
    case Category::permission_denied:
      return "permission_denied";
    case Category::resource_exhausted:
      return "resource_exhausted";
    case Category::deadline_exceeded:
      return "deadline_exceeded";
    case Category::cancelled:
      return "cancelled";
  }
  return "unknown";
}

Error sys_error(std::string message, int err) {
  Category c = Category::internal;
  switch (err) {
    case ENOENT:
      c = Category::not_found;
      break;
    case EEXIST:
      c = Category::already_exists;
      break;
    case EINVAL:
      c = Category::invalid_argument;
      break;
    case EAGAIN:
    case EBUSY:
    case ECONNREFUSED:
      c = Category::unavailable;
      break;
    case EPERM:
    case EACCES:
      c = Category::permission_denied;
      break;
    case ENOSYS:
    case EOPNOTSUPP:
      c = Category::unimplemented;
      break;
    case ENOMEM:
    case ENOSPC:
    case E2BIG:
      c = Category::resource_exhausted;
      break;
    case ETIMEDOUT:
      c = Category::deadline_exceeded;
      break;
    case ECANCELED:
      c = Category::cancelled;
      break;
    default:
      break;
  }
  return Error(c, std::move(message), err);
}

}  // namespace base
