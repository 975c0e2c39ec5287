// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/tcp.md: a TCP echo server and a client on loopback. Exit status 0 when the
// echo came back and the server saw the client leave.
#include <sockit/sockit.hpp>

#include <iostream>
#include <string>
#include <thread>

// Serves one client: sends back whatever arrives until the client closes.
void echo(sockit::TcpStream conn) {
    char buf[4096];
    while (std::size_t n = conn.recv(buf, sizeof buf)) // 0: the client closed
        conn.send_all(buf, n);                         // all n bytes, however many sends it takes
}

int main() {
    sockit::TcpServer server("127.0.0.1", 0); // port 0: the system picks a free one
    std::thread serving([&] {
        auto [conn, peer] = server.accept();
        std::cout << "accepted " << peer << '\n';
        echo(std::move(conn));
    });

    sockit::TcpClient client("127.0.0.1", server.port());
    client.send_all("你好, sockit");
    std::string reply;
    char buf[4096];
    while (reply.size() < std::string("你好, sockit").size()) {
        std::size_t n = client.recv(buf, sizeof buf);
        if (n == 0) break; // the server closed early
        reply.append(buf, n);
    }
    client.shutdown(sockit::Shutdown::write); // "no more from me": the server's recv returns 0
    serving.join();

    std::cout << "reply: " << reply << '\n';
    return reply == "你好, sockit" ? 0 : 1;
}
