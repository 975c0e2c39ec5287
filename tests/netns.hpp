// SPDX-License-Identifier: MIT
// Linux: runs part of a test in a network namespace of its own, where it may change what the
// host's own network must not (sysctls, interfaces, routes), with only its own loopback.
#pragma once
#ifdef __linux__

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

/// In a child process: a new network namespace (inside a new user namespace when not root),
/// its loopback up, then `f()`, whose result is the child's exit status. Returns that status
/// (0: success), 100 + a step if the namespace could not be made, or 200 if the child did not
/// end within 20 s (it is then killed). Assertions inside `f` cannot reach Catch2: `f` prints
/// what failed on standard error and returns non-zero.
template <class F>
int in_network_namespace(F&& f) {
    pid_t pid = ::fork();
    if (pid == 0) {
        if (::unshare(CLONE_NEWNET) != 0) {
            uid_t uid = ::getuid();
            gid_t gid = ::getgid();
            if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) ::_exit(101);
            write_file("/proc/self/setgroups", "deny");
            if (!write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
                !write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
                ::_exit(102);
        }
        int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ::ifreq request{};
        std::snprintf(request.ifr_name, sizeof request.ifr_name, "lo");
        request.ifr_flags = IFF_UP;
        if (fd < 0 || ::ioctl(fd, SIOCSIFFLAGS, &request) != 0) ::_exit(103);
        ::close(fd);
        int result = 1;
        try {
            result = f();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "in_network_namespace: %s\n", e.what());
            result = 104;
        } catch (...) {
            result = 104;
        }
        std::fflush(stderr);
        ::_exit(result);
    }
    if (pid < 0) return 100;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    int status = 0;
    for (;;) {
        if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 105;
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return 200;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

/// Collects failures inside `in_network_namespace`: `expect(ok, what)` prints `what` when `ok` is
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
