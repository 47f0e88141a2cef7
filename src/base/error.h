// Error and Result<T>: the one error style of the project.
//
// An Error carries an errno (0 when none applies), a category that boundaries map once (CLI exit
// code, log level, later gRPC/ttrpc status or a C ABI int) and a message that names the input
// that was wrong, in backticks. wrap() prepends context as the error travels up.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace base {

enum class Category {
  invalid_argument,     // the caller's input is wrong (config field, flag, id)
  not_found,            // a named thing does not exist (container, file)
  already_exists,       // a named thing exists already (container id)
  failed_precondition,  // the thing exists but is in the wrong state (start on running)
  unavailable,          // the kernel or a peer refused, may work later
  internal,             // a bug or an unexpected system failure
  // Appended for the services (shim, inclavared, sgx-tools): new values go at the end only.
  unimplemented,       // this version does not do what was asked (a known command or option)
  permission_denied,   // the caller may not do this (EPERM, EACCES, a peer's credentials)
  resource_exhausted,  // a size or count limit was hit (a frame over the maximum, ENOMEM, ENOSPC)
  deadline_exceeded,   // a timeout passed before the operation finished
  cancelled,           // the caller gave up (a closed connection, a signal)
};

// The category's name as written here ("invalid_argument"), for logs and tests.
const char* category_name(Category c);

class Error {
 public:
  Error(Category cat, std::string message, int err = 0)
      : cat_(cat), err_(err), msg_(std::move(message)) {}

  Category category() const { return cat_; }
  int err() const { return err_; }
  // The message without the errno text.
  const std::string& message() const { return msg_; }
  // The message followed by ": <strerror(errno)>" when an errno is set.
  std::string what() const;

  // Prepends "context: " to the message; keeps errno and category.
  Error& wrap(std::string_view context) &;
  Error&& wrap(std::string_view context) &&;

 private:
  Category cat_;
  int err_;
  std::string msg_;
};

// `s` for an error message: as it is up to `max` bytes, else its first `max` bytes, "...", and its
// length, so that a hostile input cannot make a message as long as itself.
std::string clip(std::string_view s, size_t max = 64);

// Error from the current errno, for a failed libc call.
Error sys_error(std::string message, int err = errno);
inline Error invalid(std::string message) {
  return Error(Category::invalid_argument, std::move(message));
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error e) : v_(std::move(e)) {}      // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : e_(std::move(e)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return e_; }
  Error&& error() && { return std::move(e_); }

 private:
  Error e_{Category::internal, ""};
  bool ok_ = true;
};

using Status = Result<void>;
inline Status ok() {
  return {};
}

}  // namespace base

#define BASE_CONCAT_INNER(a, b) a##b
#define BASE_CONCAT(a, b) BASE_CONCAT_INNER(a, b)

// TRY(expr): evaluates a Result/Status, returns its error from the enclosing function if failed.
#define TRY(expr)                                               \
  do {                                                          \
    auto&& base_try_r = (expr);                                 \
    if (!base_try_r.ok()) return std::move(base_try_r).error(); \
  } while (0)

// TRY_WRAP(expr, ctx): like TRY, prefixing the error with ctx.
#define TRY_WRAP(expr, ctx)                                               \
  do {                                                                    \
    auto&& base_try_r = (expr);                                           \
    if (!base_try_r.ok()) return std::move(base_try_r).error().wrap(ctx); \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): lhs = value of expr, or return its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(BASE_CONCAT(base_aor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)   \
  auto tmp = (expr);                            \
  if (!tmp.ok()) return std::move(tmp).error(); \
  lhs = std::move(tmp).value()
