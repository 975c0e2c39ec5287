// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// The example at the top of README.md, built and run as a test.
#include <sockit/sockit.hpp>
#include <iostream>

int main() {
    sockit::TcpServer server("127.0.0.1", 0);             // port 0: the system picks one
    sockit::TcpClient client("127.0.0.1", server.port()); // connects (a TcpStream)
    auto [conn, peer] = server.accept();                  // the server's end, and who it is

    client.send_all("你好");                             // all of it, like Python's sendall
    char buf[1024];
    std::size_t n = conn.recv(buf, sizeof buf);           // 0 would mean: the peer closed
    std::cout << peer << " sent " << std::string_view(buf, n) << '\n';

    conn.send_all("服务器收到了");
    std::cout << "reply: " << client.recv(1024) << '\n'; // Python's recv(1024), as a std::string
}
