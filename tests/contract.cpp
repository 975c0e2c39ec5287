// SPDX-License-Identifier: MIT
// The README example, compiled and run as a test: exit status 0 means the echo came back.
#include <sockit/sockit.hpp>
#include <thread>
int main() {
    sockit::TcpServer server("127.0.0.1", 0);
    std::thread t([&] {
        auto [conn, peer] = server.accept();
        char buf[1024];
        std::size_t n = conn.recv(buf, sizeof buf);
        conn.send_all(std::string_view(buf, n));
    });
    sockit::TcpClient client("127.0.0.1", server.port());
    client.send_all("hello");
    char buf[1024];
    std::size_t n = client.recv(buf, sizeof buf);
    t.join();
    return std::string_view(buf, n) == "hello" ? 0 : 1;
}
