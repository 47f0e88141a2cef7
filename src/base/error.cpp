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
      c = Category::unavailable;
      break;
    default:
      break;
  }
  return Error(c, std::move(message), err);
}

}  // namespace base
