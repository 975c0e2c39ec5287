// SPDX-License-Identifier: MIT
// chat_room_threads: the chat room of chat_room.cpp (same protocol: "* welcome
// <address>", then "<sender address>: <line>" to every other client), written the
// classic way: blocking sockets and one thread per client. It exists to compare
// with the poller version (docs/concurrency.md). A client that stops reading
// eventually blocks every thread that sends to it: the weakness the poller's
// bounded queue removes.
//
// SIGINT/SIGTERM stop it by shutting the listening socket down from the signal
// handler (shutdown(2) is async-signal-safe): the blocked accept returns, then
// every client socket is shut down so that each thread's recv returns 0, and
// every thread is joined. The threads of clients that leave are joined as the
// room runs, within a second, also when no other client comes.
//
//   chat_room_threads [--host H] [--port P] [--quiet]
#include <sockit/sockit.hpp>

#include "chat_args.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <iostream>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct Member {
    sockit::TcpStream stream;
    std::string name;
    std::mutex send_mutex; // one writer at a time on this socket
};

class Room {
public:
    explicit Room(bool quiet) : quiet_(quiet) {}

    /// Adds a member and serves it on a new thread. The member is in the room before its
    /// welcome line goes out, and lines to it wait for the welcome (its send mutex).
    void join(sockit::TcpStream stream, std::string name) {
        auto m = std::make_shared<Member>();
        m->stream = std::move(stream);
        m->name = std::move(name);
        std::unique_lock<std::mutex> sending(m->send_mutex);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            members_.push_back(m);
            Thread& t = threads_.emplace_back();
            t.thread = std::thread([this, m, &t] {
                serve(m);
                t.done = true;
            });
        }
        std::error_code ec;
        m->stream.set_no_delay(true, ec); // as chat_room: small lines go out at once
        if (!ec) m->stream.send_all("* welcome " + m->name + "\n", ec);
        if (ec) m->stream.shutdown(sockit::Shutdown::both, ec); // its thread sees the end and leaves
    }

    /// Joins the threads of clients that have left.
    void forget_finished() {
        std::lock_guard<std::mutex> lock(mutex_);
        threads_.remove_if([](Thread& t) { // `done` read once: it may turn true meanwhile
            if (!t.done) return false;
            t.thread.join();
            return true;
        });
    }

    /// Shuts every member's socket down (their threads' recv returns 0) and joins the threads.
    void stop() {
        std::list<Thread> threads;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (auto& m : members_) {
                std::error_code ignored;
                m->stream.shutdown(sockit::Shutdown::both, ignored);
            }
            threads.swap(threads_);
        }
        for (auto& t : threads) t.thread.join();
    }

private:
    /// A member's thread, `done` once it has finished with the room (in a list: it never moves).
    struct Thread {
        std::thread thread;
        std::atomic<bool> done{false};
    };

    bool quiet_;
    std::mutex mutex_;
    std::list<std::shared_ptr<Member>> members_; // the last reference closes a member's socket
    std::list<Thread> threads_;

    void serve(const std::shared_ptr<Member>& m) {
        if (!quiet_) std::cout << "+ " + m->name + " joined\n";
        std::string partial;
        char buf[64 * 1024];
        for (;;) {
            std::error_code ec;
            std::size_t n = m->stream.recv(buf, sizeof buf, ec);
            if (ec || n == 0) break;
            std::string_view data(buf, n);
            for (auto newline = data.find('\n'); newline != std::string_view::npos; newline = data.find('\n')) {
                partial.append(data.substr(0, newline));
                if (!partial.empty() && partial.back() == '\r') partial.pop_back();
                broadcast(*m, m->name + ": " + partial + "\n");
                partial.clear();
                data.remove_prefix(newline + 1);
            }
            partial.append(data);
        }
        if (!quiet_) std::cout << "- " + m->name + " left\n";
        std::lock_guard<std::mutex> lock(mutex_);
        members_.remove(m);
    }

    void broadcast(const Member& from, const std::string& text) {
        std::vector<std::shared_ptr<Member>> to;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            to.reserve(members_.size());
            for (auto& m : members_)
                if (m.get() != &from) to.push_back(m);
        }
        for (auto& m : to) {
            std::lock_guard<std::mutex> lock(m->send_mutex);
            std::error_code ignored; // a member that has gone is removed by its own thread
            m->stream.send_all(text, ignored);
        }
    }
};

volatile std::sig_atomic_t stop_requested = 0;
sockit::TcpServer* listener = nullptr;

extern "C" void on_signal(int) {
    int saved = errno;
    stop_requested = 1;
    std::error_code ignored;
    if (listener != nullptr) listener->shutdown(sockit::Shutdown::both, ignored);
    errno = saved;
}

constexpr const char* usage = "usage: chat_room_threads [--host H] [--port P] [--quiet]\n"
                              "  chat_room with one thread per client (for comparison). Defaults: --host 127.0.0.1\n"
                              "  --port 7777 (0: any free port). Stop with Ctrl-C (SIGINT) or SIGTERM.\n";

} // namespace

int main(int argc, char** argv) {
    try {
        std::string host = "127.0.0.1";
        std::uint16_t port = 7777;
        bool quiet = false;
        chat_args::parse(
            argc, argv, usage, [&](const std::string& flag) { return flag == "--quiet" && (quiet = true); },
            [&](const std::string& name, const std::string& value) {
                if (name == "--host")
                    host = value;
                else if (name == "--port")
                    port = sockit::parse_port(value);
                else
                    return false;
                return true;
            });
        sockit::TcpServer server(host, port, sockit::ServerOptions{4096});
        Room room(quiet);
        listener = &server;
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
        // Waits for a client at most a second at a time, so that the threads of clients who
        // left are joined even when no other client comes; accept() then returns at once.
        sockit::Poller poller(1);
        poller.add(server, sockit::Interest::readable, 0);
        std::cout << "chat_room: listening on " << host << ':' << server.port() << " (threads)" << std::endl;
        while (stop_requested == 0) {
            bool client_waiting = !poller.wait(std::chrono::seconds(1)).empty();
            room.forget_finished();
            if (!client_waiting || stop_requested != 0) continue;
            std::error_code ec;
            auto [stream, peer] = server.accept(ec);
            if (!ec) {
                room.join(std::move(stream), peer.to_string());
            } else if (stop_requested == 0 && ec != std::errc::interrupted && ec != std::errc::connection_aborted) {
                std::cerr << "chat_room_threads: accept: " << ec.message() << '\n';
                break;
            }
        }
        room.stop();
        listener = nullptr;
        std::cout << "chat_room: stopped by signal" << std::endl;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "chat_room_threads: " << e.what() << '\n';
        return 1;
    }
}
