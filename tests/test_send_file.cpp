// SPDX-License-Identifier: MIT
// send_file: a file, or a range of it, on a stream socket — with sendfile(2) for a regular file
// (this file interposes sendfile to count its calls and bytes), with a read/send loop for a pipe;
// one deadline for the call, the bytes sent reported on failure, no SIGPIPE.
#ifdef __linux__
#include <sockit/sockit.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "support.hpp"

namespace {
std::atomic<long> sendfile_calls{0};
std::atomic<long long> sendfile_bytes{0};
} // namespace

extern "C" ssize_t sendfile(int out, int in, off_t* offset, size_t count) noexcept {
    using Sendfile = ssize_t (*)(int, int, off_t*, size_t);
    static const Sendfile real = reinterpret_cast<Sendfile>(::dlsym(RTLD_NEXT, "sendfile"));
    ++sendfile_calls;
    ssize_t n = real(out, in, offset, count);
    if (n > 0) sendfile_bytes += n;
    return n;
}

using namespace std::chrono_literals;
using sockit_test::Deadline;
using sockit_test::JoinedThread;

namespace {

/// A temporary regular file holding `size` bytes of a pattern that shows misplaced bytes.
struct TempFile {
    std::string path;
    std::string content;
    int fd = -1;
    explicit TempFile(std::size_t size) {
        char name[] = "/tmp/sockit-sendfile-XXXXXX";
        fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        path = name;
        content.resize(size);
        for (std::size_t i = 0; i < size; ++i) content[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
        REQUIRE(::write(fd, content.data(), size) == static_cast<ssize_t>(size));
        ::lseek(fd, 0, SEEK_SET);
    }
    ~TempFile() {
        ::close(fd);
        ::unlink(path.c_str());
    }
};

/// Runs `action` on a thread of its own if the scope it lives in has not ended within `limit`:
/// it ends a call that a bug would leave blocked forever, so that the test fails instead of hanging.
class Rescue {
public:
    template <class F>
    Rescue(std::chrono::milliseconds limit, F action)
        : thread_([this, limit, action] {
              std::unique_lock<std::mutex> lock(mutex_);
              if (!done_cv_.wait_for(lock, limit, [this] { return done_; })) {
                  fired_ = true;
                  action();
              }
          }) {}
    Rescue(const Rescue&) = delete;
    Rescue& operator=(const Rescue&) = delete;
    ~Rescue() { end(); }
    /// True if the action ran (only meaningful after `end`).
    bool fired() const { return fired_; }
    /// Stops waiting (the action runs no more) and joins the thread.
    void end() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            done_ = true;
        }
        done_cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

private:
    std::mutex mutex_;
    std::condition_variable done_cv_;
    bool done_ = false;
    std::atomic<bool> fired_{false};
    std::thread thread_;
};

/// Reads from `stream` until it ends (or 30 s pass).
std::string read_to_end(sockit::TcpStream& stream) {
    std::string out;
    char buf[65536];
    stream.set_timeout(30s);
    while (std::size_t n = stream.recv(buf, sizeof buf)) out.append(buf, n);
    return out;
}

} // namespace

TEST_CASE("send_file sends a whole file with sendfile(2), leaving the file's position alone", "[send_file]") {
    sockit_test::FdLeakCheck leaks;
    TempFile file(8 * 1024 * 1024 + 123);
    auto [client, server] = sockit_test::tcp_pair();
    std::string received;
    long calls_before = sendfile_calls;
    long long bytes_before = sendfile_bytes;
    std::uint64_t sent = 0;
    {
        JoinedThread reader([&, &s = server] { received = read_to_end(s); });
        sent = client.send_file(file.fd);
        client.shutdown(sockit::Shutdown::write);
    }
    CHECK(sent == file.content.size());
    CHECK(received.size() == file.content.size());
    CHECK(received == file.content);
    CHECK(sendfile_calls - calls_before >= 1);
    CHECK(sendfile_bytes - bytes_before == static_cast<long long>(file.content.size())); // all in the kernel
    CHECK(::lseek(file.fd, 0, SEEK_CUR) == 0);
}

TEST_CASE("send_file sends a range, and stops at the file's end", "[send_file]") {
    TempFile file(100000);
    for (auto [offset, count, expect] : {std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>{1000, 5000, 5000},
                                         {99000, 5000, 1000},
                                         {100000, 10, 0},
                                         {0, 0, 0},
                                         {123, 1, 1}}) {
        INFO("offset " << offset << " count " << count);
        auto [client, server] = sockit_test::tcp_pair();
        std::uint64_t sent = client.send_file(file.fd, offset, count);
        client.shutdown(sockit::Shutdown::write);
        CHECK(sent == expect);
        CHECK(read_to_end(server) == file.content.substr(offset, expect));
    }
    // Without a count: from the offset to the end.
    auto [client, server] = sockit_test::tcp_pair();
    CHECK(client.send_file(file.fd, 60000) == 40000);
    client.shutdown(sockit::Shutdown::write);
    CHECK(read_to_end(server) == file.content.substr(60000));
}

TEST_CASE("send_file reads and sends what sendfile refuses: a pipe", "[send_file]") {
    sockit_test::FdLeakCheck leaks;
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    std::string content(300000, '\0');
    for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i % 251);
    auto [client, server] = sockit_test::tcp_pair();
    std::string received;
    long long bytes_before = sendfile_bytes;
    std::uint64_t sent = 0;
    {
        JoinedThread writer([&] {
            std::size_t done = 0;
            while (done < content.size()) {
                ssize_t n = ::write(p[1], content.data() + done, content.size() - done);
                if (n <= 0) break;
                done += static_cast<std::size_t>(n);
            }
            ::close(p[1]);
        });
        JoinedThread reader([&, &s = server] { received = read_to_end(s); });
        sent = client.send_file(p[0]);
        client.shutdown(sockit::Shutdown::write);
    }
    ::close(p[0]);
    CHECK(sent == content.size());
    CHECK(received == content);
    CHECK(sendfile_bytes == bytes_before); // every byte went through the loop

    // A pipe cannot start at an offset.
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    std::error_code ec;
    CHECK(client.send_file(p[0], 10, std::nullopt, ec) == 0);
    CHECK(ec == std::errc::invalid_seek);
    ::close(p[0]);
    ::close(p[1]);
}

TEST_CASE("send_file's timeout bounds the whole call and the exception counts what was sent", "[send_file]") {
    sockit_test::FdLeakCheck leaks;
    TempFile file(32 * 1024 * 1024);
    auto [client, server] = sockit_test::tcp_pair();
    client.set_option(sockit::SendBufferSize(65536));
    server.set_option(sockit::ReceiveBufferSize(65536));
    client.set_timeout(300ms);
    std::uint64_t transferred = 0;
    auto took = sockit_test::elapsed([&, &c = client] {
        try {
            c.send_file(file.fd);
            FAIL("a send_file to a reader that never reads ended without a timeout");
        } catch (const sockit::TimeoutError& e) {
            transferred = e.transferred();
            CHECK_THAT(e.what(), sockit_test::contains("send_file 127.0.0.1:"));
            CHECK_THAT(e.what(), sockit_test::contains("(sent " + std::to_string(transferred) + " bytes)"));
        }
    });
    CHECK(took >= 300ms);
    CHECK(took < 3000ms);
    CHECK(transferred > 0);
    CHECK(transferred < file.content.size());
    // What was sent arrived, in order.
    server.set_timeout(5s);
    std::string got(static_cast<std::size_t>(transferred), '\0');
    server.recv_exactly(got.data(), got.size());
    CHECK(got == file.content.substr(0, got.size()));
}

TEST_CASE("send_file's one deadline holds against a reader that keeps each wait short", "[send_file][threads]") {
    // The reader takes 64 KiB every 50 ms: no single wait reaches the 300 ms timeout, the whole
    // call must still end at it (32 MiB at that pace would take 25 s).
    TempFile file(32 * 1024 * 1024);
    auto [client, server] = sockit_test::tcp_pair();
    client.set_option(sockit::SendBufferSize(65536));
    server.set_option(sockit::ReceiveBufferSize(65536));
    client.set_timeout(300ms);
    std::atomic<bool> done{false};
    std::error_code ec;
    std::chrono::milliseconds took{};
    {
        JoinedThread reader([&, &s = server] {
            char buf[65536];
            s.set_timeout(50ms);
            while (!done) {
                std::error_code e;
                s.recv(buf, sizeof buf, e);
                std::this_thread::sleep_for(50ms);
            }
        });
        took = sockit_test::elapsed([&, &c = client] { c.send_file(file.fd, 0, std::nullopt, ec); });
        done = true;
    }
    CHECK(ec == sockit::Errc::timed_out);
    CHECK(took >= 300ms);
    CHECK(took < 3000ms);
}

TEST_CASE("send_file's timeout bounds the wait for a pipe with nothing to read", "[send_file]") {
    // The read/send loop reads the pipe: a read that waits for a writer must keep the call's one
    // deadline, as the sends do (and not wait at all in non-blocking mode).
    sockit_test::FdLeakCheck leaks;
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    REQUIRE(::write(p[1], "early", 5) == 5); // what the writer has written so far
    auto [client, server] = sockit_test::tcp_pair();
    client.set_timeout(300ms);
    std::error_code ec;
    std::uint64_t sent = 0;
    std::chrono::milliseconds took{};
    {
        // A read blocked on the pipe ends when its writer closes it.
        Rescue rescue(3000ms, [&] { ::close(std::exchange(p[1], -1)); });
        took = sockit_test::elapsed([&, &c = client] { sent = c.send_file(p[0], 0, std::nullopt, ec); });
    }
    CHECK(ec == sockit::Errc::timed_out);
    CHECK(sent == 5);
    CHECK(took >= 300ms);
    CHECK(took < 3000ms);
    char buf[16];
    server.set_timeout(5s);
    server.recv_exactly(buf, 5);
    CHECK(std::string(buf, 5) == "early");

    // Non-blocking: nothing to read is a would-block at once.
    client.set_blocking(false);
    {
        Rescue rescue(3000ms, [&] { ::close(std::exchange(p[1], -1)); });
        took = sockit_test::elapsed([&, &c = client] { sent = c.send_file(p[0], 0, std::nullopt, ec); });
    }
    CHECK(sockit::detail::is_would_block(ec));
    CHECK(sent == 0);
    CHECK(took < 3000ms);
    ::close(p[0]);
    if (p[1] >= 0) ::close(p[1]);
}

TEST_CASE("send_file keeps its timeout on a descriptor a copy made blocking", "[send_file]") {
    // sendfile(2) takes no MSG_DONTWAIT: the descriptor itself must be non-blocking, even after a
    // dup copy of the socket set it back to blocking, as send_all's timeout holds then too.
    TempFile file(32 * 1024 * 1024);
    auto [client, server] = sockit_test::tcp_pair();
    client.set_option(sockit::SendBufferSize(65536));
    server.set_option(sockit::ReceiveBufferSize(65536));
    sockit::Socket copy = client.socket().dup();
    client.set_timeout(300ms);
    copy.set_timeout(std::nullopt); // the shared descriptor is blocking again
    std::error_code ec;
    std::chrono::milliseconds took{};
    {
        // A sendfile blocked in the kernel ends when the socket's sending side is shut down.
        Rescue rescue(3000ms, [&] { ::shutdown(copy.native_handle(), SHUT_WR); });
        took = sockit_test::elapsed([&, &c = client] { c.send_file(file.fd, 0, std::nullopt, ec); });
    }
    CHECK(ec == sockit::Errc::timed_out);
    CHECK(took >= 300ms);
    CHECK(took < 3000ms);
}

TEST_CASE("send_file to a closed peer throws and raises no SIGPIPE", "[send_file]") {
    TempFile file(4 * 1024 * 1024);
    // In a child whose SIGPIPE is the default (death): the error must come as an exception.
    pid_t pid = ::fork();
    if (pid == 0) {
        ::signal(SIGPIPE, SIG_DFL);
        int status = 1;
        try {
            auto [client, server] = sockit_test::tcp_pair();
            server.close();
            client.send_file(file.fd);
            status = 2; // nothing thrown
        } catch (const sockit::BrokenPipe&) {
            status = 0;
        } catch (const sockit::ConnectionReset&) {
            status = 0;
        } catch (...) {
            status = 3;
        }
        // Nothing left behind: no SIGPIPE pending, SIGPIPE not blocked.
        sigset_t pending, mask;
        ::sigpending(&pending);
        ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
        if (status == 0 && (::sigismember(&pending, SIGPIPE) == 1 || ::sigismember(&mask, SIGPIPE) == 1)) status = 4;
        // A SIGPIPE the program had pending (blocked) before stays pending.
        if (status == 0) {
            sigset_t pipe;
            ::sigemptyset(&pipe);
            ::sigaddset(&pipe, SIGPIPE);
            ::pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
            ::raise(SIGPIPE);
            try {
                auto [client, server] = sockit_test::tcp_pair();
                server.close();
                client.send_file(file.fd);
            } catch (const sockit::Error&) {}
            ::sigpending(&pending);
            ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
            if (::sigismember(&pending, SIGPIPE) != 1 || ::sigismember(&mask, SIGPIPE) != 1) status = 5;
        }
        ::_exit(status);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    std::error_code ec;
    auto [client, server] = sockit_test::tcp_pair();
    CHECK(client.send_file(-1, 0, std::nullopt, ec) == 0);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_THROWS_WITH(client.send_file(-1), sockit_test::contains("send_file"));
}

TEST_CASE("send_file's errors name the file's descriptor and offset", "[send_file]") {
    // A bad file reads as a bad socket unless the message says which descriptor was the file.
    sockit_test::FdLeakCheck leaks;
    TempFile file(1000);
    auto [client, server] = sockit_test::tcp_pair();
    const int write_only = ::open(file.path.c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(write_only >= 0);
    const std::string fd = std::to_string(write_only);
    try {
        client.send_file(write_only);
        FAIL("a file opened write-only was sent");
    } catch (const sockit::Error& e) {
        CHECK(e.code() == std::errc::bad_file_descriptor);
        CHECK_THAT(e.what(), sockit_test::contains("send_file 127.0.0.1:"));
        CHECK_THAT(e.what(), sockit_test::contains(" from descriptor " + fd + " (sent 0 bytes)"));
    }
    ::close(write_only);
    const int directory = ::open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(directory >= 0);
    try {
        client.send_file(directory, 7);
        FAIL("a directory was sent");
    } catch (const sockit::Error& e) {
        CHECK(e.code() == std::errc::is_a_directory);
        CHECK_THAT(e.what(), sockit_test::contains(" from descriptor " + std::to_string(directory) +
                                                   " at offset 7 (sent 0 bytes)"));
    }
    ::close(directory);
    // A socket as the file cannot seek either: it is read as a pipe, within the timeout.
    auto [a, b] = sockit::stream_pair();
    client.set_timeout(200ms);
    std::error_code ec;
    auto took = sockit_test::elapsed([&, &c = client, &f = a] { c.send_file(f.native_handle(), 0, std::nullopt, ec); });
    CHECK(ec == sockit::Errc::timed_out);
    CHECK(took >= 200ms);
    CHECK(took < 3000ms);
}

TEST_CASE("send_file works on a Unix-domain stream", "[send_file]") {
    TempFile file(200000);
    auto [a, b] = sockit::stream_pair();
    std::string received;
    {
        JoinedThread reader([&, &s = b] {
            char buf[65536];
            s.set_timeout(10s);
            while (std::size_t n = s.recv(buf, sizeof buf)) received.append(buf, n);
        });
        CHECK(a.send_file(file.fd) == file.content.size());
        a.shutdown(sockit::Shutdown::write);
    }
    CHECK(received == file.content);
}
#endif
