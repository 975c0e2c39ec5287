// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/reliability.md: a blocking server with a thread per connection whose accept
// loop survives running out of descriptors, and that another thread stops at once.
// A connection is closed as its client leaves, and its thread joined within a second.
#include <sockit/sockit.hpp>

#include <atomic>
#include <chrono>
#include <iostream>
#include <list>
#include <mutex>
#include <thread>

class EchoServer {
public:
    explicit EchoServer(sockit::TcpServer& server) : server_(server), acceptor_([this] { accept_loop(); }) {}
    ~EchoServer() { stop(); }

    /// Stops the server from any thread: wakes every blocked call with shutdown,
    /// never with close (which does not wake them), then joins the threads.
    void stop() {
        if (stopping_.exchange(true)) return;
        std::error_code ignored;
        server_.shutdown(sockit::Shutdown::both, ignored); // accept fails with EINVAL
        acceptor_.join();
        {
            std::lock_guard<std::mutex> lock(mutex_); // not while a connection's thread closes its stream
            for (Connection& c : connections_) c.stream.shutdown(sockit::Shutdown::both, ignored); // recv returns 0
        }
        for (Connection& c : connections_) c.thread.join(); // the list no longer changes
    }

private:
    struct Connection {
        sockit::TcpStream stream;
        std::atomic<bool> done{false};
        std::thread thread;
    };

    void accept_loop() {
        // Waits at most a second at a time, so that the threads of connections that ended
        // are joined even when no other client comes; accept() then returns at once.
        sockit::Poller poller(1);
        poller.add(server_, sockit::Interest::readable, 0);
        for (;;) {
            bool client_waiting = !poller.wait(std::chrono::seconds(1)).empty();
            if (stopping_) return; // woken by stop()
            forget_finished();
            if (!client_waiting) continue;
            std::error_code ec;
            auto accepted = server_.accept(ec);
            if (stopping_) return; // woken by stop()
            if (ec) {
                // EMFILE or ENFILE: the client stays queued, so accepting again at once
                // would fail at once, at 100 % CPU. Wait for descriptors to be freed.
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
                continue;
            }
            std::lock_guard<std::mutex> lock(mutex_);
            Connection& c = connections_.emplace_back();
            c.stream = std::move(accepted.first);
            c.thread = std::thread([this, &c] {
                echo(c.stream);
                {
                    std::lock_guard<std::mutex> closing(mutex_); // not while stop() shuts it down
                    std::error_code ignored;
                    c.stream.close(ignored); // as the client leaves, not when the thread is joined
                }
                c.done = true;
            });
        }
    }

    /// Joins the threads of connections that ended and forgets them.
    void forget_finished() {
        std::lock_guard<std::mutex> lock(mutex_);
        connections_.remove_if([](Connection& c) { // `done` read once: it may turn true meanwhile
            if (!c.done) return false;
            c.thread.join();
            return true;
        });
    }

    static void echo(sockit::TcpStream& stream) {
        char buf[4096];
        std::error_code ec;
        while (std::size_t n = stream.recv(buf, sizeof buf, ec)) {
            if (ec || stream.send_all(buf, n, ec) != n) return;
        }
    }

    sockit::TcpServer& server_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::list<Connection> connections_; // a list: a connection never moves while its thread runs
    std::thread acceptor_;
};

int main() {
    sockit::TcpServer listener("127.0.0.1", 0);
    EchoServer server(listener);
    sockit::TcpClient client("127.0.0.1", listener.port());
    client.send_all("ping");
    std::string reply = client.recv(4);

    // A client that has finished sees the server close the connection at once, not when
    // the server stops: the connection's thread closes it as the client leaves.
    sockit::TcpClient leaving("127.0.0.1", listener.port());
    leaving.set_timeout(std::chrono::seconds(2));
    leaving.send_all("bye");
    leaving.shutdown(sockit::Shutdown::write); // nothing more to send: the server's recv returns 0
    std::string echoed;
    char buf[16];
    std::error_code ec; // set (timed out) if the server keeps the connection open
    while (std::size_t n = leaving.recv(buf, sizeof buf, ec)) echoed.append(buf, n);
    std::cout << "a client that left: '" << echoed << "', then " << (ec ? ec.message() : "end of stream") << '\n';

    // A client blocked in recv is woken the same way, from another thread.
    std::chrono::milliseconds took{};
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50)); // let the client block
        auto start = std::chrono::steady_clock::now();
        server.stop();
        client.shutdown(sockit::Shutdown::both);
        took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    });
    std::string after = client.recv(4); // blocks until the stop: then "" (end of stream)
    stopper.join();
    // Stopping takes well under a millisecond; the bound leaves room for a loaded machine,
    // yet a stop that had to wait for the accept loop's one-second poll would often miss it.
    const bool prompt = took < std::chrono::milliseconds(500);
    std::cout << "stopped in " << took.count() << " ms" << (prompt ? "" : " (more than 500 ms)") << '\n';
    std::cout << "reply '" << reply << "', then '" << after << "'\n";
    return reply == "ping" && after.empty() && echoed == "bye" && !ec && prompt ? 0 : 1;
}
