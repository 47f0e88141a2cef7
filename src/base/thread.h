// Detached threads with a small stack, for the services' many short-lived or mostly blocked
// threads (one per ttrpc call in flight, one per copied stream): 8 MiB of reserved stack each
// would be address space for nothing.
#pragma once

#include <cstddef>
#include <functional>

#include "base/error.h"

namespace base {

// Runs `f` on a new detached thread with a `stack`-byte stack (at least PTHREAD_STACK_MIN).
// Every signal is blocked in the new thread: a service takes its signals in one place.
Status start_detached(std::function<void()> f, size_t stack = 256 << 10);

}  // namespace base
