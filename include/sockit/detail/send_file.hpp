// SPDX-License-Identifier: MIT
// Sending a file, or a range of it, on a stream socket: sendfile(2) where the system has it and
// takes the file (Linux, a regular file), a read/send loop otherwise. One deadline for the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <system_error>

#include "sockit/detail/platform.hpp"
#include "sockit/detail/timed_io.hpp"

#ifdef __linux__
#include <csignal>

#include <pthread.h>
#include <sys/sendfile.h>
#endif

namespace sockit::detail {

namespace ops {
#ifdef __linux__
/**
 * sendfile(2) takes no MSG_NOSIGNAL: to a closed peer it raises SIGPIPE, which kills a process
 * that has not ignored it. While one of these lives, SIGPIPE is blocked in the calling thread;
 * when it goes, a SIGPIPE the sends raised (and only one: not one that was pending before) is
 * taken off the thread and the mask restored, so that a closed peer is EPIPE, never a signal.
 */
class SigpipeBlock {
public:
    SigpipeBlock() noexcept {
        ::sigemptyset(&pipe_);
        ::sigaddset(&pipe_, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
        pending_before_ = pending();
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;
    ~SigpipeBlock() {
        if (!pending_before_ && pending()) {
            const ::timespec now{0, 0};
            while (::sigtimedwait(&pipe_, nullptr, &now) < 0 && errno == EINTR) {}
        }
        ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }

private:
    ::sigset_t pipe_;
    ::sigset_t old_;
    bool pending_before_ = false;

    static bool pending() noexcept {
        ::sigset_t set;
        ::sigemptyset(&set);
        return ::sigpending(&set) == 0 && ::sigismember(&set, SIGPIPE) == 1;
    }
};

/// sendfile(2) of up to `count` bytes of `file` from `*offset` (advanced by what was sent) to
/// the socket `fd`; the file's own position is left alone.
inline ssize_type sendfile(native_handle_type fd, int file, std::uint64_t* offset, std::size_t count,
                           std::error_code& ec) noexcept {
    auto at = static_cast<::off_t>(*offset);
    ssize_type n = check(static_cast<ssize_type>(::sendfile(fd, file, &at, count)), ec);
    if (n > 0) *offset += static_cast<std::uint64_t>(n);
    return n;
}
#else
/// No sendfile(2) here, so no SIGPIPE to hold off.
struct SigpipeBlock {};

/// No sendfile(2) with Linux's meaning here: the read/send loop does the work.
inline ssize_type sendfile(native_handle_type, int, std::uint64_t*, std::size_t, std::error_code& ec) noexcept {
    ec = std::make_error_code(std::errc::function_not_supported);
    return -1;
}
#endif

#ifndef _WIN32
/// False for a file that cannot seek (a pipe, a socket: lseek(2) says ESPIPE); true otherwise,
/// including for a bad descriptor, whose error the read then reports.
inline bool seekable(int file) noexcept { return ::lseek(file, 0, SEEK_CUR) >= 0 || errno != ESPIPE; }

/// pread(2) of up to `size` bytes of `file` at `offset`, or read(2) from a file that cannot
/// seek; retried after EINTR.
inline ssize_type read_file(int file, char* data, std::size_t size, std::uint64_t offset, bool seekable,
                            std::error_code& ec) noexcept {
    for (;;) {
        ssize_type n = seekable ? ::pread(file, data, size, static_cast<::off_t>(offset)) : ::read(file, data, size);
        if (n >= 0) {
            ec.clear();
            return n;
        }
        if (errno == EINTR) continue;
        ec = last_error();
        return -1;
    }
}
#else
inline bool seekable(int) noexcept { return true; }
inline ssize_type read_file(int, char*, std::size_t, std::uint64_t, bool, std::error_code& ec) noexcept {
    ec = std::make_error_code(std::errc::operation_not_supported);
    return -1;
}
#endif
} // namespace ops

/// True if sendfile(2) refused the file or the socket as such (not a real failure): the
/// read/send loop takes over.
inline bool sendfile_refused(const std::error_code& ec) noexcept {
    return ec == std::errc::invalid_argument || ec == std::errc::function_not_supported ||
           ec == std::errc::operation_not_supported || ec == std::errc::invalid_seek;
}

/**
 * Sends `count` bytes of `file` from `offset` (all that is left if empty, up to its end) through
 * a stream: `sendfile_some(file, &offset, size, deadline, ec)` for one sendfile call, and the
 * stream's `send_some` for the loop that reads the file into a buffer where sendfile is refused,
 * waiting for a file that cannot seek as the stream's timeout `timeout_ns` says. Returns the
 * bytes sent; stops early at the file's end. One `Deadline` for the whole call.
 */
template <class SendfileSome, class SendSome>
std::uint64_t send_file(SendfileSome&& sendfile_some, SendSome&& send_some, std::int64_t timeout_ns, int file,
                        std::uint64_t offset, std::optional<std::uint64_t> count, std::error_code& ec) noexcept {
    Deadline deadline;
    std::uint64_t sent = 0;
    ec.clear();
    auto left = [&]() -> std::size_t {
        constexpr std::uint64_t chunk = std::uint64_t(1) << 30; // sendfile moves at most ~2 GiB a call
        std::uint64_t want = count ? *count - sent : chunk;
        return static_cast<std::size_t>(want < chunk ? want : chunk);
    };
    bool use_sendfile = true;
    [[maybe_unused]] ops::SigpipeBlock no_sigpipe; // sendfile has no MSG_NOSIGNAL
    while (use_sendfile && (!count || sent < *count)) {
        std::uint64_t at = offset + sent;
        std::size_t n = sendfile_some(file, &at, left(), deadline, ec);
        if (ec) {
            if (sent == 0 && sendfile_refused(ec)) {
                ec.clear();
                use_sendfile = false; // the file or the socket is not for sendfile: read and send
                break;
            }
            return sent;
        }
        if (n == 0) return sent; // the file's end
        sent += n;
    }
    if (use_sendfile) return sent;

    constexpr std::size_t buffer_size = std::size_t(64) * 1024;
    std::unique_ptr<char[]> buffer(new (std::nothrow) char[buffer_size]);
    if (!buffer) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return sent;
    }
    const bool seekable = ops::seekable(file);
    if (!seekable && offset != 0) {
        ec = std::make_error_code(std::errc::invalid_seek); // a pipe has no offset to start at
        return sent;
    }
    while (!count || sent < *count) {
        std::size_t want = left() < buffer_size ? left() : buffer_size;
        // A pipe's read(2) would wait for a writer: that wait is the stream's, within the deadline.
        if (!seekable && !wait_or_look(static_cast<native_handle_type>(file), Direction::in, timeout_ns, deadline, ec))
            return sent;
        ssize_type got = ops::read_file(file, buffer.get(), want, offset + sent, seekable, ec);
        if (got <= 0) return sent; // an error, or the file's end
        std::size_t done = 0;
        while (done < static_cast<std::size_t>(got)) {
            done += send_some(buffer.get() + done, static_cast<std::size_t>(got) - done, deadline, ec);
            if (ec) return sent + done;
        }
        sent += done;
    }
    return sent;
}

} // namespace sockit::detail
