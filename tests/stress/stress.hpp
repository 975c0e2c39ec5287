// SPDX-License-Identifier: MIT
// What the load and fault tests share: a framed message with a checksum, a
// thread-per-connection echo server built on sockit's classes, and example
// server processes started on a free loopback port.
#pragma once

#include "../support.hpp"
#include "protocol.hpp"

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <list>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace stress {

using namespace std::chrono_literals;

/// A number from the environment variable `name`, or `fallback` if it is unset or not a number.
inline long env_number(const char* name, long fallback) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') return fallback;
    char* end = nullptr;
    long value = std::strtol(text, &end, 10);
    return (*end == '\0' && value > 0) ? value : fallback;
}

/// The process's peak resident set size, in KiB.
inline long peak_rss_kib() {
    ::rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

/// The CPU time process `pid` has used (user and system), in clock ticks; -1 if unknown.
inline long cpu_ticks_of(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    auto end = text.rfind(')');
    if (end == std::string::npos) return -1;
    std::istringstream fields(text.substr(end + 1));
    std::string field;
    long utime = -1, stime = -1;
    for (int i = 3; fields >> field; ++i) { // field 3 is the state; 14 and 15 the times
        if (i == 14) utime = std::stol(field);
        if (i == 15) stime = std::stol(field);
    }
    return utime < 0 || stime < 0 ? -1 : utime + stime;
}

/// The number of descriptors process `pid` has open, or -1.
inline int open_fds_of(pid_t pid) {
    std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return -1;
    int count = 0;
    while (::readdir(d) != nullptr) ++count;
    ::closedir(d);
    return count - 2;
}

/// Counts of what the echo server saw.
struct ServerStats {
    std::atomic<long> messages{0};   ///< messages echoed
    std::atomic<long> bytes{0};      ///< payload bytes echoed
    std::atomic<long> corrupt{0};    ///< messages whose checksum or length was wrong
    std::atomic<long> clean_ends{0}; ///< connections the client closed between messages
    std::atomic<long> cut_short{0};  ///< connections that ended in the middle of a message
    std::atomic<long> failures{0};   ///< connections that ended with an error (reset, broken pipe)
    std::atomic<int> open{0};        ///< connections being served now
};

/**
 * An echo server with a thread per connection: it reads a header and its message,
 * checks the checksum, and sends both back. A connection that fails ends only its
 * own thread, which closes its descriptor at once. `stop()` is the documented way
 * to stop a blocking server: shut the listener down (which wakes accept), then every
 * connection (which wakes recv), then join the threads. A stream is shut down and
 * closed under one mutex: a shutdown after the close could hit a reused descriptor.
 */
class EchoServer {
public:
    explicit EchoServer(int backlog = 128) : server_("127.0.0.1", 0, options(backlog)) {
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    EchoServer(const EchoServer&) = delete;
    EchoServer& operator=(const EchoServer&) = delete;
    ~EchoServer() { stop(); }

    sockit::Address address() const { return server_.local_address(); }
    ServerStats& stats() { return stats_; }

    /// Stops accepting, wakes and ends every connection, and joins every thread.
    void stop() {
        if (stopping_.exchange(true)) return;
        std::error_code ignored;
        server_.shutdown(sockit::Shutdown::both, ignored);
        acceptor_.join();
        {
            std::lock_guard<std::mutex> lock(mutex_); // not while a thread closes its stream
            for (Connection& c : connections_) c.stream.shutdown(sockit::Shutdown::both, ignored);
        }
        for (Connection& c : connections_) c.thread.join(); // the list no longer changes
        connections_.clear();
        server_.close(ignored);
    }

private:
    struct Connection {
        sockit::TcpStream stream;
        std::atomic<bool> done{false};
        std::thread thread;
    };

    static sockit::ServerOptions options(int backlog) {
        sockit::ServerOptions o;
        o.backlog = backlog;
        return o;
    }

    void accept_loop() {
        for (;;) {
            std::error_code ec;
            auto accepted = server_.accept(ec);
            if (stopping_) return;
            if (ec) { // out of descriptors, say: back off, keep serving
                std::this_thread::sleep_for(10ms);
                continue;
            }
            std::lock_guard<std::mutex> lock(mutex_);
            connections_.remove_if([](Connection& c) { // `done` read once: it may turn true meanwhile
                if (!c.done) return false;
                c.thread.join();
                return true;
            });
            Connection& c = connections_.emplace_back();
            c.stream = std::move(accepted.first);
            ++stats_.open;
            c.thread = std::thread([this, &c] {
                serve(c.stream);
                {
                    std::lock_guard<std::mutex> closing(mutex_); // never while stop() shuts it down
                    c.stream.close();
                }
                --stats_.open;
                c.done = true;
            });
        }
    }

    void serve(sockit::TcpStream& stream) {
        std::vector<char> body(max_message);
        for (;;) {
            Header header;
            std::error_code ec;
            std::size_t got = stream.recv_exactly(&header, sizeof header, ec);
            if (!ec && header.length <= max_message) stream.recv_exactly(body.data(), header.length, ec);
            if (ec) {
                if (ec != sockit::Errc::end_of_stream)
                    ++stats_.failures;
                else if (got == 0)
                    ++stats_.clean_ends;
                else
                    ++stats_.cut_short;
                return;
            }
            if (header.length > max_message || checksum(body.data(), header.length) != header.sum) {
                ++stats_.corrupt;
                return;
            }
            stream.send_all({sockit::buffer(&header, sizeof header), sockit::buffer(body.data(), header.length)}, ec);
            if (ec) {
                ++stats_.failures;
                return;
            }
            ++stats_.messages;
            stats_.bytes += header.length;
        }
    }

    sockit::TcpServer server_;
    ServerStats stats_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::list<Connection> connections_;
    std::thread acceptor_;
};

/// One client's side of the echo protocol: sends messages and checks every echoed byte.
class EchoClient {
public:
    EchoClient(const sockit::Address& server, std::uint64_t seed, std::size_t max_length)
        : stream_(server), random_(seed), max_length_(max_length), out_(max_length), in_(max_length) {
        stream_.set_timeout(30s); // a lost message fails the test instead of hanging it
    }

    /// Sends one message and checks its echo; returns a description of what was wrong, or "".
    std::string round_trip() {
        Header header;
        header.length = static_cast<std::uint32_t>(random_.between(1, max_length_));
        header.sequence = sequence_++;
        random_.fill(out_.data(), header.length);
        header.sum = checksum(out_.data(), header.length);
        stream_.send_all({sockit::buffer(&header, sizeof header), sockit::buffer(out_.data(), header.length)});
        Header back;
        stream_.recv_exactly(&back, sizeof back);
        if (back.length != header.length || back.sequence != header.sequence || back.sum != header.sum)
            return "message " + std::to_string(header.sequence) + ": header came back changed";
        stream_.recv_exactly(in_.data(), back.length);
        if (checksum(in_.data(), back.length) != header.sum)
            return "message " + std::to_string(header.sequence) + ": bytes came back changed";
        bytes_ += header.length;
        return "";
    }

    std::uint64_t bytes() const { return bytes_; }
    sockit::TcpStream& stream() { return stream_; }

private:
    sockit::TcpClient stream_;
    Random random_;
    std::size_t max_length_;
    std::vector<char> out_;
    std::vector<char> in_;
    std::uint32_t sequence_ = 0;
    std::uint64_t bytes_ = 0;
};

/**
 * A program run in the background with its standard output and error read by a
 * thread of ours (so that it never blocks writing them). Killed and reaped on
 * destruction if still running.
 */
class Process {
public:
    explicit Process(const std::vector<std::string>& argv) {
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
        posix_spawn_file_actions_t actions;
        ::posix_spawn_file_actions_init(&actions);
        ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        ::posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        ::posix_spawn_file_actions_adddup2(&actions, out[1], 2);
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
        ::posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        if (rc != 0) {
            ::close(out[0]);
            throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
        }
        reader_ = std::thread([this, fd = out[0]] {
            char buf[4096];
            for (;;) {
                ssize_t n = ::read(fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) break;
                std::lock_guard<std::mutex> lock(mutex_);
                output_.append(buf, static_cast<std::size_t>(n));
                if (output_.size() > (1u << 20)) output_.erase(0, output_.size() - (1u << 19)); // keep the tail
                changed_.notify_all();
            }
            ::close(fd);
        });
    }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process() {
        if (running()) kill(SIGKILL);
        wait(5s);
        if (reader_.joinable()) reader_.join();
    }

    pid_t pid() const { return pid_; }

    /// Waits (at most `limit`) until the output contains `text`.
    bool wait_for_output(const std::string& text, std::chrono::milliseconds limit) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, limit, [&] { return output_.find(text) != std::string::npos; });
    }
    /// What the program has written so far (the last 512 KiB at least).
    std::string output() {
        std::lock_guard<std::mutex> lock(mutex_);
        return output_;
    }

    bool running() {
        if (reaped_) return false;
        int status = 0;
        pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            reaped_ = true;
            status_ = status;
        }
        return !reaped_;
    }
    void kill(int signal) {
        if (!reaped_) ::kill(pid_, signal);
    }
    /// Waits (at most `limit`) for the program to end; its wait status, or -1 if it is still running.
    int wait(std::chrono::milliseconds limit) {
        sockit_test::Deadline deadline(limit);
        while (running() && !deadline.expired()) std::this_thread::sleep_for(5ms);
        return reaped_ ? status_ : -1;
    }

private:
    pid_t pid_ = -1;
    bool reaped_ = false;
    int status_ = 0;
    std::thread reader_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::string output_;
};

/// Starts an example server (`path` `--port P` plus `extra`) on a free loopback port and
/// waits until it says it is listening; null if it could not start (the reason in `why`).
/// `wrapper` comes first on the command line (e.g. a shell that sets a limit, then execs).
inline std::unique_ptr<Process> start_example(const std::string& path, const std::vector<std::string>& extra,
                                              sockit::Address& where, std::string& why,
                                              const std::vector<std::string>& wrapper = {}) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        std::uint16_t port = sockit_test::free_port();
        std::vector<std::string> argv = wrapper;
        for (std::string arg :
             {path, std::string("--host"), std::string("127.0.0.1"), std::string("--port"), std::to_string(port)})
            argv.push_back(arg);
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto p = std::make_unique<Process>(argv);
        if (p->wait_for_output("listening on", 10s)) {
            where = sockit::Address("127.0.0.1", port);
            return p;
        }
        why = p->output();
        if (why.find("in use") == std::string::npos) break; // another port only helps if this one was taken
    }
    return nullptr;
}

} // namespace stress
