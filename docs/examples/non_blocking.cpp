// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/non-blocking.md: one thread serving a listener and its clients with poll(2)
// and non-blocking sockets. Exit status 0 when two clients got their echoes.
#include <sockit/sockit.hpp>

#include <poll.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

// Echoes on every connection until `clients` of them have come and gone.
void serve(sockit::TcpServer& server, int clients) {
    server.set_blocking(false); // accept() now fails with would-block instead of waiting
    std::vector<sockit::TcpStream> conns;
    int finished = 0;
    while (finished < clients) {
        std::vector<pollfd> fds{{server.native_handle(), POLLIN, 0}};
        for (auto& c : conns) fds.push_back({c.native_handle(), POLLIN, 0});
        ::poll(fds.data(), fds.size(), -1);

        if (fds[0].revents != 0) {
            std::error_code ec;
            auto [conn, peer] = server.accept(ec);
            if (!ec) {
                conn.set_blocking(false);
                conns.push_back(std::move(conn));
            } else if (ec != std::errc::operation_would_block && ec != std::errc::resource_unavailable_try_again) {
                throw sockit::Error(ec, "accept");
            }
        }
        for (std::size_t i = 1; i < fds.size(); ++i) {
            if (fds[i].revents == 0) continue;
            sockit::TcpStream& conn = conns[i - 1];
            char buf[4096];
            std::error_code ec;
            std::size_t n = conn.recv(buf, sizeof buf, ec);
            if (ec == std::errc::operation_would_block || ec == std::errc::resource_unavailable_try_again)
                continue; // nothing after all
            if (ec || n == 0) { // an error or the peer closed: drop it
                conn.close();
                ++finished;
                continue;
            }
            conn.set_blocking(true); // simplest way to send it all; a real server would queue the rest
            conn.send_all(buf, n);
            conn.set_blocking(false);
        }
        conns.erase(std::remove_if(conns.begin(), conns.end(), [](auto& c) { return !c.is_open(); }), conns.end());
    }
}

// Connects without blocking, then waits for the result with poll.
sockit::Socket connect_non_blocking(const sockit::Address& to) {
    sockit::Socket s(to.family(), sockit::SocketType::stream);
    s.set_blocking(false);
    std::error_code ec;
    s.connect(to, ec);
    if (ec == std::errc::operation_in_progress) {
        pollfd pfd{s.native_handle(), POLLOUT, 0};
        ::poll(&pfd, 1, 5000);  // writable: the connection is made or has failed
        ec = s.pending_error(); // SO_ERROR tells which
    }
    if (ec) throw sockit::Error(ec, "connect " + to.to_string());
    s.set_blocking(true);
    return s;
}

int main() {
    sockit::TcpServer server("127.0.0.1", 0);
    const sockit::Address address = server.local_address();
    std::thread serving(serve, std::ref(server), 2);

    bool ok = true;
    for (std::string message : {"first", "第二"}) {
        sockit::TcpStream client(connect_non_blocking(address));
        client.send_all(message);
        char buf[64];
        std::string reply;
        while (reply.size() < message.size()) {
            std::size_t n = client.recv(buf, sizeof buf);
            if (n == 0) break;
            reply.append(buf, n);
        }
        std::cout << "<< " << reply << '\n';
        ok = ok && reply == message;
    }
    serving.join();
    return ok ? 0 : 1;
}
