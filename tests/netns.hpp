// SPDX-License-Identifier: MIT
// Linux: what tests that change a network namespace of their own (sockit_test::in_private_network,
// tests/support.hpp) use inside it: sysctls, ip(8) commands, and expectations that cannot be Catch2 assertions.
#pragma once
#ifdef __linux__

#include <cstdio>
#include <cstdlib>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "support.hpp"

namespace sockit_test {

/// Writes `text` to the file `path` (a sysctl under /proc/sys, say); false if it could not.
inline bool write_file(const std::string& path, const std::string& text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (fd >= 0) ::close(fd);
    return ok;
}

/// Runs a shell command (ip, sysctl) inside the namespace; false if it failed.
inline bool run(const std::string& command) { return std::system(command.c_str()) == 0; }

/// Collects failures inside `in_private_network` (tests/support.hpp): `expect(ok, what)` prints `what` when `ok` is
/// false; `result()` is the exit status (0 if every expectation held).
class Expectations {
public:
    bool expect(bool ok, const std::string& what) {
        if (!ok) {
            std::fprintf(stderr, "FAILED in the namespace: %s\n", what.c_str());
            ++failed_;
        }
        return ok;
    }
    int result() const { return failed_ == 0 ? 0 : 1; }

private:
    int failed_ = 0;
};

} // namespace sockit_test
#endif
