// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/reliability.md: a blocking server with a thread per connection whose accept
// loop survives running out of descriptors, and that another thread stops at once.
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
        std::lock_guard<std::mutex> lock(mutex_);
        for (Connection& c : connections_) c.stream.shutdown(sockit::Shutdown::both, ignored); // recv returns 0
        for (Connection& c : connections_) c.thread.join();
    }

private:
    struct Connection {
        sockit::TcpStream stream;
        std::thread thread;
    };

    void accept_loop() {
        for (;;) {
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
            c.thread = std::thread([&stream = c.stream] { echo(stream); });
        }
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

    // A client blocked in recv is woken the same way, from another thread.
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50)); // let the client block
        auto start = std::chrono::steady_clock::now();
        server.stop();
        client.shutdown(sockit::Shutdown::both);
        auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        std::cout << "stopped in " << took.count() << " ms\n";
    });
    std::string after = client.recv(4); // blocks until the stop: then "" (end of stream)
    stopper.join();
    std::cout << "reply '" << reply << "', then '" << after << "'\n";
    return reply == "ping" && after.empty() ? 0 : 1;
}
